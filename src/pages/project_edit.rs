//! `/projects/{id}/edit`: a project's editor with two tabs, each its own URL (`?tab=general`,
//! `?tab=additional`) so that it works without JavaScript; once hydrated, the arrow keys move
//! between the tabs. General: name and sender. Additional: the Webhooks URL, the event types, the
//! signing secret, a test event and the latest deliveries. Support sees it all read-only.
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_meta::Title;
use leptos_router::{
    NavigateOptions,
    components::A,
    hooks::{use_navigate, use_params},
};

use crate::{
    components::{ConfirmAction, CopyButton, Field, FormError, SaveNote, StatusBadge, field_error},
    domain::{Role, WEBHOOK_EVENTS},
    error::AppError,
    model::{ProjectInfo, SessionUser, WebhookOverview, format_time},
    pages::{
        params::{IdParams, TabQuery, use_list_query},
        webhooks::DeliveriesTable,
    },
    server_fns::{
        projects::SaveProjectGeneral,
        webhooks::{
            RevealWebhookSecret, RotateWebhookSecret, SendTestWebhook, SetProjectWebhooks,
            project_webhooks,
        },
    },
};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tab {
    General,
    Additional,
}

impl Tab {
    const ALL: [Tab; 2] = [Tab::General, Tab::Additional];

    fn from_query(tab: Option<&str>) -> Tab {
        match tab {
            Some("additional") => Tab::Additional,
            _ => Tab::General,
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Tab::General => "general",
            Tab::Additional => "additional",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::General => "General",
            Tab::Additional => "Additional",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// The editor's actions, made once by the page so that their results outlive a refetch.
#[derive(Clone, Copy)]
struct Actions {
    general: ServerAction<SaveProjectGeneral>,
    webhooks: ServerAction<SetProjectWebhooks>,
    reveal: ServerAction<RevealWebhookSecret>,
    rotate: ServerAction<RotateWebhookSecret>,
    test: ServerAction<SendTestWebhook>,
    /// The newest secret the page was given: a rotation's answer, else a reveal's.
    secret: RwSignal<Option<String>>,
}

/// Counts the successes of an action in `counter`: the page refetches after a success only, so that
/// a refused Save keeps what was typed.
fn count_successes<S>(action: ServerAction<S>, counter: RwSignal<usize>)
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            counter.update(|n| *n += 1);
        }
    });
}

