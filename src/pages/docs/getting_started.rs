use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{components::CopyButton, model::ApiReference};

/// The worked example of the Authorization header (a unit test checks the encoding).
pub const EXAMPLE_CLIENT_ID: &str = "cl_4f9x2k7m1q8w3e6r5t0y";
pub const EXAMPLE_KEY: &str = "mr_Xy7Qp2Lm9Rt4Vb8Nc3Kd6Hf1Gj5Sw0Ea2Zu7Io4";
pub const EXAMPLE_AUTHORIZATION: &str = "Basic Y2xfNGY5eDJrN20xcTh3M2U2cjV0MHk6bXJfWHk3UXAyTG05UnQ0VmI4TmMzS2Q2SGYxR2o1U3cwRWEyWnU3SW80";

#[component]
pub fn GettingStartedPage() -> impl IntoView {
    let reference = expect_context::<ApiReference>();
    let curl = format!(
        "curl https://mailroom.example.com/v1/email/check \\\n  -H 'Authorization: {EXAMPLE_AUTHORIZATION}' \\\n  -H 'Content-Type: application/json' \\\n  -d '{{\"email\": \"anna@example.com\"}}'"
    );
    view! {
        <Title text="API docs" />
        <nav class="breadcrumbs" aria-label="Breadcrumb"><span aria-current="page">"API docs"</span></nav>
        <h1>"Getting started"</h1>
        <p class="lead">{reference.description.clone()}</p>
        <section class="card">
            <h2>"1. Get your credentials from your CSM"</h2>
            <p>
                "Your Customer Success Manager creates your account and gives you its "<strong>"client_id"</strong>
                " (public, like a user name) and one or more "<strong>"API keys"</strong>" (secret, like passwords). "
                "A key is shown only once, when it is issued: keep it in your secret store. Several keys can be "
                "active at once, so you can rotate keys without downtime; ask your CSM to revoke the old one."
            </p>
        </section>
        <section class="card">
            <h2>"2. Build the Authorization header"</h2>
            <p>"Join the client_id and the key with a colon, encode it as Base64, and send it as HTTP Basic authentication:"</p>
            <dl class="details">
                <dt>"client_id"</dt><dd><code>{EXAMPLE_CLIENT_ID}</code></dd>
                <dt>"API key"</dt><dd><code>{EXAMPLE_KEY}</code></dd>
                <dt>"Joined"</dt><dd><code>{format!("{EXAMPLE_CLIENT_ID}:{EXAMPLE_KEY}")}</code></dd>
                <dt>"Header"</dt><dd><code class="wrap">{format!("Authorization: {EXAMPLE_AUTHORIZATION}")}</code></dd>
            </dl>
            <p>"Most HTTP clients do this for you (curl: "<code>"-u \"$CLIENT_ID:$API_KEY\""</code>")."</p>
        </section>
        <section class="card">
            <h2>"3. Make a first call"</h2>
            <div class="code-window">
                <div class="code-window-bar"><span>"Request"</span><CopyButton text=curl.clone() label="Copy" /></div>
                <pre><code>{curl.clone()}</code></pre>
            </div>
            <p>
                "Every answer is JSON. Success is "<code>"{\"data\": …}"</code>"; errors are "
                <a href="https://www.rfc-editor.org/rfc/rfc9457">"RFC 9457 problem details"</a>
                " whose "<code>"errors"</code>" name each bad field. 200 means received, validated and durably "
                "stored: sending happens afterwards. Wrong or revoked credentials get 401, a suspended account 403, "
                "and another account's project or user 404."
            </p>
        </section>
        <section class="card">
            <h2>"Endpoints"</h2>
            <ul class="item-list">
                {reference.endpoints.into_iter().map(|e| view! {
                    <li>
                        <div>
                            <A href=format!("/docs/{}", e.slug)>{e.summary.clone()}</A>
                            <p class="muted small"><code>{format!("{} {}", e.method, e.path)}</code></p>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
            <p class="muted small">"Machine-readable: "<a href="/v1/openapi.json">"/v1/openapi.json"</a>" (OpenAPI 3.1)."</p>
        </section>
    }
}
