use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Form},
    hooks::use_params,
};

use crate::{
    components::Pagination,
    model::{OutboxEntry, format_time},
    pages::{
        accounts::encode,
        params::{IdParams, SearchQuery, use_list_query},
    },
    server_fns::outbox::{get_outbox_message, list_outbox},
};

/// The captured outbox: what Mailroom would have sent, kept when no SMTP relay is configured.
#[component]
pub fn OutboxPage() -> impl IntoView {
    let query = use_list_query::<SearchQuery>();
    let search = move || query.with(|q| q.q.clone().unwrap_or_default());
    let page = move || query.with(|q| q.page.0);
    let entries = Resource::new(move || (search(), page()), |(q, p)| list_outbox(q, p));
    view! {
        <Title text="Outbox" />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"Outbox"</span></nav>
                <h1>"Outbox"</h1>
                <p class="lead">"Emails captured instead of sent: no SMTP relay is configured (MAILROOM_SMTP_URL)."</p>
            </div>
        </div>
        <section class="card" aria-labelledby="outbox-heading">
            <div class="card-header">
                <h2 id="outbox-heading">"Captured emails"</h2>
                <Form method="GET" action="" attr:class="search-form" attr:role="search">
                    <label for="outbox-search" class="visually-hidden">"Search the outbox"</label>
                    <input id="outbox-search" type="search" name="q" placeholder="Recipient, subject or message id"
                        prop:value=search />
                    <button type="submit" class="button">"Search"</button>
                </Form>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading the outbox…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Ok(page) if page.items.is_empty() => {
                            let text = if search().is_empty() {
                                "No emails captured yet. Emails sent through the API appear here once delivered."
                            } else {
                                "No captured email matches this search."
                            };
                            view! { <p class="empty-state">{text}</p> }.into_any()
                        }
                        Ok(page) => {
                            let q = search();
                            let (number, count, total) = (page.page, page.page_count(), page.total);
                            let href = move |p: u32| format!("/outbox?q={}&page={p}", encode(&q));
                            view! {
                                <OutboxTable items=page.items />
                                <Pagination page=number page_count=count total href />
                            }.into_any()
                        }
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OutboxTable(items: Vec<OutboxEntry>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Subject"</th>
                        <th scope="col">"To"</th>
                        <th scope="col">"Project"</th>
                        <th scope="col">"Captured"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|e| view! {
                        <tr>
                            <td><A href=format!("/outbox/{}", e.id)>{e.subject}</A></td>
                            <td>{e.recipient}</td>
                            <td>{e.project_name}</td>
                            <td>{format_time(e.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One captured email: its headers, the text part, the HTML part (in a sandbox) and the source.
#[component]
pub fn OutboxMessagePage() -> impl IntoView {
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let message = Resource::new(id, get_outbox_message);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the email…"</p> }>
            {move || Suspend::new(async move {
                match message.await {
                    Ok(m) => view! {
                        <Title text=m.entry.subject.clone() />
                        <div class="page-header">
                            <div>
                                <nav class="breadcrumbs" aria-label="Breadcrumb">
                                    <A href="/outbox">"Outbox"</A>
                                    <span class="sep" aria-hidden="true">"›"</span>
                                    <span aria-current="page">{m.entry.subject.clone()}</span>
                                </nav>
                                <h1>{m.entry.subject.clone()}</h1>
                            </div>
                        </div>
                        <section class="card">
                            <dl class="details">
                                <dt>"From"</dt><dd>{m.entry.sender.clone()}</dd>
                                <dt>"To"</dt><dd>{m.entry.recipient.clone()}</dd>
                                <dt>"Project"</dt><dd>{m.entry.project_name.clone()}</dd>
                                <dt>"Message id"</dt><dd><A href=format!("/emails/{}", leptos_router::location::Url::escape(&m.entry.message_id))><code>{m.entry.message_id.clone()}</code></A></dd>
                                <dt>"Captured"</dt><dd>{format_time(m.entry.created_at)}</dd>
                            </dl>
                        </section>
                        <section class="card" aria-labelledby="html-part-heading">
                            <h2 id="html-part-heading">"HTML part"</h2>
                            {match m.html.clone() {
                                Some(html) => view! {
                                    // A sandbox without scripts: the email's HTML cannot reach the panel.
                                    <iframe class="email-preview" title="HTML part of the email" sandbox="" srcdoc=html></iframe>
                                }.into_any(),
                                None => view! { <p class="empty-state">"This email has no HTML part."</p> }.into_any(),
                            }}
                        </section>
                        <section class="card" aria-labelledby="text-part-heading">
                            <h2 id="text-part-heading">"Text part"</h2>
                            <pre class="email-text">{m.text.clone().unwrap_or_default()}</pre>
                        </section>
                        <section class="card">
                            <details>
                                <summary>"Source"</summary>
                                <pre class="email-source">{m.raw.clone()}</pre>
                            </details>
                        </section>
                    }.into_any(),
                    Err(e) => view! {
                        <Title text="Outbox" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/outbox">"Outbox"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
