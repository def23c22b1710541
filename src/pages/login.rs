use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    components::{Field, FormError, field_error},
    server_fns::auth::Login,
};

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    view! {
        <Title text="Sign in" />
        <main class="centered-page">
            <div class="card narrow login-card">
                <p class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true">"✉"</span>
                    " Mailroom"
                </p>
                <h1>"Sign in"</h1>
                <ActionForm action=login attr:class="stack">
                    <FormError action=login />
                    <Field id="login-email" name="email" label="Email" kind="email" required=true
                        autocomplete="username" error=field_error(login, "email") />
                    <Field id="login-password" name="password" label="Password" kind="password" required=true
                        autocomplete="current-password" error=field_error(login, "password") />
                    <button type="submit" class="button button-primary" disabled=move || login.pending().get()>
                        {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                    </button>
                </ActionForm>
                <p class="muted small login-footer">"Integrating? Read the "<a href="/docs">"API docs"</a>"."</p>
            </div>
        </main>
    }
}
