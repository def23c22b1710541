//! `/projects/{id}/activity`: every email of a project, newest first, searchable by recipient and
//! message id, filterable by status, type and days; each row links to the email and its user.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{A, Form},
    hooks::use_params,
    location::Url,
};

use crate::{
    components::{EMAIL_STATUSES, EmailStatus},
    model::format_time,
    pages::params::{ActivityParams, IdParams, use_list_query},
    server_fns::{email_types::list_email_types, projects::get_project, users::project_activity},
};

#[component]
pub fn ActivityPage() -> impl IntoView {
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let query = use_list_query::<ActivityParams>();
    let project = Resource::new(id, get_project);
    let types = Resource::new(id, list_email_types);
    let emails = Resource::new(
        move || (id(), query.get()),
        |(id, q)| {
            project_activity(
                id,
                q.q.clone().unwrap_or_default(),
                q.status.clone().unwrap_or_default(),
                q.type_id(),
                q.from.clone().unwrap_or_default(),
                q.until.clone().unwrap_or_default(),
                q.before.clone().unwrap_or_default(),
            )
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the activity…"</p> }>
            {move || Suspend::new(async move {
                let project = match project.await {
                    Ok(p) => p,
                    Err(e) => return view! {
                        <Title text="Email activity" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                };
                let q = query.get_untracked();
                let types = types.await.unwrap_or_default();
                let (status, type_id) = (q.status.clone().unwrap_or_default(), q.type_id());
                let base = q.href_base(project.id);
                let filtered = base != format!("/projects/{}/activity?", project.id);
                let list = emails.await;
                let (name, crumb_name) = (project.name.clone(), project.name.clone());
                let lead = format!("Every email of {}, newest first.", project.name);
                view! {
                    <Title text=format!("Email activity · {name}") />
                    <div class="page-header">
                        <div>
                            <nav class="breadcrumbs" aria-label="Breadcrumb">
                                <A href="/projects">"Projects"</A>
                                <span class="sep" aria-hidden="true">"›"</span>
                                <A href=format!("/projects/{}", project.id)>{crumb_name}</A>
                                <span class="sep" aria-hidden="true">"›"</span>
                                <span aria-current="page">"Email activity"</span>
                            </nav>
                            <h1>"Email activity"</h1>
                            <p class="lead">{lead}</p>
                        </div>
                    </div>
                    <section class="card" aria-labelledby="activity-heading">
                        <h2 id="activity-heading" class="visually-hidden">"Emails"</h2>
                        <Form method="GET" action="" attr:class="filter-form users-filter" attr:role="search">
                            <label for="activity-q">"Recipient or message id"</label>
                            <input id="activity-q" type="search" name="q" value=q.q.clone().unwrap_or_default()
                                placeholder="anna@ or msg_…" autocomplete="off" />
                            <label for="activity-status">"Status"</label>
                            <select id="activity-status" name="status">
                                <option value="">"Any"</option>
                                {EMAIL_STATUSES.into_iter().map(|s| view! { <option value=s selected=status == s>{s}</option> }).collect_view()}
                            </select>
                            <label for="activity-type">"Type"</label>
                            <select id="activity-type" name="email_type">
                                <option value="">"Any"</option>
                                {types.into_iter().map(|t| view! { <option value=t.id selected=t.id == type_id>{t.name}</option> }).collect_view()}
                            </select>
                            <label for="activity-from">"From"</label>
                            <input id="activity-from" type="date" name="from" value=q.from.clone().unwrap_or_default() />
                            <label for="activity-until">"Until"</label>
                            <input id="activity-until" type="date" name="until" value=q.until.clone().unwrap_or_default() />
                            <button type="submit" class="button">"Filter"</button>
                        </Form>
                        {match list {
                            Ok(page) if page.items.is_empty() => view! {
                                <p class="empty-state">{if filtered {
                                    "No email of this project matches."
                                } else {
                                    "No emails yet. Emails sent through the API appear here as soon as they are accepted."
                                }}</p>
                            }.into_any(),
                            Ok(page) => {
                                let older = page.next.as_deref().map(|c| format!("{base}before={}", Url::escape(c)));
                                let newest = q.before.as_deref().is_some_and(|b| !b.is_empty()).then(|| base.clone());
                                view! {
                                    <div class="table-wrap">
                                        <table class="activity">
                                            <thead>
                                                <tr>
                                                    <th scope="col">"Created"</th>
                                                    <th scope="col">"Recipient"</th>
                                                    <th scope="col">"Type"</th>
                                                    <th scope="col">"Status"</th>
                                                    <th scope="col">"Message id"</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {page.items.into_iter().map(|e| view! {
                                                    <tr>
                                                        <td class="nowrap">{format_time(e.created_at)}</td>
                                                        <td><A href=format!("/users/{}", e.user_id)>{e.recipient}</A></td>
                                                        <td>{format!("{} ", e.type_name)}<span class="badge badge-muted">{e.category}</span></td>
                                                        <td><EmailStatus status=e.status /></td>
                                                        <td><A href=format!("/emails/{}", Url::escape(&e.message_id))><code class="wrap">{e.message_id.clone()}</code></A></td>
                                                    </tr>
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <nav class="pagination" aria-label="Activity pages">
                                        {match newest {
                                            Some(h) => view! { <A href=h>"← Newest"</A> }.into_any(),
                                            None => view! { <span class="disabled" aria-disabled="true">"← Newest"</span> }.into_any(),
                                        }}
                                        {match older {
                                            Some(h) => view! { <A href=h attr:rel="next">"Older →"</A> }.into_any(),
                                            None => view! { <span class="disabled" aria-disabled="true">"Older →"</span> }.into_any(),
                                        }}
                                    </nav>
                                }.into_any()
                            }
                            Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }}
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}
