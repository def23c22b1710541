//! A project's webhook deliveries: the paged log with its "failed only" and per-email filters, one delivery with
//! every attempt and its Resend button, and Recover (resend every failed delivery since a time).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Form},
    hooks::use_params,
    location::Url,
};

use crate::{
    components::{ConfirmAction, FormError, Pagination, StatusBadge, field_error},
    domain::Role,
    model::{SessionUser, WebhookDelivery, WebhookDeliveryDetail, format_time},
    pages::params::{DeliveriesQuery, IdParams, use_list_query},
    server_fns::{
        projects::get_project,
        webhooks::{RecoverWebhooks, ResendWebhook, get_webhook_delivery, list_webhook_deliveries},
    },
};

/// The badge of a delivery's status: the word, coloured by how it stands.
#[component]
pub fn DeliveryStatus(#[prop(into)] status: String) -> impl IntoView {
    let tone = match status.as_str() {
        "delivered" => "ok",
        "failed" => "danger",
        _ => "muted",
    };
    let text = match status.as_str() {
        "delivered" => "Delivered".to_owned(),
        "failed" => "Failed".to_owned(),
        "pending" => "Pending".to_owned(),
        other => other.to_owned(),
    };
    view! { <StatusBadge text tone /> }
}

/// Deliveries as a table, newest first, each linking to its attempts.
#[component]
pub fn DeliveriesTable(items: Vec<WebhookDelivery>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="deliveries">
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        <th scope="col">"Event type"</th>
                        <th scope="col">"Email message id"</th>
                        <th scope="col">"Recipient"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">"Attempts"</th>
                        <th scope="col" class="num">"Last HTTP status"</th>
                        <th scope="col"><span class="visually-hidden">"Details"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|d| view! {
                        <tr>
                            <td class="nowrap">{format_time(d.created_at)}</td>
                            <td><code>{d.event_type}</code></td>
                            <td>{match d.email_message_id {
                                Some(id) => view! {
                                    <A href=format!("/projects/{}/webhooks?email={}", d.project_id, Url::escape(&id))
                                        attr:title="Every delivery about this email">
                                        <code class="wrap">{id}</code>
                                    </A>
                                }.into_any(),
                                None => view! { <span class="muted">"—"</span> }.into_any(),
                            }}</td>
                            <td>{d.recipient.unwrap_or_else(|| "—".into())}</td>
                            <td><DeliveryStatus status=d.status /></td>
                            <td class="num">{d.attempts}</td>
                            <td class="num">{d.last_status.map(|s| s.to_string()).unwrap_or_else(|| "—".into())}</td>
                            <td><A href=format!("/webhooks/{}", d.id)>"Attempts"</A></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// `/projects/{id}/webhooks`: the project's deliveries, paged, optionally failed only.
#[component]
pub fn DeliveriesPage() -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_change = me.role != Role::Support;
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let query = use_list_query::<DeliveriesQuery>();
    let recover = ServerAction::<RecoverWebhooks>::new();
    let project = Resource::new(id, get_project);
    let deliveries = Resource::new(
        move || {
            let (failed, email, page) = query.with(|q| (q.failed_only(), q.email(), q.page.0));
            (id(), failed, email, page, recover.version().get())
        },
        |(id, failed, email, page, _)| list_webhook_deliveries(id, failed, email, page),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading deliveries…"</p> }>
            {move || Suspend::new(async move {
                let project = match project.await {
                    Ok(p) => p,
                    Err(e) => return view! {
                        <Title text="Webhook deliveries" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                };
                let failed_only = query.with_untracked(DeliveriesQuery::failed_only);
                let email = query.with_untracked(DeliveriesQuery::email);
                let (by_email, email_value) = (!email.is_empty(), email.clone());
                let list = deliveries.await;
                let base = format!("/projects/{}/webhooks", project.id);
                let lead = match project.effective_webhook_url() {
                    Some(url) => format!("Events of {} go to {url}", project.name),
                    None => format!("{} has no Webhooks URL, nor has its account: events are recorded but not sent.", project.name),
                };
                view! {
                    <Title text=format!("Webhook deliveries · {}", project.name.clone()) />
                    <div class="page-header">
                        <div>
                            <nav class="breadcrumbs" aria-label="Breadcrumb">
                                <A href="/projects">"Projects"</A>
                                <span class="sep" aria-hidden="true">"›"</span>
                                <A href=format!("/projects/{}", project.id)>{project.name.clone()}</A>
                                <span class="sep" aria-hidden="true">"›"</span>
                                <span aria-current="page">"Webhook deliveries"</span>
                            </nav>
                            <h1>"Webhook deliveries"</h1>
                            <p class="lead">{lead}</p>
                        </div>
                        {can_change.then(|| view! {
                            <A href=format!("/projects/{}/edit?tab=additional", project.id) attr:class="button">"Webhook settings"</A>
                        })}
                    </div>
                    {project.webhook_failing_since.map(|since| view! {
                        <p class="alert alert-warning" role="status">
                            {format!("Deliveries have been failing since {}. Once the receiver is back, Recover resends them.", format_time(since))}
                        </p>
                    })}
                    <section class="card" aria-labelledby="deliveries-heading">
                        <div class="card-header">
                            <h2 id="deliveries-heading">{if failed_only { "Failed deliveries" } else { "All deliveries" }}</h2>
                            <Form method="GET" action=base.clone() attr:class="filter-form">
                                <label for="deliveries-email" class="visually-hidden">"Email message id"</label>
                                <input id="deliveries-email" type="search" name="email" value=email_value
                                    placeholder="Email message id" />
                                <label class="checkbox">
                                    <input type="checkbox" name="failed" value="1" checked=failed_only />
                                    " Failed only"
                                </label>
                                <button type="submit" class="button button-small">"Filter"</button>
                            </Form>
                        </div>
                        {match list {
                            Ok(page) if page.items.is_empty() => view! {
                                <p class="empty-state">{if by_email {
                                    "No deliveries about that email in this project."
                                } else if failed_only {
                                    "No failed deliveries. Every webhook of this project was delivered or is still being tried."
                                } else {
                                    "No deliveries yet. Each event of this project's emails becomes a delivery once a Webhooks URL is set; Send test event on the Additional tab makes one now."
                                }}</p>
                            }.into_any(),
                            Ok(page) => {
                                let (number, count, total) = (page.page, page.page_count(), page.total);
                                let mut filter = if failed_only { "failed=1&".to_owned() } else { String::new() };
                                if by_email {
                                    filter.push_str(&format!("email={}&", Url::escape(&email)));
                                }
                                let href = move |p: u32| format!("{base}?{filter}page={p}");
                                view! {
                                    <DeliveriesTable items=page.items />
                                    <Pagination page=number page_count=count total href />
                                }.into_any()
                            }
                            Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }}
                    </section>
                    {can_change.then(|| view! { <RecoverSection project_id=project.id recover /> })}
                }.into_any()
            })}
        </Transition>
    }
}

/// Resend every failed delivery since a chosen time (after a receiver's outage), with confirmation.
#[component]
fn RecoverSection(project_id: i64, recover: ServerAction<RecoverWebhooks>) -> impl IntoView {
    let queued = move || {
        recover
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok().copied()))
    };
    let since_error = field_error(recover, "since");
    view! {
        <section class="card" aria-labelledby="recover-heading">
            <h2 id="recover-heading">"Recover"</h2>
            <p class="muted small intro">"After your receiver was down: send again every delivery of this project that failed since a time you choose. Each keeps its webhook-id, so a receiver that deduplicates sees no event twice."</p>
            <FormError action=recover />
            {move || queued().map(|n| view! {
                <p class="alert alert-success" role="status">{match n {
                    0 => "No failed deliveries since that time: nothing to resend.".to_owned(),
                    1 => "Queued 1 failed delivery again.".to_owned(),
                    n => format!("Queued {n} failed deliveries again."),
                }}</p>
            })}
            <ConfirmAction label="Recover…"
                question="Resend every failed delivery of this project since the time below (UTC)? Each goes out again with its own webhook-id.">
                <ActionForm action=recover attr:class="stack">
                    <input type="hidden" name="project_id" value=project_id />
                    <div class="field" class:has-error=move || since_error.get().is_some()>
                        <label for="recover-since">"Failed since (UTC)"</label>
                        <input id="recover-since" name="since" type="datetime-local" required
                            aria-invalid=move || since_error.get().is_some().then_some("true") />
                        {move || since_error.get().map(|m| view! { <p class="field-error">{format!("Failed since {m}")}</p> })}
                    </div>
                    <button type="submit" class="button button-danger" disabled=move || recover.pending().get()>
                        "Yes, resend failed deliveries"
                    </button>
                </ActionForm>
            </ConfirmAction>
        </section>
    }
}

