//! Panel pages rendered on the server, read through their typed route and query parameters: a bad
//! page number falls back to page 1, a malformed id shows the not-found answer.
use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(page_parameters_fall_back_sensibly);

/// The page at `path` as a browser asks for it.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (StatusCode, String) {
    let res = client
        .get(format!("{}{path}", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

async fn page_parameters_fall_back_sensibly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (acme, _) = app.account(&csm, "Acme Pages").await;
    for i in 1..=20 {
        app.account(&csm, &format!("Filler {i:02}")).await;
    }

    for (path, expected) in [
        ("/accounts", "Page 1 of 2 · 21 in all"),
        ("/accounts?page=2", "Page 2 of 2 · 21 in all"),
        ("/accounts?page=abc", "Page 1 of 2 · 21 in all"),
        ("/accounts?page=0", "Page 1 of 2 · 21 in all"),
        ("/accounts?q=Acme", "Page 1 of 1 · 1 in all"),
        // The search survives a bad page number.
        ("/accounts?q=Acme&page=x", "Page 1 of 1 · 1 in all"),
        (
            "/outbox?q=nothing&page=-3",
            "No captured email matches this search.",
        ),
        (&format!("/accounts/{acme}"), "Acme Pages"),
        ("/docs/post-v1-emails", "/v1/emails"),
        ("/docs/no-such-endpoint", "There is no such endpoint."),
    ] {
        let (status, body) = page(&app, &csm, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.contains(expected), "{path} lacks {expected:?}: {body}");
    }

    for path in [
        "/accounts/abc",
        "/accounts/999999",
        "/projects/1x",
        "/projects/1/types/x",
        "/outbox/abc",
    ] {
        let (status, body) = page(&app, &csm, path).await;
        assert!(body.contains("Not found."), "{path} ({status}): {body}");
    }
}
