//! After sending: tracked opens and clicks, unsubscribes (page and one-click), bounce and complaint
//! reports, and suppressions seen and lifted in the panel.
use mailroom::services::{Actor, email_types, outbox};
use reqwest::{Client, StatusCode, redirect::Policy};
use serde_json::{Value, json};

use crate::{
    api::{Tenant, tenant},
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    opens_clicks_and_unsubscribes_are_recorded,
    bounces_and_complaints_suppress_until_lifted,
    queued_emails_of_unsubscribed_users_are_not_sent,
);

async fn send(app: &TestApp, t: &Tenant, body: &Value) -> Value {
    let (status, answer) = t.post(app, "/v1/emails", body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"].clone()
}

async fn status_of(app: &TestApp, t: &Tenant, message_id: &str) -> (String, Vec<Value>) {
    let (_, body) = t.get(app, &format!("/v1/emails/{message_id}")).await;
    let events = body["data"]["events"].as_array().unwrap().clone();
    (body["data"]["status"].as_str().unwrap().to_owned(), events)
}

/// The first URL in `text` that starts with `prefix`, up to a quote or whitespace.
fn url_in(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix} not in\n{text}"));
    text[start..]
        .split(['"', '<', '>', ' ', '\r', '\n'])
        .next()
        .unwrap()
        .to_owned()
}

