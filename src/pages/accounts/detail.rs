use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params};

use crate::{
    components::{
        ConfirmAction, CopyButton, Field, FormError, SaveNote, StatusBadge, field_error,
        reset_on_success,
    },
    domain::Role,
    model::{
        AccountDetails, ApiKeyInfo, AuditEntry, PanelUserInfo, ProjectInfo, SessionUser,
        format_time,
    },
    pages::params::IdParams,
    server_fns::{
        accounts::{
            AddClientUser, CreateProject, IssueApiKey, RevokeApiKey, SetAccountSuspended,
            get_account,
        },
        staff::SetLoginDisabled,
        webhooks::SetAccountWebhookUrl,
    },
};

/// The actions of the account page; any of them refreshes the page's data when it completes.
#[derive(Clone, Copy)]
struct Actions {
    issue: ServerAction<IssueApiKey>,
    revoke: ServerAction<RevokeApiKey>,
    add_login: ServerAction<AddClientUser>,
    toggle_login: ServerAction<SetLoginDisabled>,
    create_project: ServerAction<CreateProject>,
    suspend: ServerAction<SetAccountSuspended>,
    webhook_url: ServerAction<SetAccountWebhookUrl>,
    /// Successful saves of the Webhooks URL: a refused one does not refetch, so the field keeps what
    /// was typed.
    webhook_saved: RwSignal<usize>,
}

impl Actions {
    fn new() -> Self {
        Self {
            issue: ServerAction::new(),
            revoke: ServerAction::new(),
            add_login: ServerAction::new(),
            toggle_login: ServerAction::new(),
            create_project: ServerAction::new(),
            suspend: ServerAction::new(),
            webhook_url: ServerAction::new(),
            webhook_saved: RwSignal::new(0),
        }
    }