/// `/webhooks/{id}`: one delivery with every attempt, and Resend.
#[component]
pub fn WebhookDeliveryPage() -> impl IntoView {
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let resend = ServerAction::<ResendWebhook>::new();
    let detail = Resource::new(
        move || (id(), resend.version().get()),
        |(id, _)| get_webhook_delivery(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the delivery…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(d) => view! { <DeliveryView detail=d resend /> }.into_any(),
                    Err(e) => view! {
                        <Title text="Webhook delivery" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DeliveryView(
    detail: WebhookDeliveryDetail,
    resend: ServerAction<ResendWebhook>,
) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_change = me.role != Role::Support;
    let WebhookDeliveryDetail {
        delivery: d,
        attempts,
    } = detail;
    let resent = move || resend.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <Title text=format!("Webhook {}", d.event_type) />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/projects">"Projects"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=format!("/projects/{}", d.project_id)>{format!("Project {}", d.project_id)}</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=format!("/projects/{}/webhooks", d.project_id)>"Webhook deliveries"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">{d.event_type.clone()}</span>
                </nav>
                <h1><code>{d.event_type.clone()}</code> " " <DeliveryStatus status=d.status.clone() /></h1>
            </div>
            {can_change.then(|| view! {
                <ActionForm action=resend>
                    <input type="hidden" name="id" value=d.id />
                    <button type="submit" class="button button-primary" disabled=move || resend.pending().get()>"Resend"</button>
                </ActionForm>
            })}
        </div>
        <FormError action=resend />
        {move || resent().then(|| view! {
            <p class="alert alert-success" role="status">"Queued again with the same webhook-id: the next attempt goes out within moments."</p>
        })}
        <section class="card" aria-labelledby="delivery-heading">
            <h2 id="delivery-heading">"Delivery"</h2>
            <dl class="details">
                <dt>"webhook-id"</dt><dd><code>{d.message_id.clone()}</code></dd>
                <dt>"Event type"</dt><dd><code>{d.event_type.clone()}</code></dd>
                <dt>"Email message id"</dt><dd>{d.email_message_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Recipient"</dt><dd>{d.recipient.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Created"</dt><dd>{format_time(d.created_at)}</dd>
                <dt>"Attempts"</dt><dd>{d.attempts}</dd>
                <dt>"Next attempt"</dt><dd>{match (d.status.as_str(), d.next_attempt_at) {
                    ("pending", Some(at)) => format_time(at),
                    _ => "—".into(),
                }}</dd>
            </dl>
        </section>
        <section class="card" aria-labelledby="attempts-heading">
            <h2 id="attempts-heading">"Attempts"</h2>
            {if attempts.is_empty() {
                view! { <p class="empty-state">"No attempt yet: the first one goes out within moments."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="attempts">
                            <thead>
                                <tr>
                                    <th scope="col">"Time"</th>
                                    <th scope="col">"URL"</th>
                                    <th scope="col" class="num">"Status"</th>
                                    <th scope="col" class="num">"Latency"</th>
                                    <th scope="col">"Answer (first 1 KiB)"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {attempts.into_iter().map(|a| view! {
                                    <tr>
                                        <td class="nowrap">{format_time(a.at)}</td>
                                        <td><code class="wrap">{a.url}</code></td>
                                        <td class="num">{match a.status_code {
                                            Some(code) => view! { <StatusBadge text=code.to_string() tone=if (200..300).contains(&code) { "ok" } else { "danger" } /> }.into_any(),
                                            None => view! { <StatusBadge text="No answer" tone="danger" /> }.into_any(),
                                        }}</td>
                                        <td class="num nowrap">{format!("{} ms", a.latency_ms)}</td>
                                        <td>{if a.response.is_empty() {
                                            view! { <span class="muted">"(empty)"</span> }.into_any()
                                        } else {
                                            view! { <pre class="answer">{a.response}</pre> }.into_any()
                                        }}</td>
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