async fn opens_clicks_and_unsubscribes_are_recorded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let input = email_types::EmailTypeInput {
        name: "Offer",
        category: "trigger",
        subject: "An offer for {{ name }}",
        html_body: r#"<html><body><p><a href="https://shop.example/offer?id=1&amp;x=2">See it</a></p>
            <p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p></body></html>"#,
        text_body: "See https://shop.example/offer?id=1&x=2 -- unsubscribe: {{ unsubscribe_url }}",
    };
    let type_id = email_types::create(app.db(), &Actor::Operator, t.project_id, input)
        .await
        .unwrap();
    let mut body = t.send_body("anna@example.com");
    body["type_id"] = json!(type_id);
    let sent = send(&app, &t, &body).await;
    let id = sent["message_id"].as_str().unwrap();
    assert_eq!(app.deliver().await, 1);
    let (entries, _) = app.db().outbox_entries(None, id, 1, 0).await.unwrap();
    let message = outbox::get(app.db(), &Actor::Operator, entries[0].id)
        .await
        .unwrap();
    let html = message.html.unwrap();
    let base = &app.state.config.base_url;
    let click = url_in(&html, &format!("{base}/t/c/"));
    let pixel = url_in(&html, &format!("{base}/t/o/"));
    let unsubscribe = url_in(&message.raw, &format!("{base}/u/"));
    assert!(
        message
            .raw
            .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    );
    assert!(
        message.text.unwrap().contains(&unsubscribe),
        "the template's unsubscribe_url is the header's"
    );
    // The links point at the test server, whose address the config does not know.
    let local = |url: &str| url.replacen(base, &app.base, 1);
    let client = Client::builder().redirect(Policy::none()).build().unwrap();

    for _ in 0..2 {
        let res = client.get(local(&pixel)).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "image/gif");
    }
    let (status, events) = status_of(&app, &t, id).await;
    assert_eq!(status, "opened");
    assert_eq!(
        events.iter().filter(|e| e["status"] == "opened").count(),
        1,
        "the first open counts"
    );

    let res = client.get(local(&click)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "https://shop.example/offer?id=1&x=2"
    );
    let (status, events) = status_of(&app, &t, id).await;
    assert_eq!(status, "clicked");
    assert_eq!(
        events.last().unwrap()["detail"],
        "https://shop.example/offer?id=1&x=2"
    );
    let tampered = local(&click).replace("offer", "other");
    assert_ne!(tampered, local(&click));
    assert_eq!(
        client.get(tampered).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    let page = client.get(local(&unsubscribe)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let text = page.text().await.unwrap();
    assert!(
        text.contains("anna@example.com") && text.contains("<button"),
        "{text}"
    );
    let (_, user) = t.get(&app, &format!("/v1/users/{}", sent["user_id"])).await;
    assert_eq!(
        user["data"]["subscribed"], true,
        "showing the page changes nothing"
    );
    let res = client
        .post(local(&unsubscribe))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let (_, user) = t.get(&app, &format!("/v1/users/{}", sent["user_id"])).await;
    assert_eq!(user["data"]["subscribed"], false);
    assert_eq!(status_of(&app, &t, id).await.0, "unsubscribed");
    let again = send(&app, &t, &body).await;
    assert_eq!(again["status"], "suppressed");
    let (status, events) = status_of(&app, &t, again["message_id"].as_str().unwrap()).await;
    assert_eq!(status, "suppressed");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["status"], "suppressed");
    let forged = local(&unsubscribe).replace(id, "msg_000000000000000000000000");
    assert_eq!(
        client.post(forged).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

async fn bounces_and_complaints_suppress_until_lifted(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let other = tenant(&app, "Other").await;
    let first = send(&app, &t, &t.send_body("anna@example.com")).await;
    let id = first["message_id"].as_str().unwrap();
    app.deliver().await;

    let (status, problem) = t
        .post(&app, "/v1/events/bounce", &json!({"type": "sometimes"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"]["message_id"], "is required");
    assert_eq!(problem["errors"]["type"], "must be hard or soft");
    let (status, problem) = t
        .post(
            &app,
            "/v1/events/bounce",
            &json!({"message_id": 7, "type": null, "detail": ["x"]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        problem["errors"]["message_id"],
        "must be a message id returned by the send"
    );
    assert_eq!(
        problem["errors"]["detail"],
        "must be text of at most 1000 characters"
    );
    assert!(problem["errors"].get("type").is_none(), "null type is hard");
    let (status, _) = other
        .post(&app, "/v1/events/bounce", &json!({"message_id": id}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another account's email");

    let soft = json!({"message_id": id, "type": "soft", "detail": "452 mailbox full"});
    let (status, answer) = t.post(&app, "/v1/events/bounce", &soft).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["data"]["suppressed"], false);
    assert_eq!(
        send(&app, &t, &t.send_body("anna@example.com")).await["status"],
        "queued"
    );

    let hard = json!({"message_id": id, "detail": "550 5.1.1 no such user"});
    let (status, answer) = t.post(&app, "/v1/events/bounce", &hard).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["data"]["suppressed"], true);
    let (_, events) = status_of(&app, &t, id).await;
    assert_eq!(
        events.last().unwrap()["detail"],
        "hard bounce: 550 5.1.1 no such user"
    );
    assert_eq!(
        send(&app, &t, &t.send_body("anna@example.com")).await["status"],
        "suppressed"
    );

    let bob = send(&app, &t, &t.send_body("bob@example.com")).await;
    let (status, _) = t
        .post(
            &app,
            "/v1/events/complaint",
            &json!({"message_id": bob["message_id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        send(&app, &t, &t.send_body("bob@example.com")).await["status"],
        "suppressed"
    );

    // In the panel: the CSM sees both and lifts Anna's.
    let csm = app.csm().await;
    let project = t.project_id.to_string();
    let list = app
        .ok(
            &csm,
            "list_suppressions",
            &[("project_id", &project), ("page", "1")],
        )
        .await;
    let reasons: Vec<(&str, &str)> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["email"].as_str().unwrap(), u["reason"].as_str().unwrap()))
        .collect();
    assert!(
        reasons.contains(&("anna@example.com", "bounced")),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&("bob@example.com", "complained")),
        "{reasons:?}"
    );
    let anna = first["user_id"].to_string();
    app.ok(
        &csm,
        "lift_suppression",
        &[("project_id", &project), ("user_id", &anna)],
    )
    .await;
    assert_eq!(
        send(&app, &t, &t.send_body("anna@example.com")).await["status"],
        "queued"
    );
    let list = app
        .ok(
            &csm,
            "list_suppressions",
            &[("project_id", &project), ("page", "1")],
        )
        .await;
    assert_eq!(list["total"], 1);
}

async fn queued_emails_of_unsubscribed_users_are_not_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let sent = send(&app, &t, &t.send_body("anna@example.com")).await;
    app.db()
        .unsubscribe_user(sent["user_id"].as_i64().unwrap())
        .await
        .unwrap();
    assert_eq!(app.deliver().await, 1);
    let (status, events) = status_of(&app, &t, sent["message_id"].as_str().unwrap()).await;
    assert_eq!(status, "suppressed");
    let statuses: Vec<&str> = events
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "suppressed"]);
    let (_, total) = app.db().outbox_entries(None, "", 10, 0).await.unwrap();
    assert_eq!(total, 0, "nothing was sent");
}
