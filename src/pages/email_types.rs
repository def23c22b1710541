use leptos::{Params, prelude::*};
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params, params::Params};

use crate::{
    components::{Field, FormError, SaveNote, field_error, reset_on_success},
    domain::Role,
    error::AppError,
    model::{EmailTypeDetail, EmailTypeInfo, SessionUser, format_time},
    server_fns::email_types::{
        CreateEmailType, PreviewEmailType, UpdateEmailType, get_email_type, list_email_types,
    },
};

/// The email types of a project, refetched after each creation. Made by the page, outside its
/// `Suspend`: a resource first created inside one is not carried from the server to hydration.
pub fn email_types_resource(
    project_id: impl Fn() -> i64 + Send + Sync + 'static,
    create: ServerAction<CreateEmailType>,
) -> Resource<Result<Vec<EmailTypeInfo>, AppError>> {
    Resource::new(
        move || (project_id(), create.version().get()),
        |(project_id, _)| list_email_types(project_id),
    )
}

/// The email types (templates) of a project: the list, and a form for CSMs and the project's clients.
#[component]
pub fn EmailTypesSection(
    project_id: i64,
    types: Resource<Result<Vec<EmailTypeInfo>, AppError>>,
    create: ServerAction<CreateEmailType>,
) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_edit = me.role != Role::Support;
    view! {
        <section class="card" aria-labelledby="email-types-heading">
            <h2 id="email-types-heading">"Email types"</h2>
            <p class="muted small">"Templates the API sends by type_id. Subject and bodies can use the send's data and the user's parameters."</p>
            <FormError action=create />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match types.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty-state">"No email types yet. Create one so that the API can send it."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col" class="num">"type_id"</th>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Category"</th>
                                            <th scope="col">"Subject"</th>
                                            <th scope="col">"Created"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|t| view! {
                                            <tr>
                                                <td class="num"><code>{t.id}</code></td>
                                                <td><a href=format!("/projects/{}/types/{}", t.project_id, t.id)>{t.name}</a></td>
                                                <td>{t.category}</td>
                                                <td>{t.subject}</td>
                                                <td>{format_time(t.created_at)}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
            {can_edit.then(|| view! {
                <details class="subform">
                    <summary class="button">"New email type…"</summary>
                    <ActionForm action=create node_ref=reset_on_success(create) attr:class="stack">
                        <SaveNote action=create message="Email type created." />
                        <input type="hidden" name="project_id" value=project_id />
                        <Field id="type-name" name="name" label="Name" required=true error=field_error(create, "name") />
                        <div class="field">
                            <label for="type-category">"Category"</label>
                            <select id="type-category" name="category">
                                <option value="trigger">"Trigger"</option>
                                <option value="system">"System"</option>
                            </select>
                        </div>
                        <Field id="type-subject" name="subject" label="Subject" required=true error=field_error(create, "subject") />
                        <TextArea id="type-html" name="html_body" label="HTML body" error=field_error(create, "html_body") />
                        <TextArea id="type-text" name="text_body" label="Text body" error=field_error(create, "text_body") />
                        <button type="submit" class="button button-primary">"Create email type"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

#[component]
fn TextArea(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
    #[prop(optional, into)] value: String,
    #[prop(default = 6)] rows: u32,
) -> impl IntoView {
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{label}</label>
            // The text goes in as escaped inner HTML: a text child would carry hydration markers,
            // which a <textarea> shows as text.
            <textarea id=id name=name rows=rows class="mono" inner_html=escape_text(&value)></textarea>
            {move || error.get().map(|m| view! { <p class="field-error">{format!("{label} {m}")}</p> })}
        </div>
    }
}

/// `text` with the characters that HTML would read as markup escaped.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Sample data for a preview: the user's parameters and the send's data.
const SAMPLE: &str = r#"{
  "user": {"email": "anna@example.com", "name": "Anna", "language_id": "en"},
  "data": {"code": "123456"}
}"#;

/// The `:type_id` of an email type's page; a malformed one reads as 0 (not found), like `IdParams`.
#[derive(Params, PartialEq, Clone)]
struct TypeParams {
    type_id: i64,
}

/// One email type: edit its templates and preview them over sample data.
#[component]
pub fn EmailTypePage() -> impl IntoView {
    let params = use_params::<TypeParams>();
    let id = move || params.with(|p| p.as_ref().map_or(0, |p| p.type_id));
    let detail = Resource::new(id, get_email_type);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the email type…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(t) => view! { <EmailTypeEditor detail=t /> }.into_any(),
                    Err(e) => view! {
                        <Title text="Email type" />
                        <nav class="breadcrumbs" aria-label="Breadcrumb"><A href="/projects">"Projects"</A></nav>
                        <p class="alert alert-error" role="alert">{e.to_string()}</p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmailTypeEditor(detail: EmailTypeDetail) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_edit = me.role != Role::Support;
    let save = ServerAction::<UpdateEmailType>::new();
    let preview = ServerAction::<PreviewEmailType>::new();
    let t = detail;
    let is_system = t.category == "system";
    view! {
        <Title text=t.name.clone() />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb">
                    <A href="/projects">"Projects"</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <A href=format!("/projects/{}", t.project_id)>{format!("Project {}", t.project_id)}</A>
                    <span class="sep" aria-hidden="true">"›"</span>
                    <span aria-current="page">{t.name.clone()}</span>
                </nav>
                <h1>{t.name.clone()}</h1>
                <p class="lead">{format!("type_id {} · last changed {}", t.id, format_time(t.updated_at))}</p>
            </div>
        </div>
        <section class="card" aria-labelledby="templates-heading">
            <h2 id="templates-heading">"Templates"</h2>
            <p class="muted small">"Write {{ name }} or {{ user.name }} for a user parameter, {{ code }} or {{ data.code }} for the send's data, {{ unsubscribe_url }} for the unsubscribe link; {{ nickname | default(\"there\") }} when a value may be missing."</p>
            <ActionForm action=save attr:class="stack">
                <FormError action=save />
                <SaveNote action=save message="Email type saved. Emails sent from now on use it." />
                <input type="hidden" name="type_id" value=t.id />
                <Field id="edit-name" name="name" label="Name" required=true value=t.name.clone()
                    error=field_error(save, "name") />
                <div class="field">
                    <label for="edit-category">"Category"</label>
                    <select id="edit-category" name="category">
                        <option value="trigger" selected=!is_system>"Trigger"</option>
                        <option value="system" selected=is_system>"System"</option>
                    </select>
                </div>
                <Field id="edit-subject" name="subject" label="Subject" required=true value=t.subject.clone()
                    error=field_error(save, "subject") />
                <TextArea id="edit-html" name="html_body" label="HTML body" rows=10 value=t.html_body.clone()
                    error=field_error(save, "html_body") />
                <TextArea id="edit-text" name="text_body" label="Text body" rows=8 value=t.text_body.clone()
                    error=field_error(save, "text_body") />
                {can_edit.then(|| view! {
                    <button type="submit" class="button button-primary" disabled=move || save.pending().get()>
                        "Save email type"
                    </button>
                })}
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview"</h2>
            <p class="muted small">"Renders the saved templates over sample data."</p>
            <ActionForm action=preview attr:class="stack">
                <FormError action=preview />
                <input type="hidden" name="type_id" value=t.id />
                <TextArea id="preview-sample" name="sample" label="Sample data (JSON)" value=SAMPLE
                    error=field_error(preview, "sample") />
                <button type="submit" class="button">"Preview"</button>
            </ActionForm>
            {move || preview.value().get().map(|result| match result {
                Ok(p) => view! {
                    <div class="preview" role="region" aria-label="Rendered preview">
                        <dl class="details"><dt>"Subject"</dt><dd>{p.subject}</dd></dl>
                        <iframe class="email-preview" title="HTML part of the preview" sandbox="" srcdoc=p.html></iframe>
                        <pre class="email-text">{p.text}</pre>
                    </div>
                }.into_any(),
                Err(e) => {
                    let message = ["subject", "html_body", "text_body"]
                        .iter()
                        .find_map(|part| e.field_message(part).map(|m| format!("{part}: {m}")));
                    message
                        .map(|m| view! { <p class="alert alert-error" role="alert">{m}</p> }.into_any())
                        .unwrap_or_else(|| ().into_any())
                }
            })}
        </section>
    }
}