    fn versions(&self) -> [usize; 7] {
        [
            self.issue.version().get(),
            self.revoke.version().get(),
            self.add_login.version().get(),
            self.toggle_login.version().get(),
            self.create_project.version().get(),
            self.suspend.version().get(),
            self.webhook_saved.get(),
        ]
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_edit = me.role == Role::Csm;
    let params = use_params::<IdParams>();
    let account_id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let actions = Actions::new();
    provide_context(actions);
    Effect::new(move |_| {
        if actions
            .webhook_url
            .value()
            .with(|v| matches!(v, Some(Ok(_))))
        {
            actions.webhook_saved.update(|n| *n += 1);
        }
    });
    let data = Resource::new(
        move || (account_id(), actions.versions()),
        |(id, _)| get_account(id),
    );

    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading account…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <AccountView page can_edit /> }.into_any(),
                    Err(e) => view! {
                        <Title text="Account" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/accounts">"Accounts"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AccountView(page: AccountDetails, can_edit: bool) -> impl IntoView {
    let account = page.account;
    let suspended = account.suspended_at.is_some();
    view! {
        <Title text=account.name.clone() />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/accounts">"Accounts"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">{account.name.clone()}</span>
                </nav>
                <h1>
                    {account.name.clone()} " "
                    {if suspended {
                        view! { <StatusBadge text="Suspended" tone="danger" /> }
                    } else {
                        view! { <StatusBadge text="Active" tone="ok" /> }
                    }}
                </h1>
                <p class="client-id">
                    <span class="muted">"client_id "</span>
                    <code id="client-id">{account.client_id.clone()}</code>
                    " "
                    <CopyButton text=account.client_id.clone() label="Copy client_id" />
                </p>
            </div>
            {can_edit.then(|| view! { <SuspendControl account_id=account.id suspended /> })}
        </div>
        {suspended.then(|| view! {
            <p class="alert alert-warning" role="status">
                "This account is suspended: its API calls are refused with 403 until a CSM reactivates it."
            </p>
        })}
        <ApiKeysSection account_id=account.id keys=page.keys can_edit />
        <WebhookUrlSection account_id=account.id url=account.webhook_url.clone() can_edit />
        <div class="grid-2">
            <LoginsSection account_id=account.id logins=page.logins can_edit />
            <ProjectsSection account_id=account.id projects=page.projects can_edit />
        </div>
        <AuditSection entries=page.audit />
    }
}

#[component]
fn SuspendControl(account_id: i64, suspended: bool) -> impl IntoView {
    let actions = expect_context::<Actions>();
    let suspend = actions.suspend;
    if suspended {
        view! {
            <ActionForm action=suspend>
                <input type="hidden" name="account_id" value=account_id />
                <input type="hidden" name="suspended" value="false" />
                <button type="submit" class="button">"Reactivate account"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <ConfirmAction label="Suspend account…"
                question="Suspend this account? Its API calls will be refused with 403 until it is reactivated.">
                <ActionForm action=suspend>
                    <input type="hidden" name="account_id" value=account_id />
                    <input type="hidden" name="suspended" value="true" />
                    <button type="submit" class="button button-danger">"Yes, suspend"</button>
                </ActionForm>
            </ConfirmAction>
        }
        .into_any()
    }
}

/// The account-wide Webhooks URL: where the events of projects without their own URL go. CSMs set
/// it; everyone else reads it.
#[component]
fn WebhookUrlSection(account_id: i64, url: Option<String>, can_edit: bool) -> impl IntoView {
    let save = expect_context::<Actions>().webhook_url;
    view! {
        <section class="card" aria-labelledby="account-webhooks-heading">
            <h2 id="account-webhooks-heading">"Account-wide webhooks"</h2>
            <p class="muted small intro">"The account-wide URL: events of every project without a Webhooks URL of its own go here."</p>
            {if can_edit {
                view! {
                    <ActionForm action=save attr:class="inline-fields" attr:novalidate=true>
                        <FormError action=save />
                        <SaveNote action=save message="Account-wide Webhooks URL saved." />
                        <input type="hidden" name="account_id" value=account_id />
                        <Field id="account-webhook-url" name="webhook_url" label="Webhooks" kind="url"
                            value=url.clone().unwrap_or_default()
                            hint="An https:// address; leave empty for none."
                            error=field_error(save, "webhook_url") />
                        <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save"</button>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <dl class="details">
                        <dt>"Webhooks"</dt>
                        <dd>{match url.clone() {
                            Some(url) => view! { <code class="wrap">{url}</code> }.into_any(),
                            None => view! { <span class="muted">"Not set"</span> }.into_any(),
                        }}</dd>
                    </dl>
                    <p class="hint">"Read-only. Contact your CSM to change it."</p>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ApiKeysSection(account_id: i64, keys: Vec<ApiKeyInfo>, can_edit: bool) -> impl IntoView {
    let actions = expect_context::<Actions>();
    let issue = actions.issue;
    let issued = move || {
        issue
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    };
    view! {
        <section class="card" aria-labelledby="keys-heading">
            <div class="card-header">
                <h2 id="keys-heading">"API keys"</h2>
            </div>
            {can_edit.then(|| view! {
                <ActionForm action=issue node_ref=reset_on_success(issue) attr:class="inline-fields">
                    <FormError action=issue />
                    <input type="hidden" name="account_id" value=account_id />
                    <Field id="key-label" name="label" label="Label (optional)"
                        hint="For example “production” or “staging”." error=field_error(issue, "label") />
                    <button type="submit" class="button button-primary" disabled=move || issue.pending().get()>
                        "Issue key"
                    </button>
                </ActionForm>
            })}
            {move || issued().map(|k| view! {
                <div class="new-key" role="status">
                    <p><strong>"Copy this key now. It will not be shown again."</strong></p>
                    <div class="key-box">
                        <label for="new-api-key" class="visually-hidden">"New API key"</label>
                        <input id="new-api-key" class="mono" readonly value=k.key.clone() />
                        <CopyButton text=k.key.clone() label="Copy key" />
                    </div>
                    <p class="hint">"The client uses it with its client_id: Authorization: Basic base64(client_id:key)."</p>
                </div>
            })}
            {if keys.is_empty() {
                view! { <p class="empty-state">"No API keys yet. Issue one so that the client can call the API."</p> }.into_any()
            } else {
                view! { <KeysTable account_id keys can_edit /> }.into_any()
            }}
        </section>
    }
}

#[component]
fn KeysTable(account_id: i64, keys: Vec<ApiKeyInfo>, can_edit: bool) -> impl IntoView {
    let revoke = expect_context::<Actions>().revoke;
    view! {
        <FormError action=revoke />
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Label"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"Status"</th>
                        {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>
                    {keys.into_iter().map(|k| {
                        let active = k.revoked_at.is_none();
                        let label = if k.label.is_empty() { "—".to_owned() } else { k.label.clone() };
                        view! {
                            <tr>
                                <td>{label}</td>
                                <td><code class="key-prefix">{format!("{}…", k.prefix)}</code></td>
                                <td>{format_time(k.created_at)}</td>
                                <td>{k.last_used_at.map(format_time).unwrap_or_else(|| "Never".into())}</td>
                                <td>{match k.revoked_at {
                                    Some(at) => view! { <StatusBadge text=format!("Revoked {}", format_time(at)) tone="muted" /> }.into_any(),
                                    None => view! { <StatusBadge text="Active" tone="ok" /> }.into_any(),
                                }}</td>
                                {(can_edit && active).then(|| view! {
                                    <td class="actions">
                                        <ConfirmAction label="Revoke…"
                                            question=format!("Revoke key {}…? Calls with it will be refused at once.", k.prefix)>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="account_id" value=account_id />
                                                <input type="hidden" name="key_id" value=k.id />
                                                <button type="submit" class="button button-danger">"Yes, revoke"</button>
                                            </ActionForm>
                                        </ConfirmAction>
                                    </td>
                                })}
                                {(can_edit && !active).then(|| view! { <td></td> })}
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn LoginsSection(account_id: i64, logins: Vec<PanelUserInfo>, can_edit: bool) -> impl IntoView {
    let actions = expect_context::<Actions>();
    let (add, toggle) = (actions.add_login, actions.toggle_login);
    view! {
        <section class="card" aria-labelledby="logins-heading">
            <h2 id="logins-heading">"Client logins"</h2>
            {can_edit.then(|| view! {
                <ActionForm action=add node_ref=reset_on_success(add) attr:class="stack">
                    <FormError action=add />
                    <SaveNote action=add message="Login added. Share the email and initial password with the client." />
                    <input type="hidden" name="account_id" value=account_id />
                    <Field id="login-new-email" name="email" label="Email" kind="email" required=true
                        autocomplete="off" error=field_error(add, "email") />
                    <Field id="login-new-password" name="password" label="Initial password" kind="password"
                        required=true autocomplete="new-password" hint="At least 10 characters."
                        error=field_error(add, "password") />
                    <button type="submit" class="button">"Add login"</button>
                </ActionForm>
            })}
            <FormError action=toggle />
            {if logins.is_empty() {
                view! { <p class="empty-state">"No client logins yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="item-list">
                        {logins.into_iter().map(|u| {
                            let disabled = u.disabled_at.is_some();
                            view! {
                                <li>
                                    <div>
                                        <span class="item-title">{u.email.clone()}</span>
                                        " "
                                        {if disabled {
                                            view! { <StatusBadge text="Disabled" tone="muted" /> }
                                        } else {
                                            view! { <StatusBadge text="Active" tone="ok" /> }
                                        }}
                                        <p class="muted small">
                                            {format!("Last sign-in: {}", u.last_login_at.map(format_time).unwrap_or_else(|| "never".into()))}
                                        </p>
                                    </div>
                                    {can_edit.then(|| view! { <LoginToggle user_id=u.id email=u.email.clone() disabled action=toggle /> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Disable (with confirmation) or re-enable a login.
#[component]
pub fn LoginToggle(
    user_id: i64,
    email: String,
    disabled: bool,
    action: ServerAction<SetLoginDisabled>,
) -> impl IntoView {
    if disabled {
        view! {
            <ActionForm action=action>
                <input type="hidden" name="user_id" value=user_id />
                <input type="hidden" name="disabled" value="false" />
                <button type="submit" class="button button-small">"Enable"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <ConfirmAction label="Disable…" question=format!("Disable {email}? They will be signed out and cannot sign in.")>
                <ActionForm action=action>
                    <input type="hidden" name="user_id" value=user_id />
                    <input type="hidden" name="disabled" value="true" />
                    <button type="submit" class="button button-danger">"Yes, disable"</button>
                </ActionForm>
            </ConfirmAction>
        }
        .into_any()
    }
}

#[component]
fn ProjectsSection(account_id: i64, projects: Vec<ProjectInfo>, can_edit: bool) -> impl IntoView {
    let create = expect_context::<Actions>().create_project;
    view! {
        <section class="card" aria-labelledby="projects-heading">
            <h2 id="projects-heading">"Projects"</h2>
            {can_edit.then(|| view! {
                <ActionForm action=create node_ref=reset_on_success(create) attr:class="inline-fields">
                    <FormError action=create />
                    <input type="hidden" name="account_id" value=account_id />
                    <Field id="project-new-name" name="name" label="Project name" required=true
                        error=field_error(create, "name") />
                    <button type="submit" class="button">"Create project"</button>
                </ActionForm>
            })}
            {if projects.is_empty() {
                view! { <p class="empty-state">"No projects yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="item-list">
                        {projects.into_iter().map(|p| view! {
                            <li>
                                <div>
                                    <A href=format!("/projects/{}", p.id)>{p.name}</A>
                                    <p class="muted small">{format!("Project id {} · created {}", p.id, format_time(p.created_at))}</p>
                                </div>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn AuditSection(entries: Vec<AuditEntry>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit trail"</h2>
            {if entries.is_empty() {
                view! { <p class="empty-state">"Nothing recorded yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"What"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {entries.into_iter().map(|e| view! {
                                    <tr>
                                        <td class="nowrap">{format_time(e.at)}</td>
                                        <td>{e.actor_email}</td>
                                        <td>{e.detail}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
