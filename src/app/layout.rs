use leptos::{context::Provider, prelude::*};
use leptos_router::{
    components::{A, Outlet, Redirect},
    hooks::use_location,
};

use crate::{
    domain::Role,
    model::SessionUser,
    server_fns::auth::{Logout, current_user},
};

/// The frame of every signed-in page: navigation by area (only what the role may use) and a top bar
/// with the signed-in person. Anyone not signed in is sent to the login page.
#[component]
pub fn PanelLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| current_user());
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) => view! { <SignedIn user /> }.into_any(),
                    _ => view! { <Redirect path="/login" /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignedIn(user: SessionUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let role = user.role;
    let email = user.email.clone();
    view! {
        <Provider value=user>
            <div class="layout">
                <a class="skip-link" href="#main">"Skip to content"</a>
                <aside class="sidebar">
                    <a class="brand" href="/">
                        <span class="brand-mark" aria-hidden="true">"✉"</span>
                        " Mailroom"
                    </a>
                    <nav aria-label="Main">
                        <ul>
                            {role.is_staff().then(|| view! { <NavItem href="/accounts" label="Accounts" /> })}
                            <NavItem href="/projects" label="Projects" />
                            <NavItem href="/campaigns" label="Campaigns" />
                            <NavItem href="/users" label="Users" />
                            <NavItem href="/outbox" label="Outbox" />
                            {(role == Role::Csm).then(|| view! { <NavItem href="/staff" label="Staff" /> })}
                            <NavItem href="/docs" label="API docs" />
                        </ul>
                    </nav>
                </aside>
                <div class="main-column">
                    <header class="topbar">
                        // A plain GET form: the search works from every page, with or without JavaScript.
                        <form method="GET" action="/users" class="topbar-search" role="search">
                            <label for="topbar-search" class="visually-hidden">"Search users"</label>
                            <input id="topbar-search" type="search" name="q" placeholder="Search users: email, user id, client_user_id" />
                            <button type="submit" class="button button-small">"Search"</button>
                        </form>
                        <span class="whoami">
                            <span class="whoami-email">{email}</span>
                            <span class=format!("badge badge-role badge-{}", role.as_str())>{role.label()}</span>
                        </span>
                        <ActionForm action=logout attr:class="inline-form">
                            <button type="submit" class="button button-small button-quiet">"Sign out"</button>
                        </ActionForm>
                    </header>
                    <main id="main" class="content">
                        <Outlet />
                    </main>
                </div>
            </div>
        </Provider>
    }
}

#[component]
fn NavItem(href: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let current = move || location.pathname.get().starts_with(href);
    view! {
        <li>
            <A href=href attr:class=move || if current() { "nav-link active" } else { "nav-link" }>
                {label}
            </A>
        </li>
    }
}
