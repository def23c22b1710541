use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params};

use crate::{
    components::{Field, FormError, Pagination, SaveNote, StatusBadge, field_error},
    domain::Role,
    model::{ProjectInfo, SessionUser, format_time},
    pages::{
        email_types::{EmailTypesSection, email_types_resource},
        params::{IdParams, PageQuery, use_list_query},
        suppressions::{Suppressions, SuppressionsSection},
    },
    server_fns::email_types::CreateEmailType,
    server_fns::projects::{SetProjectSender, get_project, list_projects},
};

/// Projects: a client sees its own account's, staff see all.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let show_account = me.role.is_staff();
    let can_edit = me.role != Role::Support;
    let query = use_list_query::<PageQuery>();
    let page = move || query.with(|q| q.page.0);
    let projects = Resource::new(page, list_projects);
    view! {
        <Title text="Projects" />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"Projects"</span></nav>
                <h1>"Projects"</h1>
            </div>
        </div>
        <section class="card">
            <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
                {move || Suspend::new(async move {
                    match projects.await {
                        Ok(page) if page.items.is_empty() => view! {
                            <p class="empty-state">"No projects yet. Your CSM creates projects for your account."</p>
                        }.into_any(),
                        Ok(page) => {
                            let (number, count, total) = (page.page, page.page_count(), page.total);
                            view! {
                                <ProjectsTable items=page.items show_account can_edit />
                                <Pagination page=number page_count=count total href=|p| format!("/projects?page={p}") />
                            }.into_any()
                        }
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The projects, each with an Edit action when the viewer may change it (clients their own, CSMs
/// all, support none) and a warning when its webhooks are failing.
#[component]
fn ProjectsTable(items: Vec<ProjectInfo>, show_account: bool, can_edit: bool) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col" class="num">"Id"</th>
                        {show_account.then(|| view! { <th scope="col">"Account"</th> })}
                        <th scope="col">"Created"</th>
                        {can_edit.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|p| view! {
                        <tr>
                            <td>
                                <A href=format!("/projects/{}", p.id) attr:id=format!("project-{}-name", p.id)>{p.name.clone()}</A>
                                {p.webhook_failing_since.map(|since| view! {
                                    " " <StatusBadge text=format!("Webhooks failing since {}", format_time(since)) tone="warn" />
                                })}
                            </td>
                            <td class="num">{p.id}</td>
                            {show_account.then(|| view! {
                                <td><A href=format!("/accounts/{}", p.account_id)>{p.account_name.clone()}</A></td>
                            })}
                            <td>{format_time(p.created_at)}</td>
                            {can_edit.then(|| view! {
                                <td class="actions">
                                    <A href=format!("/projects/{}/edit", p.id) attr:class="button button-small"
                                        attr:aria-describedby=format!("project-{}-name", p.id)>"Edit"</A>
                                </td>
                            })}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One project: its settings at a glance, links to its editor and webhook deliveries, its email
/// types, sender and suppressions.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let can_edit = expect_context::<SessionUser>().role != Role::Support;
    let params = use_params::<IdParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.id));
    let project = Resource::new(id, get_project);
    let create_type = ServerAction::<CreateEmailType>::new();
    let types = email_types_resource(id, create_type);
    let suppressions = Suppressions::new(id);
    let chart = crate::pages::chart::chart_resource(id);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading project…"</p> }>
            {move || Suspend::new(async move {
                match project.await {
                    Ok(p) => view! {
                        <Title text=p.name.clone() />
                        <div class="page-header">
                            <div>
                                <nav class="breadcrumbs" aria-label="Breadcrumb">
                                    <A href="/projects">"Projects"</A>
                                    <span class="sep" aria-hidden="true">"›"</span>
                                    <span aria-current="page">{p.name.clone()}</span>
                                </nav>
                                <h1>{p.name.clone()}</h1>
                            </div>
                            <div class="header-actions">
                                <A href=format!("/projects/{}/activity", p.id) attr:class="button">"Email activity"</A>
                                <A href=format!("/projects/{}/campaigns", p.id) attr:class="button">"Campaigns"</A>
                                <A href=format!("/projects/{}/webhooks", p.id) attr:class="button">"Webhook deliveries"</A>
                                {can_edit.then(|| view! {
                                    <A href=format!("/projects/{}/edit", p.id) attr:class="button button-primary">"Edit"</A>
                                })}
                            </div>
                        </div>
                        {p.webhook_failing_since.map(|since| view! {
                            <p class="alert alert-warning" role="status">
                                {format!("Webhook deliveries have been failing since {}. ", format_time(since))}
                                <A href=format!("/projects/{}/webhooks?failed=1", p.id)>"See the failed deliveries"</A>
                            </p>
                        })}
                        <section class="card">
                            <h2>"General"</h2>
                            <dl class="details">
                                <dt>"Project id"</dt><dd><code>{p.id}</code></dd>
                                <dt>"Account"</dt><dd>{p.account_name.clone()}</dd>
                                <dt>"Created"</dt><dd>{format_time(p.created_at)}</dd>
                                <dt>"Webhooks"</dt><dd>{p.effective_webhook_url().map_or_else(
                                    || "None".to_owned(),
                                    |url| if p.webhook_url.is_some() { url.to_owned() } else { format!("{url} (the account's)") },
                                )}</dd>
                            </dl>
                        </section>
                        <crate::pages::chart::StatusChartSection chart />
                        <SenderSection project=p.clone() />
                        <EmailTypesSection project_id=p.id types create=create_type />
                        <SuppressionsSection project_id=p.id suppressions />
                    }.into_any(),
                    Err(e) => view! {
                        <Title text="Project" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// Who the project's emails come from: CSMs and the project's clients set it, support reads it.
#[component]
fn SenderSection(project: ProjectInfo) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let save = ServerAction::<SetProjectSender>::new();
    let current = match (&project.sender_email, &project.sender_name) {
        (Some(email), Some(name)) => format!("{name} <{email}>"),
        (Some(email), None) => email.clone(),
        _ => "The installation's default no-reply address".to_owned(),
    };
    view! {
        <section class="card" aria-labelledby="sender-heading">
            <h2 id="sender-heading">"Sender"</h2>
            <p class="muted small">"The From of this project's emails, and the domain of their Message-ID."</p>
            {if me.role == Role::Support {
                view! { <p>{current}</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=save attr:class="inline-fields">
                        <FormError action=save />
                        <SaveNote action=save message="Sender saved." />
                        <input type="hidden" name="project_id" value=project.id />
                        <Field id="sender-email" name="sender_email" label="From address" kind="email"
                            value=project.sender_email.clone().unwrap_or_default()
                            hint="Leave empty for the default no-reply address."
                            error=field_error(save, "sender_email") />
                        <Field id="sender-name" name="sender_name" label="From name"
                            value=project.sender_name.clone().unwrap_or_default()
                            error=field_error(save, "sender_name") />
                        <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                            "Save sender"
                        </button>
                    </ActionForm>
                }.into_any()
            }}
        </section>
    }
}
