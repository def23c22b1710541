use leptos::{context::Provider, prelude::*};
use leptos_router::{
    components::{A, Outlet},
    hooks::use_location,
};

use crate::server_fns::docs::get_api_reference;

/// The frame of the docs: a navigation of the endpoints by area; readable without signing in.
#[component]
pub fn DocsLayout() -> impl IntoView {
    let reference = Resource::new(|| (), |_| get_api_reference());
    let location = use_location();
    view! {
        <div class="layout docs">
            <a class="skip-link" href="#main">"Skip to content"</a>
            <aside class="sidebar">
                <a class="brand" href="/docs">
                    <span class="brand-mark" aria-hidden="true">"✉"</span>
                    " Mailroom API"
                </a>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let reference = reference.await.ok()?;
                        let current = move |href: String| {
                            let href2 = href.clone();
                            move || if location.pathname.get() == href2 { "nav-link active" } else { "nav-link" }
                        };
                        Some(view! {
                            <nav aria-label="API docs">
                                <ul>
                                    <li><A href="/docs" attr:class=current("/docs".into())>"Getting started"</A></li>
                                    {reference.endpoints.into_iter().map(|e| {
                                        let href = format!("/docs/{}", e.slug);
                                        view! {
                                            <li>
                                                <A href=href.clone() attr:class=current(href)>
                                                    <span class=format!("method method-{}", e.method.to_lowercase())>{e.method.clone()}</span>
                                                    " " {e.summary}
                                                </A>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </nav>
                        })
                    })}
                </Suspense>
            </aside>
            <div class="main-column">
                <header class="topbar">
                    <a href="/" class="button button-small button-quiet">"Open the panel"</a>
                </header>
                <main id="main" class="content content-wide">
                    <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            match reference.await {
                                Ok(reference) => view! { <Provider value=reference><Outlet /></Provider> }.into_any(),
                                Err(e) => view! { <p class="alert alert-error" role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })}
                    </Suspense>
                </main>
            </div>
        </div>
    }
}
