//! Panel pages rendered on the server, read through their typed route and query parameters: a bad
//! page number falls back to page 1, a malformed id shows the not-found answer.
use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    page_parameters_fall_back_sensibly,
    project_page_checks_every_read_of_the_project
);

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

/// The project page rendered on the server reads the project once for all its parts (the project,
/// email types, suppressed recipients, chart); each part still checks that the viewer may read it.
async fn project_page_checks_every_read_of_the_project(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let acme = crate::api::tenant(&app, "Acme Render").await;
    let globex = crate::api::tenant(&app, "Globex Render").await;
    for (t, address) in [
        (&acme, "anna@acme.example"),
        (&globex, "bob@globex.example"),
    ] {
        let (status, sent) = t.post(&app, "/v1/emails", &t.send_body(address)).await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        app.db()
            .unsubscribe_user(sent["data"]["user_id"].as_i64().unwrap())
            .await
            .unwrap();
    }
    let client = app
        .client_of(&csm, acme.account_id, "owner@acme.example")
        .await;

    let (status, own) = page(&app, &client, &format!("/projects/{}", acme.project_id)).await;
    assert_eq!(status, StatusCode::OK);
    for part in [
        "Welcome",
        "anna@acme.example",
        "Emails by status, last 30 days",
    ] {
        assert!(own.contains(part), "own project page lacks {part:?}: {own}");
    }

    // The page itself renders (200, like every not-found page of the panel) with the error.
    let (_, foreign) = page(&app, &client, &format!("/projects/{}", globex.project_id)).await;
    assert!(foreign.contains("Not found."), "{foreign}");
    for part in ["bob@globex.example", "Globex Render", "Emails by status"] {
        assert!(
            !foreign.contains(part),
            "a client saw {part:?} of another account: {foreign}"
        );
    }
}
