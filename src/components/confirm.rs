use leptos::prelude::*;

/// A destructive action behind a disclosure: the first button only opens an explanation with the real
/// button, so nothing happens on one stray click. Works without JavaScript.
#[component]
pub fn ConfirmAction(
    /// Text of the button that opens the confirmation ("Revoke").
    label: &'static str,
    /// What will happen, in plain words.
    #[prop(into)]
    question: String,
    /// The form (with its final submit button) that performs the action.
    children: Children,
) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class="button button-danger-outline">{label}</summary>
            <div class="confirm-panel" role="group" aria-label=format!("Confirm: {label}")>
                <p>{question}</p>
                {children()}
            </div>
        </details>
    }
}
