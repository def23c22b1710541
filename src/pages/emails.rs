//! `/emails/{message_id}`: one email as support looks at it: where it went, its status history, its
//! content (the outbox's captured copy), its data, and the webhooks about it.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params};

use crate::{
    components::EmailStatus,
    model::{EmailDetail, OutboxMessage, Rerendered, format_time},
    pages::{params::MessageIdParams, webhooks::DeliveriesTable},
    server_fns::users::get_email_detail,
};

#[component]
pub fn EmailPage() -> impl IntoView {
    let params = use_params::<MessageIdParams>();
    let message_id =
        move || params.with(|p| p.as_ref().map(|p| p.message_id.clone()).unwrap_or_default());
    let detail = Resource::new(message_id, get_email_detail);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the email…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <EmailView detail /> }.into_any(),
                    Err(e) => view! {
                        <Title text="Email" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/users">"Users"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmailView(detail: EmailDetail) -> impl IntoView {
    let email = detail.email;
    let pretty = |json: &str| {
        serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| json.to_owned())
    };
    let (data, meta) = (pretty(&email.data), pretty(&email.meta));
    let to = email.email.clone();
    let user_href = format!("/users/{}", email.user_id);
    let (to_crumb, to_detail) = (to.clone(), to.clone());
    view! {
        <Title text=format!("{} · {}", detail.type_name, to) />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/users">"Users"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=user_href.clone()>{to_crumb}</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">{detail.type_name.clone()}</span>
                </nav>
                <h1>{detail.type_name.clone()}</h1>
                <p class="lead"><EmailStatus status=email.status.clone() /> <code class="wrap">{email.message_id.clone()}</code></p>
            </div>
        </div>
        <div class="grid-2">
            <section class="card" aria-labelledby="email-about-heading">
                <h2 id="email-about-heading">"Email"</h2>
                <dl class="details">
                    <dt>"To"</dt><dd><A href=user_href.clone()>{to_detail}</A></dd>
                    <dt>"Project"</dt><dd><A href=format!("/projects/{}", email.project_id)>{detail.project_name.clone()}</A></dd>
                    <dt>"Email type"</dt>
                    <dd><A href=format!("/projects/{}/types/{}", email.project_id, email.type_id)>{detail.type_name.clone()}</A>
                        " " <span class="badge badge-muted">{email.category.clone()}</span></dd>
                    <dt>"Created"</dt><dd>{format_time(email.created_at)}</dd>
                    <dt>"Last change"</dt><dd>{format_time(email.updated_at)}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="history-heading">
                <h2 id="history-heading">"Status history"</h2>
                <div class="table-wrap">
                    <table>
                        <thead><tr><th scope="col">"Time"</th><th scope="col">"Status"</th><th scope="col">"Detail"</th></tr></thead>
                        <tbody>
                            {email.events.iter().cloned().map(|e| view! {
                                <tr>
                                    <td class="nowrap">{format_time(e.at)}</td>
                                    <td><EmailStatus status=e.status /></td>
                                    <td class="small">{e.detail.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>
        </div>
        <ContentSection outbox_id=detail.outbox_id content=detail.content.clone() rerendered=detail.rerendered.clone() />
        <section class="card" aria-labelledby="data-heading">
            <h2 id="data-heading">"Data and meta of the send"</h2>
            <div class="grid-2">
                <div><h3 class="subheading">"data"</h3><pre class="email-source">{data}</pre></div>
                <div><h3 class="subheading">"meta"</h3><pre class="email-source">{meta}</pre></div>
            </div>
        </section>
        <section class="card" aria-labelledby="email-webhooks-heading">
            <h2 id="email-webhooks-heading">"Webhooks"</h2>
            {if detail.webhooks.is_empty() {
                view! { <p class="empty-state">"No webhooks about this email: its project and account have no Webhooks URL, or no event of it is one the project receives."</p> }.into_any()
            } else {
                view! {
                    <DeliveriesTable items=detail.webhooks />
                    <p class="muted small">"Open a delivery's attempts to resend it."</p>
                }.into_any()
            }}
        </section>
    }
}

/// An email rendered again, clearly labelled as such.
#[component]
fn RerenderedCopy(copy: Rerendered) -> impl IntoView {
    let when = format_time(copy.version_at);
    let source = if copy.version_matches {
        format!(
            "No copy of this email was kept (it went to the SMTP relay, or has not been sent yet). Shown re-rendered from its email type's templates as they were from {when} on, with the email's data and the user's current parameters; links are not tracked and the unsubscribe link points nowhere."
        )
    } else {
        format!(
            "No copy of this email was kept, and it is older than the kept versions of its templates: shown re-rendered from the oldest kept version ({when}), which may differ from what was sent."
        )
    };
    view! {
        <p><span class="badge badge-warn">"Re-rendered"</span>" "<span class="muted small">{source}</span></p>
        {match copy.error {
            Some(e) => view! { <p class="alert alert-error" role="alert">{format!("It does not render: {e}")}</p> }.into_any(),
            None => view! {
                <p><strong>"Subject: "</strong>{copy.subject}</p>
                <iframe class="email-preview" title="HTML part of the email (re-rendered)" sandbox="" srcdoc=copy.html></iframe>
                <details>
                    <summary>"Text part"</summary>
                    <pre class="email-text">{copy.text}</pre>
                </details>
            }.into_any(),
        }}
    }
}

/// The email as it was sent, from the outbox's captured copy.
#[component]
fn ContentSection(
    outbox_id: Option<i64>,
    content: Option<OutboxMessage>,
    rerendered: Option<Rerendered>,
) -> impl IntoView {
    let body = match (content, rerendered) {
        (Some(m), _) => view! {
            <p><strong>"Subject: "</strong>{m.entry.subject.clone()}</p>
            {match m.html.clone() {
                // A sandbox without scripts: the email's HTML cannot reach the panel.
                Some(html) => view! { <iframe class="email-preview" title="HTML part of the email" sandbox="" srcdoc=html></iframe> }.into_any(),
                None => view! { <p class="muted">"No HTML part."</p> }.into_any(),
            }}
            <details>
                <summary>"Text part"</summary>
                <pre class="email-text">{m.text.clone().unwrap_or_default()}</pre>
            </details>
        }
        .into_any(),
        (None, Some(r)) => view! { <RerenderedCopy copy=r /> }.into_any(),
        (None, None) => view! {
            <p class="empty-state">"No copy of this email is stored: it went to the SMTP relay (copies are kept only in the captured outbox), or it has not been sent yet."</p>
        }
        .into_any(),
    };
    view! {
        <section class="card" aria-labelledby="content-heading">
            <div class="card-header">
                <h2 id="content-heading">"Content"</h2>
                {outbox_id.map(|id| view! { <A href=format!("/outbox/{id}")>"Source in the outbox"</A> })}
            </div>
            {body}
        </section>
    }
}
