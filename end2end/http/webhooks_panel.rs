//! The panel's webhook server functions over HTTP: who may set which URL, the messages for bad URLs
//! (nothing saved), the event-type checkboxes, the secret, test events, the delivery log, resend and
//! recover, and their audit entries.
use std::sync::{
    Arc,
    atomic::{AtomicU16, Ordering},
};

use reqwest::StatusCode;
use serde_json::Value;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    client_sets_its_own_projects_url_and_events,
    only_a_csm_sets_the_account_url,
    support_changes_neither_url,
    a_client_cannot_reach_another_accounts_project,
    bad_urls_get_a_message_and_nothing_is_saved,
    test_event_log_resend_and_recover,
);

/// An account with a project and a signed-in client of it: (csm, client, account id, project id).
async fn setup(app: &TestApp, name: &str) -> (reqwest::Client, reqwest::Client, i64, i64) {
    let csm = app.csm().await;
    let (account_id, _) = app.account(&csm, name).await;
    let project = app
        .ok(
            &csm,
            "create_project",
            &[("account_id", &account_id.to_string()), ("name", "Shop")],
        )
        .await;
    let project_id = project["id"].as_i64().unwrap();
    let email = format!("client@{}.test", name.to_lowercase().replace(' ', "-"));
    let client = app.client_of(&csm, account_id, &email).await;
    (csm, client, account_id, project_id)
}

async fn overview(app: &TestApp, who: &reqwest::Client, project_id: i64) -> Value {
    app.ok(
        who,
        "project_webhooks",
        &[("project_id", &project_id.to_string())],
    )
    .await
}

