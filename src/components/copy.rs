use leptos::prelude::*;

/// Copies `text` to the clipboard; says "Copied" for a moment.
#[component]
pub fn CopyButton(
    #[prop(into)] text: String,
    #[prop(default = "Copy")] label: &'static str,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&text);
            }
            copied.set(true);
            set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button button-small" on:click=on_click aria-live="polite">
            {move || if copied.get() { "Copied" } else { label }}
        </button>
    }
}
