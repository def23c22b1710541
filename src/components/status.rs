use leptos::prelude::*;

/// A status shown as a word in a coloured pill (the colour is never the only signal).
#[component]
pub fn StatusBadge(
    #[prop(into)] text: String,
    #[prop(default = "ok")] tone: &'static str,
) -> impl IntoView {
    view! { <span class=format!("badge badge-{tone}")>{text}</span> }
}

/// The statuses an email can have, in the order it gets through them (for filters).
pub const EMAIL_STATUSES: [&str; 12] = [
    "queued",
    "deferred",
    "sent",
    "delivered",
    "opened",
    "clicked",
    "unsubscribed",
    "suppressed",
    "failed",
    "bounced",
    "complained",
    "cancelled",
];

/// An email's status as a badge: green once it got through, red when it did not, grey while waiting.
#[component]
pub fn EmailStatus(#[prop(into)] status: String) -> impl IntoView {
    let tone = match status.as_str() {
        "sent" | "delivered" | "opened" | "clicked" => "ok",
        "failed" | "bounced" | "complained" => "danger",
        "deferred" | "suppressed" | "unsubscribed" => "warn",
        _ => "muted",
    };
    view! { <StatusBadge text=status tone /> }
}
