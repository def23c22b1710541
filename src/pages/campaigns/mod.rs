//! Marketing campaigns: a project's campaigns with the new-campaign upload, every campaign the viewer
//! reads, and one campaign's page (its draft's column mapping, or its progress, counts and rows).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params, location::Url};

use crate::{
    components::StatusBadge,
    domain::Role,
    model::{Campaign, EmailTypeInfo, SessionUser, format_time},
    pages::params::{CampaignListQuery, IdParams, use_list_query},
    server_fns::{campaigns::list_campaigns, email_types::list_email_types, projects::get_project},
};

mod detail;
mod mapping;
mod progress;

pub use detail::CampaignPage;

/// A campaign's state as a badge: the word, coloured by how it stands.
#[component]
pub fn CampaignState(#[prop(into)] state: String) -> impl IntoView {
    let (text, tone) = match state.as_str() {
        "draft" => ("Draft", "muted"),
        "scheduled" => ("Scheduled", "muted"),
        "importing" => ("Importing", "warn"),
        "sending" => ("Sending", "warn"),
        "paused" => ("Paused", "warn"),
        "cancelled" => ("Cancelled", "muted"),
        "done" => ("Done", "ok"),
        "failed" => ("Failed", "danger"),
        _ => ("", "muted"),
    };
    let text = if text.is_empty() {
        state
    } else {
        text.to_owned()
    };
    view! { <StatusBadge text tone /> }
}