async fn audit_actions(app: &TestApp, account_id: i64) -> Vec<(String, String)> {
    app.db()
        .audit_of_account(account_id, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

async fn client_sets_its_own_projects_url_and_events(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, client, account_id, project_id) = setup(&app, "Hooks").await;
    let id = project_id.to_string();

    let before = overview(&app, &client, project_id).await;
    assert_eq!(before["project"]["webhook_url"], Value::Null);
    assert_eq!(
        before["project"]["webhook_events"],
        Value::Null,
        "all by default"
    );
    assert_eq!(before["latest"], serde_json::json!([]));

    // Two boxes ticked, as the form sends them.
    let saved = app
        .ok(
            &client,
            "set_project_webhooks",
            &[
                ("project_id", &id),
                ("webhook_url", " https://hooks.example.com/mailroom "),
                ("events[]", "sent"),
                ("events[]", "clicked"),
            ],
        )
        .await;
    assert_eq!(saved["webhook_url"], "https://hooks.example.com/mailroom");
    let read = overview(&app, &client, project_id).await;
    assert_eq!(
        read["project"]["webhook_url"],
        "https://hooks.example.com/mailroom"
    );
    assert_eq!(read["project"]["webhook_events"], 1 | 32);

    // No box ticked: the form sends no `events` at all, which is "none".
    let saved = app
        .ok(
            &client,
            "set_project_webhooks",
            &[
                ("project_id", &id),
                ("webhook_url", "https://hooks.example.com/mailroom"),
            ],
        )
        .await;
    assert_eq!(saved["webhook_events"], 0);

    // Every box ticked is "all" again; an empty field returns to the account's URL.
    let mut all: Vec<(&str, &str)> = vec![("project_id", &id), ("webhook_url", "")];
    for (status, _, _) in mailroom::domain::WEBHOOK_EVENTS {
        all.push(("events[]", status));
    }
    let saved = app.ok(&client, "set_project_webhooks", &all).await;
    assert_eq!(saved["webhook_url"], Value::Null);
    assert_eq!(saved["webhook_events"], Value::Null);

    // An unknown event type is refused on its field.
    let res = app
        .call(
            &client,
            "set_project_webhooks",
            &[
                ("project_id", &id),
                ("webhook_url", ""),
                ("events[]", "queued"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "events");

    let audit = audit_actions(&app, account_id).await;
    let url_changes: Vec<&String> = audit
        .iter()
        .filter(|(action, _)| action == "project.webhook_url_set")
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(url_changes.len(), 2, "{audit:?}");
    assert!(
        url_changes
            .iter()
            .any(|d| d.contains("(the account's) → https://hooks.example.com/mailroom")),
        "{url_changes:?}"
    );
    assert_eq!(
        audit
            .iter()
            .filter(|(action, _)| action == "project.webhook_events_set")
            .count(),
        3
    );
}

async fn only_a_csm_sets_the_account_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (csm, client, account_id, project_id) = setup(&app, "Wide").await;
    let account = account_id.to_string();

    let res = app
        .call(
            &client,
            "set_account_webhook_url",
            &[
                ("account_id", &account),
                ("webhook_url", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let stored = app.db().account(account_id).await.unwrap().unwrap();
    assert_eq!(stored.webhook_url, None, "nothing stored");

    let saved = app
        .ok(
            &csm,
            "set_account_webhook_url",
            &[
                ("account_id", &account),
                ("webhook_url", "https://hooks.example.com/all"),
            ],
        )
        .await;
    assert_eq!(saved["webhook_url"], "https://hooks.example.com/all");
    // The client reads it through its project (the URL in effect).
    let read = overview(&app, &client, project_id).await;
    assert_eq!(
        read["project"]["account_webhook_url"],
        "https://hooks.example.com/all"
    );
    let audit = audit_actions(&app, account_id).await;
    assert!(
        audit
            .iter()
            .any(|(action, detail)| action == "account.webhook_url_set"
                && detail.contains("(none) → https://hooks.example.com/all")),
        "{audit:?}"
    );
}

async fn support_changes_neither_url(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (csm, _, account_id, project_id) = setup(&app, "Helpdesk").await;
    let support = app.staff(&csm, "support@example.com", "support").await;
    let (account, project) = (account_id.to_string(), project_id.to_string());

    // Support reads…
    overview(&app, &support, project_id).await;
    // …and changes nothing.
    for (function, form) in [
        (
            "set_project_webhooks",
            vec![
                ("project_id", project.as_str()),
                ("webhook_url", "https://hooks.example.com/x"),
            ],
        ),
        (
            "set_account_webhook_url",
            vec![
                ("account_id", account.as_str()),
                ("webhook_url", "https://hooks.example.com/x"),
            ],
        ),
        (
            "reveal_webhook_secret",
            vec![("project_id", project.as_str())],
        ),
        (
            "rotate_webhook_secret",
            vec![("project_id", project.as_str())],
        ),
        ("send_test_webhook", vec![("project_id", project.as_str())]),
        (
            "save_project_general",
            vec![
                ("project_id", project.as_str()),
                ("name", "Renamed"),
                ("sender_email", ""),
                ("sender_name", ""),
            ],
        ),
    ] {
        let res = app.call(&support, function, &form).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{function}");
    }
    let project = app.db().project(project_id).await.unwrap().unwrap();
    assert_eq!(
        (
            project.webhook_url,
            project.account_webhook_url,
            project.name
        ),
        (None, None, "Shop".to_owned())
    );
}

async fn a_client_cannot_reach_another_accounts_project(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, _, project_id) = setup(&app, "Mine").await;
    let (_, other, _, _) = setup(&app, "Other").await;
    let project = project_id.to_string();
    for (function, form) in [
        ("project_webhooks", vec![("project_id", project.as_str())]),
        (
            "set_project_webhooks",
            vec![
                ("project_id", project.as_str()),
                ("webhook_url", "https://hooks.example.com/steal"),
            ],
        ),
        (
            "reveal_webhook_secret",
            vec![("project_id", project.as_str())],
        ),
        (
            "rotate_webhook_secret",
            vec![("project_id", project.as_str())],
        ),
        ("send_test_webhook", vec![("project_id", project.as_str())]),
        (
            "list_webhook_deliveries",
            vec![
                ("project_id", project.as_str()),
                ("failed_only", "false"),
                ("page", "1"),
            ],
        ),
        (
            "rename_project",
            vec![("project_id", project.as_str()), ("name", "Mine now")],
        ),
    ] {
        let res = app.call(&other, function, &form).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{function}");
    }
    let stored = app.db().project(project_id).await.unwrap().unwrap();
    assert_eq!((stored.webhook_url, stored.name), (None, "Shop".to_owned()));
}

async fn bad_urls_get_a_message_and_nothing_is_saved(backend: Backend) {
    // The operator's setting as in production: private addresses refused.
    let app = TestApp::spawn_with(backend, |config| config.webhook_allow_private = false).await;
    let (csm, client, account_id, project_id) = setup(&app, "Strict").await;
    let (account, project) = (account_id.to_string(), project_id.to_string());
    let long = format!("https://x.example/{}", "a".repeat(10 * 1024));
    let cases: [(&str, &str); 7] = [
        ("not a url", "absolute URL"),
        ("ftp://x.example/", "https://"),
        ("https://", "URL"),
        ("https://u:p@x.example/", "user name or password"),
        (&long, "too long"),
        ("http://169.254.169.254/", "https://"),
        ("https://[::1]/", "private"),
    ];
    for (url, expected) in cases {
        for (who, function, id_field, id) in [
            (&client, "set_project_webhooks", "project_id", &project),
            (&csm, "set_account_webhook_url", "account_id", &account),
        ] {
            let res = app
                .call(who, function, &[(id_field, id), ("webhook_url", url)])
                .await;
            assert_eq!(
                res.status(),
                StatusCode::BAD_REQUEST,
                "{function} {url:.40}"
            );
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["Invalid"]["field"], "webhook_url", "{url:.40}: {body}");
            let message = body["Invalid"]["message"].as_str().unwrap();
            assert!(message.contains(expected), "{url:.40}: {message}");
        }
    }
    // The metadata address is refused as such once http:// is not the reason.
    let res = app
        .call(
            &client,
            "set_project_webhooks",
            &[
                ("project_id", &project),
                ("webhook_url", "https://169.254.169.254/"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let stored = app.db().project(project_id).await.unwrap().unwrap();
    assert_eq!(
        (stored.webhook_url, stored.account_webhook_url),
        (None, None)
    );
    let audit = audit_actions(&app, account_id).await;
    assert!(
        !audit.iter().any(|(action, _)| action.contains("webhook")),
        "{audit:?}"
    );
}

/// A receiver on port 0 that answers every POST with the status in `status` and the body "ok".
async fn receiver(status: Arc<AtomicU16>) -> String {
    use axum::{Router, http::StatusCode, routing::post};
    let app = Router::new().route(
        "/hook",
        post(move || {
            let status = status.clone();
            async move {
                (
                    StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap(),
                    "ok",
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}/hook")
}

async fn test_event_log_resend_and_recover(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, client, account_id, project_id) = setup(&app, "Tester").await;
    let id = project_id.to_string();

    // No URL anywhere: the test says so on the field.
    let res = app
        .call(&client, "send_test_webhook", &[("project_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "webhook_url");

    let status = Arc::new(AtomicU16::new(200));
    let url = receiver(status.clone()).await;
    app.ok(
        &client,
        "set_project_webhooks",
        &[("project_id", &id), ("webhook_url", &url)],
    )
    .await;
    let answer = app
        .ok(&client, "send_test_webhook", &[("project_id", &id)])
        .await;
    assert_eq!(answer["status_code"], 200);
    assert_eq!(answer["response"], "ok");
    assert_eq!(answer["delivered"], true);

    // The receiver fails: the test is logged as failed.
    status.store(500, Ordering::SeqCst);
    let answer = app
        .ok(&client, "send_test_webhook", &[("project_id", &id)])
        .await;
    assert_eq!(
        (
            answer["status_code"].as_i64(),
            answer["delivered"].as_bool()
        ),
        (Some(500), Some(false))
    );

    let list = async |failed: &str| {
        app.ok(
            &client,
            "list_webhook_deliveries",
            &[("project_id", &id), ("failed_only", failed), ("page", "1")],
        )
        .await
    };
    let about = async |email: &str| {
        app.ok(
            &client,
            "list_webhook_deliveries",
            &[
                ("project_id", &id),
                ("failed_only", "false"),
                ("email", email),
                ("page", "1"),
            ],
        )
        .await
    };
    let all = list("false").await;
    assert_eq!(all["total"], 2);
    assert_eq!(
        about("msg_of_no_email").await["total"],
        0,
        "test events are about no email"
    );
    let failed = list("true").await;
    assert_eq!(failed["total"], 1);
    let failed_id = failed["items"][0]["id"].as_i64().unwrap();
    assert_eq!(failed["items"][0]["event_type"], "webhook.test");
    assert_eq!(failed["items"][0]["last_status"], 500);
    let latest = overview(&app, &client, project_id).await;
    assert_eq!(latest["latest"].as_array().unwrap().len(), 2);

    let detail = app
        .ok(
            &client,
            "get_webhook_delivery",
            &[("id", &failed_id.to_string())],
        )
        .await;
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["url"], url.as_str());
    assert_eq!(attempts[0]["status_code"], 500);
    assert_eq!(attempts[0]["response"], "ok");

    // Recover: every failed delivery since an hour ago is queued again, then none is failed.
    let since = chrono::Utc::now() - chrono::Duration::hours(1);
    let queued = app
        .ok(
            &client,
            "recover_webhooks",
            &[
                ("project_id", &id),
                ("since", &since.format("%Y-%m-%dT%H:%M").to_string()),
            ],
        )
        .await;
    assert_eq!(queued, 1);
    assert_eq!(list("true").await["total"], 0);
    let res = app
        .call(
            &client,
            "recover_webhooks",
            &[("project_id", &id), ("since", "yesterday")],
        )
        .await;
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["Invalid"]["field"], "since");

    // Resend the delivered one: queued again, same webhook-id.
    let delivered = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == "delivered")
        .unwrap()
        .clone();
    let delivered_id = delivered["id"].as_i64().unwrap();
    app.ok(
        &client,
        "resend_webhook",
        &[("id", &delivered_id.to_string())],
    )
    .await;
    let again = app
        .ok(
            &client,
            "get_webhook_delivery",
            &[("id", &delivered_id.to_string())],
        )
        .await;
    assert_eq!(again["delivery"]["status"], "pending");
    assert_eq!(again["delivery"]["message_id"], delivered["message_id"]);

    // The secret: revealed, rotated (a new one), each audited.
    let secret = app
        .ok(&client, "reveal_webhook_secret", &[("project_id", &id)])
        .await;
    let rotated = app
        .ok(&client, "rotate_webhook_secret", &[("project_id", &id)])
        .await;
    assert!(secret.as_str().unwrap().starts_with("whsec_"));
    assert!(rotated.as_str().unwrap().starts_with("whsec_"));
    assert_ne!(secret, rotated);
    let after = overview(&app, &client, project_id).await;
    assert!(after["previous_secret_until"].as_i64().is_some());
    let audit = audit_actions(&app, account_id).await;
    for action in [
        "project.webhook_secret_revealed",
        "project.webhook_secret_rotated",
        "webhook.recovered",
        "webhook.resent",
    ] {
        assert!(
            audit.iter().any(|(a, _)| a == action),
            "{action}: {audit:?}"
        );
    }
}
