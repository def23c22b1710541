use leptos::prelude::*;
use leptos_router::components::A;

/// Previous/next links for a paged list; `href` builds the link of a page number.
#[component]
pub fn Pagination(
    page: u32,
    page_count: u32,
    total: i64,
    href: impl Fn(u32) -> String + 'static,
) -> impl IntoView {
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page < page_count).then(|| href(page + 1));
    view! {
        <nav class="pagination" aria-label="Pagination">
            {match prev {
                Some(h) => view! { <A href=h attr:rel="prev">"← Previous"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"← Previous"</span> }.into_any(),
            }}
            <span class="page-info">{format!("Page {page} of {page_count} · {total} in all")}</span>
            {match next {
                Some(h) => view! { <A href=h attr:rel="next">"Next →"</A> }.into_any(),
                None => view! { <span class="disabled" aria-disabled="true">"Next →"</span> }.into_any(),
            }}
        </nav>
    }
}