/// Campaigns as a table, newest first, each linking to its page.
#[component]
fn CampaignsTable(items: Vec<Campaign>, show_project: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="campaigns">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        {show_project.then(|| view! { <th scope="col">"Project"</th> })}
                        <th scope="col">"Email type"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">"Rows imported"</th>
                        <th scope="col" class="num">"Emails queued"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|c| view! {
                        <tr>
                            <td><A href=format!("/campaigns/{}", c.id)>{c.name.clone()}</A></td>
                            {show_project.then(|| view! {
                                <td><A href=format!("/projects/{}/campaigns", c.project_id)>{c.project_name.clone()}</A></td>
                            })}
                            <td>{c.type_name.clone()}</td>
                            <td><CampaignState state=c.state.clone() /></td>
                            <td class="num nowrap">{format!("{} / {}", c.rows_read, c.total_rows)}</td>
                            <td class="num">{c.emails_queued}</td>
                            <td class="nowrap">{format_time(c.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// "← Newest" and "Older →" of a campaigns list at `base` (keyset: `?before=`).
#[component]
fn OlderNav(base: String, paged: bool, next: Option<String>) -> impl IntoView {
    let older = next.map(|c| format!("{base}?before={}", Url::escape(&c)));
    view! {
        <nav class="pagination" aria-label="Campaigns pages">
            {if paged {
                view! { <A href=base>"← Newest"</A> }.into_any()
            } else {
                view! { <span class="disabled" aria-disabled="true">"← Newest"</span> }.into_any()
            }}
            {match older {
                Some(h) => view! { <A href=h attr:rel="next">"Older →"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"Older →"</span> }.into_any(),
            }}
        </nav>
    }
}

/// `/projects/{id}/campaigns`: the project's campaigns, and the upload of a new one.
#[component]
pub fn ProjectCampaignsPage() -> impl IntoView {
    let can_create = expect_context::<SessionUser>().role != Role::Support;
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let query = use_list_query::<CampaignListQuery>();
    let project = Resource::new(id, get_project);
    let types = Resource::new(id, move |id| async move {
        if can_create {
            list_email_types(id).await
        } else {
            Ok(Vec::new())
        }
    });
    let campaigns = Resource::new(
        move || (id(), query.with(CampaignListQuery::before)),
        |(id, before)| list_campaigns(id, before),
    );
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading campaigns…"</p> }>
            {move || Suspend::new(async move {
                let project = match project.await {
                    Ok(p) => p,
                    Err(e) => return view! {
                        <Title text="Campaigns" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                };
                let q = query.get_untracked();
                let types = types.await;
                let list = campaigns.await;
                let base = format!("/projects/{}/campaigns", project.id);
                let paged = !q.before().is_empty();
                let lead = format!("Bulk emails of {}: upload a CSV of recipients, map its columns, launch.", project.name);
                view! {
                    <Title text=format!("Campaigns · {}", project.name) />
                    <div class="page-header">
                        <div>
                            <nav class="breadcrumbs" aria-label="Breadcrumb">
                                <A href="/projects">"Projects"</A>
                                <span class="sep" aria-hidden="true">"›"</span>
                                <A href=format!("/projects/{}", project.id)>{project.name.clone()}</A>
                                <span class="sep" aria-hidden="true">"›"</span>
                                <span aria-current="page">"Campaigns"</span>
                            </nav>
                            <h1>"Campaigns"</h1>
                            <p class="lead">{lead}</p>
                        </div>
                        {can_create.then(|| view! {
                            <div class="header-actions"><a href="#new" class="button button-primary">"New campaign"</a></div>
                        })}
                    </div>
                    <section class="card" aria-labelledby="campaigns-heading">
                        <h2 id="campaigns-heading" class="visually-hidden">"Campaigns of the project"</h2>
                        {match list {
                            Ok(page) if page.items.is_empty() => view! {
                                <p class="empty-state">{if paged {
                                    "No older campaigns."
                                } else if can_create {
                                    "No campaigns yet. Upload a CSV below to create the first one."
                                } else {
                                    "No campaigns yet."
                                }}</p>
                            }.into_any(),
                            Ok(page) => view! {
                                <CampaignsTable items=page.items show_project=false />
                                <OlderNav base=base.clone() paged next=page.next />
                            }.into_any(),
                            Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }}
                    </section>
                    {can_create.then(|| view! { <NewCampaign project_id=project.id types q /> })}
                }.into_any()
            })}
        </Transition>
    }
}

/// The new-campaign card: a plain multipart form (it works without JavaScript) posting the CSV to
/// `/campaigns/upload`, which answers with the draft's page or back here with an error.
#[component]
fn NewCampaign(
    project_id: i64,
    types: Result<Vec<EmailTypeInfo>, crate::error::AppError>,
    q: CampaignListQuery,
) -> impl IntoView {
    let error = q.error.clone().filter(|e| !e.trim().is_empty());
    let (name, type_id) = (q.name.clone().unwrap_or_default(), q.type_id());
    let form = match types {
        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
        Ok(types) if types.is_empty() => view! {
            <p class="empty-state">
                "This project has no email types yet; a campaign sends one of them. Create one on the "
                <A href=format!("/projects/{project_id}")>"project's page"</A>
                " first."
            </p>
        }.into_any(),
        Ok(types) => view! {
            <form method="post" action="/campaigns/upload" enctype="multipart/form-data" class="stack narrow-form">
                <input type="hidden" name="project_id" value=project_id />
                <div class="field">
                    <label for="campaign-name">"Campaign name"</label>
                    <input id="campaign-name" name="name" type="text" required maxlength="200" autocomplete="off" value=name />
                </div>
                <div class="field">
                    <label for="campaign-type">"Email type"</label>
                    <select id="campaign-type" name="type_id" required>
                        {types.into_iter().map(|t| view! {
                            <option value=t.id selected=t.id == type_id>{format!("{} ({})", t.name, t.category)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="campaign-file">"CSV file"</label>
                    <input id="campaign-file" name="file" type="file" accept=".csv,text/csv" required
                        aria-describedby="campaign-file-hint" />
                    <p class="hint" id="campaign-file-hint">
                        "CSV with a header row: an email column, optionally the user parameters by name, other columns become template data. UTF-8, comma, semicolon or tab. Up to 1 GiB."
                    </p>
                </div>
                <div>
                    <button type="submit" class="button button-primary">"Upload CSV"</button>
                </div>
            </form>
        }.into_any(),
    };
    view! {
        <section class="card" id="new" aria-labelledby="new-campaign-heading">
            <h2 id="new-campaign-heading">"New campaign"</h2>
            <p class="muted small intro">"After the upload you check how each column is used, then launch it now or at a time you choose."</p>
            {error.map(|e| view! { <p class="alert alert-error" role="alert">{e}</p> })}
            {form}
        </section>
    }
}

/// `/campaigns`: every campaign the viewer reads, newest first.
#[component]
pub fn CampaignsPage() -> impl IntoView {
    let query = use_list_query::<CampaignListQuery>();
    let campaigns = Resource::new(
        move || query.with(CampaignListQuery::before),
        |before| list_campaigns(0, before),
    );
    view! {
        <Title text="Campaigns" />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"Campaigns"</span></nav>
                <h1>"Campaigns"</h1>
                <p class="lead">
                    "Every campaign you can see, newest first. Campaigns are created from a project's Campaigns page (open it from "
                    <A href="/projects">"Projects"</A>
                    ")."
                </p>
            </div>
        </div>
        <section class="card" aria-labelledby="campaigns-heading">
            <h2 id="campaigns-heading" class="visually-hidden">"All campaigns"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading campaigns…"</p> }>
                {move || Suspend::new(async move {
                    let paged = query.with_untracked(|q| !q.before().is_empty());
                    match campaigns.await {
                        Ok(page) if page.items.is_empty() => view! {
                            <p class="empty-state">{if paged { "No older campaigns." } else { "No campaigns yet." }}</p>
                        }.into_any(),
                        Ok(page) => view! {
                            <CampaignsTable items=page.items show_project=true />
                            <OlderNav base="/campaigns".to_owned() paged next=page.next />
                        }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
