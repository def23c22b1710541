use leptos::{prelude::*, server_fn::ServerFn};

use crate::error::AppError;

/// The message for one field from an action's last result, for showing beside that field.
pub fn field_error<S>(action: ServerAction<S>, field: &'static str) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err()?.field_message(field))
        })
    })
}

/// Clears the form after its action succeeded, so that the next entry starts empty.
pub fn reset_on_success<S>(action: ServerAction<S>) -> NodeRef<leptos::html::Form>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        let succeeded = action.value().with(|v| matches!(v, Some(Ok(_))));
        if succeeded && let Some(form) = form.get() {
            form.reset();
        }
    });
    form
}

/// A labelled input with its error message beside it (linked for screen readers).
#[component]
pub fn Field(
    /// Unique id of the input on the page.
    id: &'static str,
    /// Form field name (the server function's argument).
    name: &'static str,
    label: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] required: bool,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    /// The value the input starts with (for editing).
    #[prop(optional, into)]
    value: String,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id>{label}</label>
            <input
                id=id
                name=name
                type=kind
                required=required
                autocomplete=autocomplete
                value=value
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            {move || {
                error.get().map(|message| view! {
                    <p class="field-error" id=error_id.clone()>{format!("{label} {message}")}</p>
                })
            }}
        </div>
    }
}

/// An error of an action that is not about one field (permission, throttling, conflicts).
#[component]
pub fn FormError<S>(action: ServerAction<S>) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().err()?.banner()))
            .map(|message| {
                view! { <p class="alert alert-error" role="alert">{message}</p> }
            })
    }
}

/// A short confirmation after an action succeeded.
#[component]
pub fn SaveNote<S>(action: ServerAction<S>, message: &'static str) -> impl IntoView
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    move || {
        action
            .value()
            .with(|v| matches!(v, Some(Ok(_))))
            .then(|| view! { <p class="alert alert-success" role="status">{message}</p> })
    }
}
