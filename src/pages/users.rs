//! Users for support: the searchable Users list and a user's profile with its timeline of emails, each
//! with its status history and the webhooks about it.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Form},
    hooks::use_params,
    location::Url,
};

use crate::{
    components::{ConfirmAction, EMAIL_STATUSES, EmailStatus, FormError, StatusBadge},
    domain::{Role, UserParams},
    error::AppError,
    model::{
        KeysetPage, SessionUser, TimelineEmail, UserChangeEntry, UserProfile, UserSummary,
        WebhookDelivery, format_time, subscription_state,
    },
    pages::{
        params::{IdParams, TimelineQuery, UsersQuery, use_list_query},
        webhooks::DeliveryStatus,
    },
    server_fns::users::{
        RevealUserAk, SetUserSubscribed, get_user_profile, list_user_changes, list_user_webhooks,
        list_users, user_project_choices, user_timeline,
    },
};

/// A subscription state as a badge.
#[component]
fn SubscriptionBadge(state: &'static str) -> impl IntoView {
    let (text, tone) = match state {
        "suppressed" => ("Suppressed", "danger"),
        "unsubscribed" => ("Unsubscribed", "warn"),
        _ => ("Subscribed", "ok"),
    };
    view! { <StatusBadge text tone /> }
}

/// `/users`: search by address (or its beginning), user id or `client_user_id`; filter by project and
/// subscription state; keyset pages.
#[component]
pub fn UsersPage() -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let staff = me.role.is_staff();
    let query = use_list_query::<UsersQuery>();
    let choices = Resource::new(|| (), |_| user_project_choices());
    let users = Resource::new(
        move || query.get(),
        |q| {
            list_users(
                q.q.clone().unwrap_or_default(),
                q.project_id(),
                q.state.clone().unwrap_or_default(),
                q.after.clone().unwrap_or_default(),
                q.before.clone().unwrap_or_default(),
                q.account_id(),
                q.last_status.clone().unwrap_or_default(),
                q.sort.clone().unwrap_or_default(),
            )
        },
    );
    view! {
        <Title text="Users" />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"Users"</span></nav>
                <h1>"Users"</h1>
                <p class="lead">"The people your projects email: created by their first send, updated by the API. Open one to see every email it got and how each went."</p>
            </div>
        </div>
        <section class="card" aria-labelledby="users-heading">
            <div class="card-header">
                <h2 id="users-heading">"Find users"</h2>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let q = query.get_untracked();
                    let projects = choices.await.unwrap_or_default();
                    let project_id = q.project_id();
                    let account_id = q.account_id();
                    let state = q.state.clone().unwrap_or_default();
                    let last_status = q.last_status.clone().unwrap_or_default();
                    let by_activity = q.sort.as_deref() == Some("activity");
                    let mut accounts: Vec<(i64, String)> = projects.iter().map(|p| (p.account_id, p.account_name.clone())).collect();
                    accounts.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
                    accounts.dedup();
                    view! {
                        <Form method="GET" action="/users" attr:class="filter-form users-filter" attr:role="search">
                            <label for="users-q">"Email, user id or client_user_id"</label>
                            <input id="users-q" type="search" name="q" value=q.q.clone().unwrap_or_default()
                                placeholder="anna@ or 1042" autocomplete="off" />
                            {staff.then(|| view! {
                                <label for="users-account">"Account"</label>
                                <select id="users-account" name="account">
                                    <option value="" selected=account_id == 0>"All accounts"</option>
                                    {accounts.into_iter().map(|(id, name)| view! { <option value=id selected=id == account_id>{name}</option> }).collect_view()}
                                </select>
                            })}
                            <label for="users-project">"Project"</label>
                            <select id="users-project" name="project">
                                <option value="" selected=project_id == 0>"All projects"</option>
                                {projects.into_iter().map(|p| {
                                    let label = if staff { format!("{} · {}", p.account_name, p.name) } else { p.name };
                                    view! { <option value=p.id selected=p.id == project_id>{label}</option> }
                                }).collect_view()}
                            </select>
                            <label for="users-state">"Subscription"</label>
                            <select id="users-state" name="state">
                                {[("", "Any"), ("subscribed", "Subscribed"), ("unsubscribed", "Unsubscribed"), ("suppressed", "Suppressed")]
                                    .into_iter()
                                    .map(|(value, label)| view! { <option value=value selected=state == value>{label}</option> })
                                    .collect_view()}
                            </select>
                            <label for="users-last-status">"Latest email"</label>
                            <select id="users-last-status" name="last_status">
                                <option value="">"Any status"</option>
                                {EMAIL_STATUSES.into_iter().map(|s| view! { <option value=s selected=last_status == s>{s}</option> }).collect_view()}
                            </select>
                            <label for="users-sort">"Order"</label>
                            <select id="users-sort" name="sort">
                                <option value="" selected=!by_activity>"Newest users first"</option>
                                <option value="activity" selected=by_activity>"Latest email first"</option>
                            </select>
                            <button type="submit" class="button">"Search"</button>
                        </Form>
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                {move || Suspend::new(async move {
                    let q = query.get_untracked();
                    let searching = q.q.as_deref().is_some_and(|s| !s.trim().is_empty());
                    match users.await {
                        Ok(found) => {
                            let exact = (!found.exact.is_empty()).then(|| view! {
                                <h3 class="subheading">"Exact matches (user id or client_user_id)"</h3>
                                <UsersTable users=found.exact staff />
                            });
                            let list = if found.page.items.is_empty() {
                                let text = if searching {
                                    "No user's address starts with that. Addresses are stored lowercase, as sends normalize them."
                                } else if q.filtered() {
                                    "No user matches these filters."
                                } else {
                                    "No users yet. A user is created by the first email sent to them through the API."
                                };
                                view! { <p class="empty-state">{text}</p> }.into_any()
                            } else {
                                let by_activity = q.sort.as_deref() == Some("activity");
                                let heading = (searching && !by_activity).then(|| view! { <h3 class="subheading">"Addresses starting with it"</h3> });
                                // By latest email, "previous" is back to the newest.
                                let prev = if by_activity {
                                    q.after.as_deref().is_some_and(|a| !a.is_empty()).then(|| q.href(None))
                                } else {
                                    found.page.prev.as_deref().map(|c| q.href(Some(("before", c))))
                                };
                                let next = found.page.next.as_deref().map(|c| q.href(Some(("after", c))));
                                view! {
                                    {heading}
                                    <UsersTable users=found.page.items staff />
                                    <KeysetNav prev next label="Users pages" />
                                }.into_any()
                            };
                            view! { {exact} {list} }.into_any()
                        }
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// "Previous" and "Next" links of a keyset-paged list.
#[component]
pub fn KeysetNav(prev: Option<String>, next: Option<String>, label: &'static str) -> impl IntoView {
    view! {
        <nav class="pagination" aria-label=label>
            {match prev {
                Some(h) => view! { <A href=h attr:rel="prev">"← Previous"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
            }}
            {match next {
                Some(h) => view! { <A href=h attr:rel="next">"Next →"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
}

#[component]
fn UsersTable(users: Vec<UserSummary>, staff: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="users">
                <thead>
                    <tr>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"client_user_id"</th>
                        <th scope="col">"Project"</th>
                        <th scope="col">"Subscription"</th>
                        <th scope="col">"Latest email"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {users.into_iter().map(|u| {
                        let state = u.state();
                        let project = if staff { format!("{} · {}", u.account_name, u.project_name) } else { u.project_name.clone() };
                        view! {
                            <tr>
                                <td><A href=format!("/users/{}", u.id)>{u.email}</A></td>
                                <td>{u.name.unwrap_or_default()}</td>
                                <td>{u.client_user_id.map(|c| view! { <code>{c}</code> })}</td>
                                <td>{project}</td>
                                <td><SubscriptionBadge state /></td>
                                <td class="nowrap">{match (u.last_status, u.last_email_at) {
                                    (Some(status), Some(at)) => view! { <EmailStatus status /> " " <span class="small">{format_time(at)}</span> }.into_any(),
                                    _ => view! { <span class="muted">"—"</span> }.into_any(),
                                }}</td>
                                <td class="nowrap">{format_time(u.created_at)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/users/{id}`: the user's parameters, subscription, and timeline.
#[component]
pub fn UserProfilePage() -> impl IntoView {
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let change = ServerAction::<SetUserSubscribed>::new();
    let profile = Resource::new(
        move || (id(), change.version().get()),
        |(id, _)| get_user_profile(id),
    );
    // Made here, outside the `Suspend`, like every resource of a page (see `email_types_resource`).
    let timeline = Timeline::new(id);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the user…"</p> }>
            {move || Suspend::new(async move {
                match profile.await {
                    Ok(profile) => view! { <Profile profile change timeline /> }.into_any(),
                    Err(e) => view! {
                        <Title text="User" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/users">"Users"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Profile(
    profile: UserProfile,
    change: ServerAction<SetUserSubscribed>,
    timeline: Timeline,
) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_change = me.role != Role::Support;
    let user = profile.user.clone();
    let state = subscription_state(user.subscribed, user.suppressed_reason.as_deref());
    let cause = profile.cause.clone();
    let standing = match (state, user.suppressed_reason.as_deref()) {
        ("suppressed", Some("bounced")) => {
            "Emails to this user are not sent: the address bounced hard."
        }
        ("suppressed", _) => "Emails to this user are not sent: they reported an email as spam.",
        ("unsubscribed", _) => {
            "This user unsubscribed: trigger emails to them are not sent (sends answer status suppressed)."
        }
        _ => "This user receives the project's emails.",
    };
    let since = profile.suppressed_at.filter(|_| state != "subscribed");
    let user_id = user.id;
    view! {
        <Title text=user.email.clone() />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/users">"Users"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">{user.email.clone()}</span>
                </nav>
                <h1>{user.email.clone()}</h1>
                <p class="lead">
                    {format!("User {} of ", user.id)}
                    <A href=format!("/projects/{}", user.project_id)>{profile.project_name.clone()}</A>
                    {format!(" ({}) · created {} · updated {} · {} email{}", profile.account_name, format_time(user.created_at),
                        format_time(user.updated_at), profile.email_count, if profile.email_count == 1 { "" } else { "s" })}
                </p>
            </div>
        </div>
        <div class="grid-2">
            <section class="card" aria-labelledby="subscription-heading">
                <h2 id="subscription-heading">"Subscription"</h2>
                <p><SubscriptionBadge state /> " " {standing}</p>
                {since.map(|at| view! { <p class="muted small">{format!("Since {}", format_time(at))}</p> })}
                {cause.map(|c| view! {
                    <p class="small">
                        {format!(
                            "Cause: {} on {}{} · ",
                            c.status,
                            format_time(c.at),
                            c.detail.map(|d| format!(" ({d})")).unwrap_or_default(),
                        )}
                        <A href=format!("/emails/{}", Url::escape(&c.message_id))>"the email"</A>
                    </p>
                })}
                <FormError action=change />
                {can_change.then(|| if state == "subscribed" {
                    view! {
                        <ConfirmAction label="Unsubscribe" question=format!("Stop sending trigger emails to {}? Sends to them will answer status suppressed until they are resubscribed.", user.email)>
                            <ActionForm action=change>
                                <input type="hidden" name="user_id" value=user_id />
                                <input type="hidden" name="subscribed" value="false" />
                                <button type="submit" class="button button-danger">"Unsubscribe"</button>
                            </ActionForm>
                        </ConfirmAction>
                    }.into_any()
                } else {
                    let label = if state == "suppressed" { "Lift suppression" } else { "Resubscribe" };
                    view! {
                        <ConfirmAction label question=format!("Send emails to {} again? Only do this when the person asked for it or the address works again.", user.email)>
                            <ActionForm action=change>
                                <input type="hidden" name="user_id" value=user_id />
                                <input type="hidden" name="subscribed" value="true" />
                                <button type="submit" class="button button-danger">{label}</button>
                            </ActionForm>
                        </ConfirmAction>
                    }.into_any()
                })}
            </section>
            <ParametersCard params=user.params.clone() has_ak=profile.has_ak user_id />
        </div>
        <TimelineSection user_id timeline />
    }
}

/// The ten parameters; `ak` stays hidden until "Reveal" (which the audit trail records).
#[component]
fn ParametersCard(params: UserParams, has_ak: bool, user_id: i64) -> impl IntoView {
    let reveal = ServerAction::<RevealUserAk>::new();
    let revealed = move || {
        reveal
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    };
    let json = serde_json::to_value(&params).unwrap_or_default();
    let rows = UserParams::NAMES
        .into_iter()
        .filter(|name| *name != "ak")
        .map(|name| {
            let value = match json.get(name) {
                None | Some(serde_json::Value::Null) => {
                    view! { <span class="muted">"—"</span> }.into_any()
                }
                Some(serde_json::Value::String(s)) => view! { <span>{s.clone()}</span> }.into_any(),
                Some(other) => view! { <span>{other.to_string()}</span> }.into_any(),
            };
            view! { <dt><code>{name}</code></dt><dd>{value}</dd> }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="params-heading">
            <h2 id="params-heading">"Parameters"</h2>
            <dl class="params">
                {rows}
                <dt><code>"ak"</code></dt>
                <dd>
                    {if has_ak {
                        view! {
                            {move || match revealed() {
                                Some(ak) => view! { <code class="wrap">{ak}</code> }.into_any(),
                                None => view! {
                                    <span aria-label="hidden">"••••••••"</span>
                                    " "
                                    <ActionForm action=reveal attr:class="inline-form">
                                        <input type="hidden" name="user_id" value=user_id />
                                        <button type="submit" class="button button-small">"Reveal"</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                            <FormError action=reveal />
                        }.into_any()
                    } else {
                        view! { <span class="muted">"—"</span> }.into_any()
                    }}
                </dd>
            </dl>
            <p class="muted small">"Revealing ak is recorded in the audit trail."</p>
        </section>
    }
}

/// A profile's timeline resources: the emails (each with its status history and webhooks; filter by
/// status), the parameter changes (`?kind=changes`) or the webhooks (`?kind=webhooks`) of the page's
/// user, as the URL's query asks.
#[derive(Clone, Copy)]
pub struct Timeline {
    query: Signal<TimelineQuery>,
    #[allow(clippy::type_complexity)]
    emails: Resource<Option<Result<KeysetPage<TimelineEmail>, AppError>>>,
    #[allow(clippy::type_complexity)]
    changes: Resource<Option<Result<KeysetPage<UserChangeEntry>, AppError>>>,
    #[allow(clippy::type_complexity)]
    webhooks: Resource<Option<Result<KeysetPage<WebhookDelivery>, AppError>>>,
}

impl Timeline {
    fn new(user_id: impl Fn() -> i64 + Copy + Send + Sync + 'static) -> Timeline {
        let query = use_list_query::<TimelineQuery>();
        let emails = Resource::new(
            move || (user_id(), query.get()),
            move |(user_id, q)| async move {
                if q.kind.as_deref().is_some_and(|k| !k.is_empty()) {
                    return None;
                }
                let status = q.status.clone().unwrap_or_default();
                Some(user_timeline(user_id, status, q.before.clone().unwrap_or_default()).await)
            },
        );
        let changes = Resource::new(
            move || (user_id(), query.get()),
            move |(user_id, q)| async move {
                if q.kind.as_deref() != Some("changes") {
                    return None;
                }
                Some(list_user_changes(user_id, q.before.clone().unwrap_or_default()).await)
            },
        );
        let webhooks = Resource::new(
            move || (user_id(), query.get()),
            move |(user_id, q)| async move {
                if q.kind.as_deref() != Some("webhooks") {
                    return None;
                }
                Some(list_user_webhooks(user_id, q.before.clone().unwrap_or_default()).await)
            },
        );
        Timeline {
            query,
            emails,
            changes,
            webhooks,
        }
    }
}

#[component]
fn TimelineSection(user_id: i64, timeline: Timeline) -> impl IntoView {
    let Timeline {
        query,
        emails: timeline,
        changes,
        webhooks,
    } = timeline;
    let kind = move || query.with(|q| q.kind.clone().unwrap_or_default());
    let emails_shown = move || kind().is_empty();
    let tab = move |tab_kind: &'static str, label: &'static str| {
        let href = if tab_kind.is_empty() {
            format!("/users/{user_id}")
        } else {
            format!("/users/{user_id}?kind={tab_kind}")
        };
        view! {
            // A plain link: the router's `A` would mark every tab as current (they share the path).
            <a href=href class="tab-link" aria-current=move || (kind() == tab_kind).then_some("page")>{label}</a>
        }
    };
    view! {
        <section class="card" aria-labelledby="timeline-heading">
            <div class="card-header">
                <h2 id="timeline-heading">"Timeline"</h2>
                <nav class="tab-links" aria-label="Timeline kind">
                    {tab("", "Emails")}
                    {tab("changes", "Parameter changes")}
                    {tab("webhooks", "Webhooks")}
                </nav>
                {move || emails_shown().then(|| view! {
                    <Form method="GET" action="" attr:class="filter-form">
                        <label for="timeline-status">"Status"</label>
                        <select id="timeline-status" name="status">
                            <option value="">"Any"</option>
                            {
                                let current = query.with(|q| q.status.clone().unwrap_or_default());
                                EMAIL_STATUSES.into_iter().map(|s| view! {
                                    <option value=s selected=current == s>{s}</option>
                                }).collect_view()
                            }
                        </select>
                        <button type="submit" class="button button-small">"Filter"</button>
                    </Form>
                })}
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let q = query.get_untracked();
                    match (timeline.await, changes.await, webhooks.await) {
                        (Some(Ok(page)), _, _) => view! { <Timeline page user_id q /> }.into_any(),
                        (_, Some(Ok(page)), _) => view! { <ChangesList page user_id /> }.into_any(),
                        (_, _, Some(Ok(page))) => view! { <WebhooksList page user_id /> }.into_any(),
                        (Some(Err(e)), _, _) | (_, Some(Err(e)), _) | (_, _, Some(Err(e))) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                        (None, None, None) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The webhooks about a user's emails, newest first: event, email, outcome, tries, last HTTP status.
#[component]
fn WebhooksList(page: KeysetPage<WebhookDelivery>, user_id: i64) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty-state">"No webhooks about this user's emails: its project and account have no Webhooks URL, or no event happened yet."</p> }.into_any();
    }
    let older = page
        .next
        .as_deref()
        .map(|c| format!("/users/{user_id}?kind=webhooks&before={}", Url::escape(c)));
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr><th scope="col">"Created"</th><th scope="col">"Event"</th><th scope="col">"Email"</th><th scope="col">"Status"</th><th scope="col" class="num">"Tries"</th><th scope="col" class="num">"Last HTTP status"</th></tr></thead>
                <tbody>
                    {page.items.into_iter().map(|w| view! {
                        <tr>
                            <td class="nowrap"><A href=format!("/webhooks/{}", w.id)>{format_time(w.created_at)}</A></td>
                            <td><code>{w.event_type.clone()}</code></td>
                            <td>{w.email_message_id.clone().map(|m| view! { <A href=format!("/emails/{}", Url::escape(&m))><code class="wrap">{m.clone()}</code></A> })}</td>
                            <td><span class="badge">{w.status.clone()}</span></td>
                            <td class="num">{w.attempts}</td>
                            <td class="num">{w.last_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pagination" aria-label="Webhook pages">
            <A href=format!("/users/{user_id}?kind=webhooks")>"← Newest"</A>
            {match older {
                Some(h) => view! { <A href=h attr:rel="next">"Older →"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"Older →"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

/// The changes of a user's parameters and subscription, newest first.
#[component]
fn ChangesList(page: KeysetPage<UserChangeEntry>, user_id: i64) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty-state">"No changes recorded: the user has the parameters of its first send."</p> }.into_any();
    }
    let older = page
        .next
        .as_deref()
        .map(|c| format!("/users/{user_id}?kind=changes&before={}", Url::escape(c)));
    let shown = |v: Option<String>| match v {
        Some(v) => view! { <code>{v}</code> }.into_any(),
        None => view! { <span class="muted">"not set"</span> }.into_any(),
    };
    view! {
        <div class="table-wrap">
            <table>
                <thead><tr><th scope="col">"Time"</th><th scope="col">"Field"</th><th scope="col">"Before"</th><th scope="col">"After"</th><th scope="col">"By"</th></tr></thead>
                <tbody>
                    {page.items.into_iter().map(|c| {
                        let hidden = c.field == "ak";
                        let by = c.source_label();
                        view! {
                            <tr>
                                <td class="nowrap">{format_time(c.at)}</td>
                                <td><code>{c.field}</code></td>
                                {if hidden {
                                    view! { <td colspan="2" class="muted">"changed (the value stays hidden)"</td> }.into_any()
                                } else {
                                    view! { <td>{shown(c.old)}</td><td>{shown(c.new)}</td> }.into_any()
                                }}
                                <td class="small">{by}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pagination" aria-label="Changes pages">
            <A href=format!("/users/{user_id}?kind=changes")>"← Newest"</A>
            {match older {
                Some(h) => view! { <A href=h attr:rel="next">"Older →"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"Older →"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

#[component]
fn Timeline(page: KeysetPage<TimelineEmail>, user_id: i64, q: TimelineQuery) -> impl IntoView {
    let status = q.status.clone().unwrap_or_default();
    let status_part = if status.is_empty() {
        String::new()
    } else {
        format!("status={}&", Url::escape(&status))
    };
    let first_page = q.before.as_deref().is_some_and(|b| !b.is_empty());
    let newest = first_page.then(|| format!("/users/{user_id}?{status_part}"));
    let older = page
        .next
        .as_deref()
        .map(|c| format!("/users/{user_id}?{status_part}before={}", Url::escape(c)));
    if page.items.is_empty() {
        let text = if status.is_empty() {
            "No emails yet."
        } else {
            "No email of this user is in that status."
        };
        return view! { <p class="empty-state">{text}</p> }.into_any();
    }
    view! {
        <ol class="timeline">
            {page.items.into_iter().map(|email| view! { <TimelineItem email /> }).collect_view()}
        </ol>
        <nav class="pagination" aria-label="Timeline pages">
            {match newest {
                Some(h) => view! { <A href=h>"← Newest"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"← Newest"</span> }.into_any(),
            }}
            {match older {
                Some(h) => view! { <A href=h attr:rel="next">"Older →"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"Older →"</span> }.into_any(),
            }}
        </nav>
    }
    .into_any()
}

#[component]
fn TimelineItem(email: TimelineEmail) -> impl IntoView {
    let href = format!("/emails/{}", Url::escape(&email.message_id));
    view! {
        <li class="timeline-item">
            <div class="timeline-head">
                <A href=href><strong>{email.type_name}</strong></A>
                " "
                <span class="badge badge-muted">{email.category}</span>
                " "
                <EmailStatus status=email.status />
                <span class="muted small nowrap">{format_time(email.created_at)}</span>
            </div>
            {email.subject.map(|s| view! { <div class="timeline-subject">{s}</div> })}
            <div class="muted small"><code class="wrap">{email.message_id}</code></div>
            <ol class="status-history" aria-label="Status history">
                {email.events.into_iter().map(|e| view! {
                    <li>
                        <EmailStatus status=e.status />
                        " "
                        <span class="small nowrap">{format_time(e.at)}</span>
                        {e.detail.map(|d| view! { " " <span class="muted small">{d}</span> })}
                    </li>
                }).collect_view()}
            </ol>
            {(!email.webhooks.is_empty()).then(|| view! {
                <ul class="timeline-webhooks" aria-label="Webhooks">
                    {email.webhooks.into_iter().map(|w| view! {
                        <li class="small">
                            "Webhook " <code>{w.event_type}</code> " "
                            <DeliveryStatus status=w.status />
                            {format!(" · {} attempt{}", w.attempts, if w.attempts == 1 { "" } else { "s" })}
                            {w.last_status.map(|s| format!(" · HTTP {s}"))}
                            " · " <A href=format!("/webhooks/{}", w.id)>"Attempts"</A>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </li>
    }
}
