use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::{Field, FormError, SaveNote, StatusBadge, field_error, reset_on_success},
    domain::Role,
    error::AppError,
    model::{SessionUser, format_time},
    pages::accounts::LoginToggle,
    server_fns::staff::{AddStaff, SetLoginDisabled, list_staff},
};

/// Staff logins (CSM only): add CSM and support logins, disable them.
#[component]
pub fn StaffPage() -> impl IntoView {
    let me = expect_context::<SessionUser>();
    if me.role != Role::Csm {
        return view! {
            <Title text="Staff" />
            <p class="alert alert-error" role="alert">{AppError::Forbidden.to_string()}</p>
        }
        .into_any();
    }
    let add = ServerAction::<AddStaff>::new();
    let toggle = ServerAction::<SetLoginDisabled>::new();
    let staff = Resource::new(
        move || (add.version().get(), toggle.version().get()),
        |_| list_staff(),
    );
    view! {
        <Title text="Staff" />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"Staff"</span></nav>
                <h1>"Staff"</h1>
                <p class="lead">"CSMs manage accounts and credentials; support reads everything and changes nothing."</p>
            </div>
        </div>
        <section class="card" aria-labelledby="add-staff-heading">
            <h2 id="add-staff-heading">"Add a staff login"</h2>
            <ActionForm action=add node_ref=reset_on_success(add) attr:class="inline-fields">
                <FormError action=add />
                <SaveNote action=add message="Staff login added." />
                <Field id="staff-email" name="email" label="Email" kind="email" required=true autocomplete="off"
                    error=field_error(add, "email") />
                <div class="field">
                    <label for="staff-role">"Role"</label>
                    <select id="staff-role" name="role">
                        <option value="support">"Support (read only)"</option>
                        <option value="csm">"CSM"</option>
                    </select>
                </div>
                <Field id="staff-password" name="password" label="Initial password" kind="password" required=true
                    autocomplete="new-password" hint="At least 10 characters." error=field_error(add, "password") />
                <button type="submit" class="button button-primary">"Add login"</button>
            </ActionForm>
        </section>
        <section class="card" aria-labelledby="staff-list-heading">
            <h2 id="staff-list-heading">"Staff logins"</h2>
            <FormError action=toggle />
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match staff.await {
                        Ok(users) => view! {
                            <div class="table-wrap">
                                <table>
                                    <thead>
                                        <tr>
                                            <th scope="col">"Email"</th>
                                            <th scope="col">"Role"</th>
                                            <th scope="col">"Status"</th>
                                            <th scope="col">"Last sign-in"</th>
                                            <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {users.into_iter().map(|u| {
                                            let disabled = u.disabled_at.is_some();
                                            let role = if u.role == "csm" { "CSM" } else { "Support" };
                                            view! {
                                                <tr>
                                                    <td>{u.email.clone()}</td>
                                                    <td>{role}</td>
                                                    <td>{if disabled {
                                                        view! { <StatusBadge text="Disabled" tone="muted" /> }
                                                    } else {
                                                        view! { <StatusBadge text="Active" tone="ok" /> }
                                                    }}</td>
                                                    <td>{u.last_login_at.map(format_time).unwrap_or_else(|| "Never".into())}</td>
                                                    <td class="actions">
                                                        <LoginToggle user_id=u.id email=u.email disabled action=toggle />
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}
