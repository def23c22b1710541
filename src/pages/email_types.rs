use leptos::prelude::*;

use crate::{
    components::{FormError, SaveNote, field_error, reset_on_success},
    domain::Role,
    model::{SessionUser, format_time},
    server_fns::email_types::{CreateEmailType, list_email_types},
};

/// The email types (templates) of a project: the list, and a form for CSMs and the project's clients.
#[component]
pub fn EmailTypesSection(project_id: i64) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_edit = me.role != Role::Support;
    let create = ServerAction::<CreateEmailType>::new();
    let types = Resource::new(
        move || create.version().get(),
        move |_| list_email_types(project_id),
    );
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
                                                <td>{t.name}</td>
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
                        <TextField id="type-name" name="name" label="Name" error=field_error(create, "name") />
                        <div class="field">
                            <label for="type-category">"Category"</label>
                            <select id="type-category" name="category">
                                <option value="trigger">"Trigger"</option>
                                <option value="system">"System"</option>
                            </select>
                        </div>
                        <TextField id="type-subject" name="subject" label="Subject" error=field_error(create, "subject") />
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
fn TextField(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{label}</label>
            <input id=id name=name type="text" required />
            {move || error.get().map(|m| view! { <p class="field-error">{format!("{label} {m}")}</p> })}
        </div>
    }
}

#[component]
fn TextArea(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{label}</label>
            <textarea id=id name=name rows="6" class="mono"></textarea>
            {move || error.get().map(|m| view! { <p class="field-error">{format!("{label} {m}")}</p> })}
        </div>
    }
}
