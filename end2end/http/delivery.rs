//! Delivery: the queue drained to the captured outbox and to a real SMTP peer, retries, failures,
//! interrupted attempts and two workers on one queue.
use std::{sync::Arc, time::Duration};

use mailroom::{
    db::Db,
    jobs::{DeliveryOptions, Transport},
    mail::smtp::{SmtpPool, SmtpSettings},
    services::{Actor, email_types},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    api::{Tenant, tenant},
    both_databases,
    harness::{Backend, TestApp},
    smtp_peer::SmtpPeer,
};

both_databases!(
    outbox_captures_rendered_emails,
    templates_that_do_not_render_fail_the_email,
    smtp_peer_receives_intact_messages,
    temporary_failures_are_retried_then_sent,
    permanent_failures_fail_with_the_answer,
    interrupted_attempts_are_recorded_and_retried,
    two_workers_share_one_queue,
);

async fn send(app: &TestApp, t: &Tenant, email: &str) -> String {
    let (status, body) = t.post(app, "/v1/emails", &t.send_body(email)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]["message_id"].as_str().unwrap().to_owned()
}

async fn email(app: &TestApp, t: &Tenant, message_id: &str) -> Value {
    let (status, body) = t.get(app, &format!("/v1/emails/{message_id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

fn statuses(email: &Value) -> Vec<String> {
    email["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap().to_owned())
        .collect()
}

fn smtp(peer: &SmtpPeer) -> Transport {
    let settings = SmtpSettings::from_url(&peer.url).unwrap();
    Transport::Smtp(Arc::new(SmtpPool::new(settings, 8, "mailroom.test")))
}

/// Retries fall due at once, so that a drain runs them.
fn quick_retries() -> DeliveryOptions {
    DeliveryOptions {
        retry_delays: vec![Duration::ZERO],
        ..DeliveryOptions::default()
    }
}

async fn outbox_captures_rendered_emails(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(send(&app, &t, &format!("anna{i}@example.com")).await);
    }
    let metrics = || async {
        reqwest::get(format!("{}/metrics", app.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(
        metrics()
            .await
            .contains("mailroom_queue_depth{status=\"queued\"} 3\n")
    );
    assert_eq!(app.deliver().await, 3);
    assert_eq!(app.deliver().await, 0, "nothing is delivered twice");
    let text = metrics().await;
    for line in [
        "mailroom_queue_depth{status=\"queued\"} 0\n",
        "mailroom_deliveries_total{outcome=\"sent\"} 3\n",
        "mailroom_http_requests_total{class=\"2xx\"}",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    for (i, id) in ids.iter().enumerate() {
        let email = email(&app, &t, id).await;
        assert_eq!(email["status"], "sent", "{email}");
        assert_eq!(statuses(&email), ["queued", "sent"]);
        let (entries, total) = app
            .db()
            .outbox_entries(Some(t.account_id), id, 10, 0)
            .await
            .unwrap();
        assert_eq!(total, 1);
        let entry = &entries[0];
        assert_eq!(entry.recipient, format!("anna{i}@example.com"));
        assert_eq!(entry.subject, "Hello Anna");
        let (_, raw) = app
            .db()
            .outbox_message(entry.id, Some(t.account_id))
            .await
            .unwrap()
            .unwrap();
        for part in [
            format!("Message-ID: <{id}@"),
            "Subject: Hello Anna".into(),
            "Content-Type: text/plain".into(),
            "Content-Type: text/html".into(),
        ] {
            assert!(raw.contains(&part), "{part} missing in\n{raw}");
        }
    }
    let (_, total) = app
        .db()
        .outbox_entries(Some(t.account_id + 1000), "", 10, 0)
        .await
        .unwrap();
    assert_eq!(total, 0, "another account sees none of them");
}

async fn templates_that_do_not_render_fail_the_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let input = email_types::EmailTypeInput {
        name: "Broken",
        category: "trigger",
        subject: "Your order {{ order_number }}",
        html_body: "<p>x</p>",
        text_body: "x",
    };
    let type_id = email_types::create(app.db(), &Actor::Operator, t.project_id, input)
        .await
        .unwrap();
    let mut body = t.send_body("anna@example.com");
    body["type_id"] = json!(type_id);
    let (status, answer) = t.post(&app, "/v1/emails", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(app.deliver().await, 1);
    let email = email(&app, &t, answer["data"]["message_id"].as_str().unwrap()).await;
    assert_eq!(email["status"], "failed");
    let detail = email["events"][1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("subject") && detail.contains("undefined"),
        "{detail}"
    );
}

async fn smtp_peer_receives_intact_messages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let peer = SmtpPeer::accepting().await;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(send(&app, &t, &format!("user{i}@example.com")).await);
    }
    let handled = app
        .deliverer(smtp(&peer), DeliveryOptions::default())
        .drain()
        .await
        .unwrap();
    assert_eq!(handled, 20);
    let received = peer.messages();
    assert_eq!(received.len(), 20);
    for (i, id) in ids.iter().enumerate() {
        let message = received
            .iter()
            .find(|m| m.data.contains(&format!("Message-ID: <{id}@")))
            .unwrap_or_else(|| panic!("{id} did not arrive"));
        assert_eq!(message.to, format!("user{i}@example.com"));
        assert!(message.data.contains("Subject: Hello Anna"));
        assert!(message.data.contains("Content-Type: text/plain"));
        assert!(message.data.contains("Content-Type: text/html"));
        let email = email(&app, &t, id).await;
        assert_eq!(email["status"], "sent");
        assert!(
            email["events"][1]["detail"]
                .as_str()
                .unwrap()
                .starts_with("250")
        );
    }
}

async fn temporary_failures_are_retried_then_sent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    // The first 10 recipients are refused for now; later ones are accepted.
    let peer = SmtpPeer::start(Arc::new(|_, n| {
        if n < 10 {
            "451 4.3.0 Try again later"
        } else {
            "250 2.1.5 Ok"
        }
    }))
    .await;
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(send(&app, &t, &format!("user{i}@example.com")).await);
    }
    let handled = app
        .deliverer(smtp(&peer), quick_retries())
        .drain()
        .await
        .unwrap();
    assert_eq!(handled, 20, "each email was tried twice");
    let received = peer.messages();
    assert_eq!(received.len(), 10, "none twice");
    for id in &ids {
        assert_eq!(
            received
                .iter()
                .filter(|m| m.data.contains(id.as_str()))
                .count(),
            1
        );
        let email = email(&app, &t, id).await;
        assert_eq!(email["status"], "sent");
        assert_eq!(statuses(&email), ["queued", "deferred", "sent"]);
        assert!(
            email["events"][1]["detail"]
                .as_str()
                .unwrap()
                .contains("451")
        );
    }
}

async fn permanent_failures_fail_with_the_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let peer = SmtpPeer::start(Arc::new(|to, _| {
        if to.starts_with("gone") {
            "550 5.1.1 Recipient address rejected"
        } else {
            "250 2.1.5 Ok"
        }
    }))
    .await;
    let gone = send(&app, &t, "gone@example.com").await;
    let here = send(&app, &t, "here@example.com").await;
    app.deliverer(smtp(&peer), quick_retries())
        .drain()
        .await
        .unwrap();
    let email_gone = email(&app, &t, &gone).await;
    assert_eq!(email_gone["status"], "failed");
    assert_eq!(statuses(&email_gone), ["queued", "failed"], "not retried");
    assert!(
        email_gone["events"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("550 5.1.1 Recipient address rejected")
    );
    assert_eq!(email(&app, &t, &here).await["status"], "sent");
    assert_eq!(peer.messages().len(), 1);
}

/// Simulates a worker that claimed a batch and died: its lease runs out and the next worker takes over.
async fn interrupted_attempts_are_recorded_and_retried(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let id = send(&app, &t, "anna@example.com").await;
    let claimed = app
        .db()
        .claim_due_emails(10, mailroom::db::now_ms() + 600_000)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(app.deliver().await, 0, "a live lease is respected");
    // Ten minutes later (the default lease): the lease has run out.
    expire_leases(app.db()).await;
    assert_eq!(app.deliver().await, 1);
    let email = email(&app, &t, &id).await;
    assert_eq!(email["status"], "sent");
    assert_eq!(statuses(&email), ["queued", "deferred", "sent"]);
    assert!(
        email["events"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("interrupted")
    );
}

/// Ten minutes later (the default lease): every lease has run out.
pub async fn expire_leases(db: &Db) {
    let sql = "UPDATE emails SET lease_until = 1 WHERE lease_until IS NOT NULL";
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap();
}

async fn two_workers_share_one_queue(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let peer = SmtpPeer::accepting().await;
    let mut sends = tokio::task::JoinSet::new();
    let t = Arc::new(t);
    let app = Arc::new(app);
    for i in 0..300 {
        let (app, t) = (app.clone(), t.clone());
        sends.spawn(async move { send(&app, &t, &format!("user{i}@example.com")).await });
    }
    let mut ids = Vec::new();
    while let Some(id) = sends.join_next().await {
        ids.push(id.unwrap());
    }
    let options = DeliveryOptions {
        batch: 25,
        ..DeliveryOptions::default()
    };
    let (a, b) = (
        app.deliverer(smtp(&peer), options.clone()),
        app.deliverer(smtp(&peer), options),
    );
    let (da, db) = tokio::join!(a.drain(), b.drain());
    assert_eq!(da.unwrap() + db.unwrap(), 300);
    let seen = peer.arrivals();
    assert_eq!(seen.len(), 300);
    assert!(seen.values().all(|n| *n == 1), "no email was sent twice");
    for id in ids {
        assert_eq!(seen.get(&id), Some(&1));
    }
}
