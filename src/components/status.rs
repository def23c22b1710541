use leptos::prelude::*;

/// A status shown as a word in a coloured pill (the colour is never the only signal).
#[component]
pub fn StatusBadge(
    #[prop(into)] text: String,
    #[prop(default = "ok")] tone: &'static str,
) -> impl IntoView {
    view! { <span class=format!("badge badge-{tone}")>{text}</span> }
}