#[component]
pub fn ProjectEditPage() -> impl IntoView {
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let query = use_list_query::<TabQuery>();
    let tab = Memo::new(move |_| query.with(|q| Tab::from_query(q.tab.as_deref())));
    let actions = Actions {
        general: ServerAction::new(),
        webhooks: ServerAction::new(),
        reveal: ServerAction::new(),
        rotate: ServerAction::new(),
        test: ServerAction::new(),
        secret: RwSignal::new(None),
    };
    Effect::new(move |_| {
        if let Some(Ok(secret)) = actions.reveal.value().get() {
            actions.secret.set(Some(secret));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(secret)) = actions.rotate.value().get() {
            actions.secret.set(Some(secret));
        }
    });
    let saved = RwSignal::new(0usize);
    count_successes(actions.general, saved);
    count_successes(actions.webhooks, saved);
    count_successes(actions.rotate, saved);
    count_successes(actions.test, saved);
    provide_context(actions);
    let data = Resource::new(move || (id(), saved.get()), |(id, _)| project_webhooks(id));
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading project…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => view! { <Editor data tab /> }.into_any(),
                    Err(e) => view! {
                        <Title text="Edit project" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Editor(data: WebhookOverview, tab: Memo<Tab>) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_change = me.role != Role::Support;
    let p = data.project.clone();
    let base = format!("/projects/{}/edit", p.id);
    let heading = format!("Edit {}", p.name);
    view! {
        <Title text=heading.clone() />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/projects">"Projects"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=format!("/projects/{}", p.id)>{p.name.clone()}</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">"Edit"</span>
                </nav>
                <h1>{heading}</h1>
                {(!can_change).then(|| view! {
                    <p class="lead">"Read-only: support staff see the settings but cannot change them."</p>
                })}
            </div>
        </div>
        <div class="card tabbed">
            <TabList tab base />
            {move || {
                let current = tab.get();
                let panel = match current {
                    Tab::General => view! { <GeneralPanel project=data.project.clone() can_change /> }.into_any(),
                    Tab::Additional => view! { <AdditionalPanel data=data.clone() can_change /> }.into_any(),
                };
                view! {
                    <div role="tabpanel" class="tab-panel" id=format!("panel-{}", current.slug())
                        aria-labelledby=format!("tab-{}", current.slug()) tabindex="0">
                        {panel}
                    </div>
                }
            }}
        </div>
    }
}

/// The tabs as links (`?tab=…`); after hydration only the selected one is in the Tab order and
/// Left/Right/Home/End move between them, as the ARIA tabs pattern has it.
#[component]
fn TabList(tab: Memo<Tab>, base: String) -> impl IntoView {
    let navigate = use_navigate();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let refs = Tab::ALL.map(|_| NodeRef::<leptos::html::A>::new());
    let go = {
        let base = base.clone();
        move |to: Tab| {
            navigate(
                &format!("{base}?tab={}", to.slug()),
                NavigateOptions::default(),
            );
            if let Some(link) = refs[to.index()].get_untracked() {
                let _ = link.focus();
            }
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let last = Tab::ALL.len() - 1;
        let at = tab.get_untracked().index();
        let to = match ev.key().as_str() {
            "ArrowRight" => (at + 1) % Tab::ALL.len(),
            "ArrowLeft" => (at + last) % Tab::ALL.len(),
            "Home" => 0,
            "End" => last,
            _ => return,
        };
        ev.prevent_default();
        go(Tab::ALL[to]);
    };
    view! {
        <div role="tablist" aria-label="Project settings" class="page-tabs" on:keydown=on_keydown>
            {Tab::ALL.into_iter().map(|t| {
                let selected = move || tab.get() == t;
                view! {
                    <a role="tab" id=format!("tab-{}", t.slug()) node_ref=refs[t.index()]
                        href=format!("{base}?tab={}", t.slug())
                        class="page-tab" class:active=selected
                        aria-selected=move || if selected() { "true" } else { "false" }
                        aria-controls=move || selected().then(|| format!("panel-{}", t.slug()))
                        tabindex=move || (hydrated.get() && !selected()).then_some("-1")>
                        {t.label()}
                    </a>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn GeneralPanel(project: ProjectInfo, can_change: bool) -> impl IntoView {
    let save = expect_context::<Actions>().general;
    if !can_change {
        return view! {
            <dl class="details">
                <dt>"Name"</dt><dd>{project.name.clone()}</dd>
                <dt>"From address"</dt><dd>{project.sender_email.clone().unwrap_or_else(|| "The installation's default no-reply address".into())}</dd>
                <dt>"From name"</dt><dd>{project.sender_name.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
        }
        .into_any();
    }
    view! {
        <ActionForm action=save attr:class="stack narrow-form">
            <FormError action=save />
            <SaveNote action=save message="Project saved." />
            <input type="hidden" name="project_id" value=project.id />
            <Field id="project-name" name="name" label="Name" required=true value=project.name.clone()
                error=field_error(save, "name") />
            <Field id="sender-email" name="sender_email" label="From address" kind="email"
                value=project.sender_email.clone().unwrap_or_default()
                hint="Leave empty for the installation's default no-reply address."
                error=field_error(save, "sender_email") />
            <Field id="sender-name" name="sender_name" label="From name"
                value=project.sender_name.clone().unwrap_or_default()
                error=field_error(save, "sender_name") />
            <div>
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save"</button>
            </div>
        </ActionForm>
    }
    .into_any()
}

/// Which URL the project's events go to, in words.
fn url_in_effect(project: &ProjectInfo) -> String {
    match (&project.webhook_url, &project.account_webhook_url) {
        (Some(url), _) => format!("In effect: this project's URL, {url}"),
        (None, Some(url)) => format!("In effect: the account's URL, {url}"),
        (None, None) => {
            "In effect: none. Neither this project nor its account has a URL, so events are recorded but not sent.".into()
        }
    }
}

#[component]
fn AdditionalPanel(data: WebhookOverview, can_change: bool) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let p = data.project.clone();
    view! {
        <section aria-labelledby="webhooks-heading">
            <h2 id="webhooks-heading">"Where webhooks go"</h2>
            <p class="muted small intro">"Mailroom posts each event of this project's emails, signed, to this URL."</p>
            {if can_change {
                view! { <WebhooksForm project=p.clone() /> }.into_any()
            } else {
                view! {
                    <dl class="details">
                        <dt>"Webhooks"</dt><dd>{p.webhook_url.clone().unwrap_or_else(|| "(empty: the account's URL)".into())}</dd>
                        <dt>"Event types"</dt><dd>{event_names(p.webhook_events)}</dd>
                    </dl>
                    <p class="in-effect">{url_in_effect(&p)}</p>
                }.into_any()
            }}
            <div class="account-url">
                <h3>"Account-wide Webhooks URL"</h3>
                <p>{match &p.account_webhook_url {
                    Some(url) => view! { <code class="wrap" id="account-webhook-url">{url.clone()}</code> }.into_any(),
                    None => view! { <span class="muted" id="account-webhook-url">"Not set"</span> }.into_any(),
                }}</p>
                {if me.role == Role::Csm {
                    view! {
                        <p class="hint">"Used by every project of "{p.account_name.clone()}" that has no URL of its own. "
                            <A href=format!("/accounts/{}", p.account_id)>"Change it on the account page"</A></p>
                    }.into_any()
                } else {
                    view! { <p class="hint">"Read-only. Contact your CSM to change it."</p> }.into_any()
                }}
            </div>
        </section>
        <SecretSection project_id=p.id previous_until=data.previous_secret_until can_change />
        {can_change.then(|| view! { <TestSection project_id=p.id /> })}
        <section aria-labelledby="latest-heading">
            <div class="section-header">
                <h2 id="latest-heading">"Latest deliveries"</h2>
                <A href=format!("/projects/{}/webhooks", p.id)>"All deliveries →"</A>
            </div>
            {if data.latest.is_empty() {
                view! { <p class="empty-state">"No deliveries yet."</p> }.into_any()
            } else {
                view! { <DeliveriesTable items=data.latest.clone() /> }.into_any()
            }}
        </section>
    }
}

/// The chosen event types as words.
fn event_names(set: Option<i64>) -> String {
    let names: Vec<&str> = WEBHOOK_EVENTS
        .iter()
        .enumerate()
        .filter(|(i, _)| set.is_none_or(|s| s & (1 << i) != 0))
        .map(|(_, (_, _, label))| *label)
        .collect();
    if names.is_empty() {
        "None".into()
    } else {
        names.join(", ")
    }
}

#[component]
fn WebhooksForm(project: ProjectInfo) -> impl IntoView {
    let save = expect_context::<Actions>().webhooks;
    let events_error = field_error(save, "events");
    view! {
        // The server checks the URL and says what is wrong beside the field (the browser's own check
        // of type="url" would stop "not a url" first, with a vaguer message).
        <ActionForm action=save attr:class="stack" attr:novalidate=true>
            <FormError action=save />
            <SaveNote action=save message="Webhook settings saved." />
            <input type="hidden" name="project_id" value=project.id />
            <Field id="webhook-url" name="webhook_url" label="Webhooks" kind="url"
                value=project.webhook_url.clone().unwrap_or_default()
                hint="An https:// address. Leave empty to use the account's URL."
                error=field_error(save, "webhook_url") />
            <p class="in-effect">{url_in_effect(&project)}</p>
            <fieldset class="checkboxes">
                <legend>"Event types"</legend>
                <p class="hint">"The events this project's webhooks carry; all by default."</p>
                <div class="checkbox-grid">
                    {WEBHOOK_EVENTS.iter().enumerate().map(|(i, (status, kind, label))| {
                        let checked = project.webhook_events.is_none_or(|set| set & (1 << i) != 0);
                        let id = format!("event-{status}");
                        view! {
                            <label class="checkbox" for=id.clone()>
                                <input type="checkbox" id=id.clone() name="events[]" value=*status checked=checked />
                                " " {*label} " " <code class="muted">{*kind}</code>
                            </label>
                        }
                    }).collect_view()}
                </div>
                {move || events_error.get().map(|m| view! { <p class="field-error">{format!("Event types {m}")}</p> })}
            </fieldset>
            <div>
                <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save"</button>
            </div>
        </ActionForm>
    }
}

/// The signing secret: hidden until revealed, copyable, and rotated with confirmation.
#[component]
fn SecretSection(project_id: i64, previous_until: Option<i64>, can_change: bool) -> impl IntoView {
    let Actions {
        reveal,
        rotate,
        secret: shown,
        ..
    } = expect_context::<Actions>();
    let rotated = move || rotate.value().with(|v| matches!(v, Some(Ok(_))));
    view! {
        <section aria-labelledby="secret-heading">
            <h2 id="secret-heading">"Signing secret"</h2>
            <p class="muted small intro">"Each webhook carries webhook-id, webhook-timestamp and webhook-signature headers (the Standard Webhooks scheme). Verify the signature with this secret."</p>
            {previous_until.map(|until| view! {
                <p class="alert alert-warning" role="status">
                    {format!("Rotated recently: the previous secret also signs until {} (two signatures per webhook).", format_time(until))}
                </p>
            })}
            {if can_change {
                view! {
                    <FormError action=reveal />
                    <FormError action=rotate />
                    {move || rotated().then(|| view! {
                        <p class="alert alert-success" role="status">"Secret rotated. For 24 hours both the new and the previous secret sign every webhook."</p>
                    })}
                    <div class="secret-row">
                        {move || match shown.get() {
                            Some(secret) => view! {
                                <div class="key-box">
                                    <label for="webhook-secret" class="visually-hidden">"Signing secret"</label>
                                    <input id="webhook-secret" class="mono" readonly value=secret.clone() />
                                    <CopyButton text=secret label="Copy secret" />
                                </div>
                            }.into_any(),
                            None => view! {
                                <div class="key-box">
                                    <code class="secret-mask" aria-label="Signing secret, hidden">"whsec_••••••••••••••••••••••••"</code>
                                    <ActionForm action=reveal attr:class="inline-form">
                                        <input type="hidden" name="project_id" value=project_id />
                                        <button type="submit" class="button button-small">"Reveal"</button>
                                    </ActionForm>
                                </div>
                            }.into_any(),
                        }}
                        <ConfirmAction label="Rotate…"
                            question="Make a new signing secret? For 24 hours both the new and the current secret sign every webhook (two signatures), so your receiver can switch to the new one without missing events. After that only the new one signs.">
                            <ActionForm action=rotate>
                                <input type="hidden" name="project_id" value=project_id />
                                <button type="submit" class="button button-danger" disabled=move || rotate.pending().get()>"Yes, rotate"</button>
                            </ActionForm>
                        </ConfirmAction>
                    </div>
                }.into_any()
            } else {
                view! { <p class="muted">"Only the account's clients and its CSM can see the secret."</p> }.into_any()
            }}
        </section>
    }
}

/// Sends a signed `webhook.test` now and shows what the receiver answered.
#[component]
fn TestSection(project_id: i64) -> impl IntoView {
    let test = expect_context::<Actions>().test;
    view! {
        <section aria-labelledby="test-heading">
            <h2 id="test-heading">"Test"</h2>
            <ActionForm action=test attr:class="inline-form">
                <input type="hidden" name="project_id" value=project_id />
                <button type="submit" class="button" disabled=move || test.pending().get()>
                    {move || if test.pending().get() { "Sending…" } else { "Send test event" }}
                </button>
            </ActionForm>
            {move || test.value().get().map(|result| match result {
                Ok(r) => {
                    let (tone, status) = match r.status_code {
                        Some(code) if r.delivered => ("ok", format!("{code}")),
                        Some(code) => ("danger", format!("{code}")),
                        None => ("danger", "No answer".to_owned()),
                    };
                    view! {
                        <div class="test-result" role="status">
                            <p>
                                "Sent to " <code class="wrap">{r.url.clone()}</code> ": "
                                <StatusBadge text=status tone /> " "
                                <span class="muted">{format!("in {} ms", r.latency_ms)}</span>
                            </p>
                            {if r.response.is_empty() {
                                view! { <p class="muted small">"The answer was empty."</p> }.into_any()
                            } else {
                                view! { <pre class="answer" aria-label="Receiver's answer">{r.response.clone()}</pre> }.into_any()
                            }}
                        </div>
                    }.into_any()
                }
                Err(e) => {
                    let message = e
                        .field_message("webhook_url")
                        .map(|m| format!("Webhooks {m}"))
                        .unwrap_or_else(|| e.to_string());
                    view! { <p class="alert alert-error" role="alert">{message}</p> }.into_any()
                }
            })}
        </section>
    }
}
