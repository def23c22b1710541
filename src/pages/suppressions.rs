use leptos::prelude::*;

use crate::{
    components::{ConfirmAction, FormError, SaveNote, StatusBadge},
    domain::Role,
    error::AppError,
    model::{Page, SessionUser, SuppressedUser, format_time},
    server_fns::suppressions::{LiftSuppression, list_suppressions},
};

/// What the suppressions section shows: made by the page outside its `Suspend` (see
/// `email_types_resource`).
#[derive(Clone, Copy)]
pub struct Suppressions {
    pub lift: ServerAction<LiftSuppression>,
    pub page: RwSignal<u32>,
    pub users: Resource<Result<Page<SuppressedUser>, AppError>>,
}

impl Suppressions {
    pub fn new(project_id: impl Fn() -> i64 + Send + Sync + 'static) -> Suppressions {
        let lift = ServerAction::<LiftSuppression>::new();
        let page = RwSignal::new(1u32);
        let users = Resource::new(
            move || (project_id(), lift.version().get(), page.get()),
            |(project_id, _, page)| list_suppressions(project_id, page),
        );
        Suppressions { lift, page, users }
    }
}

/// The users a project does not send to (unsubscribed, hard-bounced, complained), with a way to lift it.
#[component]
pub fn SuppressionsSection(project_id: i64, suppressions: Suppressions) -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let can_lift = me.role != Role::Support;
    let Suppressions { lift, page, users } = suppressions;
    view! {
        <section class="card" aria-labelledby="suppressions-heading">
            <h2 id="suppressions-heading">"Suppressed recipients"</h2>
            <p class="muted small">"Users this project does not send to: they unsubscribed, their address bounced hard, or they complained. Sends to them answer status suppressed."</p>
            <FormError action=lift />
            <SaveNote action=lift message="Suppression lifted: emails to this user are sent again." />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) if list.items.is_empty() => view! {
                            <p class="empty-state">"Nobody is suppressed: every user of this project gets its emails."</p>
                        }.into_any(),
                        Ok(list) => {
                            let (number, count) = (list.page, list.page_count());
                            view! {
                                <div class="table-wrap">
                                    <table>
                                        <thead>
                                            <tr>
                                                <th scope="col">"Email"</th>
                                                <th scope="col">"Reason"</th>
                                                <th scope="col">"Since"</th>
                                                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list.items.into_iter().map(|u| {
                                                let tone = if u.reason == "unsubscribed" { "muted" } else { "danger" };
                                                let reason = match u.reason.as_str() {
                                                    "bounced" => "Bounced (hard)",
                                                    "complained" => "Complained",
                                                    _ => "Unsubscribed",
                                                };
                                                let question = format!("Send emails to {} again?", u.email);
                                                view! {
                                                    <tr>
                                                        <td>{u.email.clone()}</td>
                                                        <td><StatusBadge text=reason tone /></td>
                                                        <td>{format_time(u.since)}</td>
                                                        <td class="actions">
                                                            {can_lift.then(|| view! {
                                                                <ConfirmAction label="Lift" question>
                                                                    <ActionForm action=lift>
                                                                        <input type="hidden" name="project_id" value=project_id />
                                                                        <input type="hidden" name="user_id" value=u.id />
                                                                        <button type="submit" class="button button-danger">"Lift suppression"</button>
                                                                    </ActionForm>
                                                                </ConfirmAction>
                                                            })}
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {(count > 1).then(|| view! {
                                    <nav class="pagination" aria-label="Suppressed recipients pages">
                                        <button type="button" class="button" disabled=number <= 1
                                            on:click=move |_| page.update(|p| *p = p.saturating_sub(1).max(1))>"Previous"</button>
                                        <span>{format!("Page {number} of {count}")}</span>
                                        <button type="button" class="button" disabled=number >= count
                                            on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                                    </nav>
                                })}
                            }.into_any()
                        }
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
