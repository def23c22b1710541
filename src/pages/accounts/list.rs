use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};

use crate::{
    components::{Field, FormError, Pagination, StatusBadge, field_error},
    domain::Role,
    model::{AccountSummary, SessionUser, format_time},
    pages::params::{SearchQuery, use_list_query},
    server_fns::accounts::{CreateAccount, list_accounts},
};

#[component]
pub fn AccountsPage() -> impl IntoView {
    let me = expect_context::<SessionUser>();
    let query = use_list_query::<SearchQuery>();
    let search = move || query.with(|q| q.q.clone().unwrap_or_default());
    let page = move || query.with(|q| q.page.0);
    let accounts = Resource::new(move || (search(), page()), |(q, p)| list_accounts(q, p));

    view! {
        <Title text="Accounts" />
        <div class="page-header">
            <div>
                <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"Accounts"</span></nav>
                <h1>"Accounts"</h1>
                <p class="lead">"Client companies, their client_id, API keys, logins and projects."</p>
            </div>
        </div>
        {(me.role == Role::Csm).then(|| view! { <NewAccountForm /> })}
        <section class="card" aria-labelledby="accounts-list-heading">
            <div class="card-header">
                <h2 id="accounts-list-heading">"All accounts"</h2>
                <Form method="GET" action="" attr:class="search-form" attr:role="search">
                    <label for="accounts-search" class="visually-hidden">"Search accounts"</label>
                    <input id="accounts-search" type="search" name="q" placeholder="Search by name or client_id"
                        prop:value=search />
                    <button type="submit" class="button">"Search"</button>
                </Form>
            </div>
            <Transition fallback=|| view! { <p class="loading">"Loading accounts…"</p> }>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Ok(page) => {
                            let q = search();
                            let (number, count, total) = (page.page, page.page_count(), page.total);
                            let href = move |p: u32| format!("/accounts?q={}&page={p}", encode(&q));
                            view! {
                                <AccountsTable items=page.items searched=!search().is_empty() />
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

pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
fn NewAccountForm() -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    view! {
        <section class="card" aria-labelledby="new-account-heading">
            <h2 id="new-account-heading">"New account"</h2>
            <ActionForm action=create attr:class="inline-fields">
                <FormError action=create />
                <Field id="new-account-name" name="name" label="Name" required=true
                    hint="The client company's name. A client_id is generated for it."
                    error=field_error(create, "name") />
                <button type="submit" class="button button-primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create account" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
fn AccountsTable(items: Vec<AccountSummary>, searched: bool) -> impl IntoView {
    if items.is_empty() {
        let text = if searched {
            "No accounts match this search."
        } else {
            "No accounts yet. A CSM creates the first one with the form above."
        };
        return view! { <p class="empty-state">{text}</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"client_id"</th>
                        <th scope="col" class="num">"Projects"</th>
                        <th scope="col" class="num">"Active keys"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Created"</th>
                    </tr>
                </thead>
                <tbody>
                    {items.into_iter().map(|a| view! {
                        <tr>
                            <td><A href=format!("/accounts/{}", a.id)>{a.name}</A></td>
                            <td><code>{a.client_id}</code></td>
                            <td class="num">{a.project_count}</td>
                            <td class="num">{a.active_key_count}</td>
                            <td>{if a.suspended_at.is_some() {
                                view! { <StatusBadge text="Suspended" tone="danger" /> }
                            } else {
                                view! { <StatusBadge text="Active" tone="ok" /> }
                            }}</td>
                            <td>{format_time(a.created_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
