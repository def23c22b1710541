//! Webhook delivery against a real receiver (a small axum server on port 0) that verifies every
//! signature with the Standard Webhooks algorithm written here from the contract's text, not with
//! Mailroom's signing code: events become webhooks in order, retries after an outage, 410 and the last
//! try end it, a hanging receiver is timed out without delaying another, private addresses are refused,
//! rotation signs twice, and the webhook row is written in the event's transaction.
use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU16, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use mailroom::{
    db::Db,
    jobs::{WebhookClient, WebhookOptions, WebhookSender},
    services::{Actor, engagement, projects, webhooks},
};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{
    api::{Tenant, tenant},
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    events_become_signed_webhooks_in_order,
    an_outage_is_retried_and_410_or_the_last_try_ends_it,
    a_hanging_receiver_is_timed_out_and_delays_no_other,
    private_receivers_are_refused_when_saving_and_when_delivering,
    after_a_rotation_both_secrets_sign,
    no_event_is_stored_without_its_webhook,
    two_senders_share_the_queue_without_double_deliveries,
);

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub body: Value,
    /// Which of the receiver's secrets signed it (indexes into `secrets`).
    pub signed_by: Vec<usize>,
}

/// A webhook receiver: answers `status` (or hangs `hang_ms` first) and keeps what it got.
#[derive(Clone, Default)]
pub struct Receiver {
    pub got: Arc<Mutex<Vec<Received>>>,
    pub secrets: Arc<Mutex<Vec<String>>>,
    pub status: Arc<AtomicU16>,
    pub hang_ms: Arc<AtomicU64>,
}

impl Receiver {
    /// Starts a receiver answering 200; returns it with its URL.
    pub async fn start() -> (Receiver, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let receiver = Receiver::default();
        receiver.status.store(200, Ordering::SeqCst);
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        receiver.serve(listener);
        (receiver, url)
    }

    pub fn serve(&self, listener: tokio::net::TcpListener) {
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(self.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
    }

    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Each webhook-id once (receivers deduplicate retries by it).
    pub fn unique(&self) -> HashMap<String, Received> {
        self.got().into_iter().map(|r| (r.id.clone(), r)).collect()
    }
}

/// The contract's signature, written from its text: HMAC-SHA256 keyed by the base64-decoded part of
/// the secret after `whsec_`, over `{id}.{timestamp}.{body}`, base64, prefixed `v1,`.
fn expected_signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

async fn receive(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp, signatures) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    assert_eq!(header("content-type"), "application/json");
    let sent_at: i64 = timestamp
        .parse()
        .expect("webhook-timestamp is unix seconds");
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);
    let given: Vec<&str> = signatures.split(' ').collect();
    let signed_by: Vec<usize> = r
        .secrets
        .lock()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, s)| given.contains(&expected_signature(s, &id, &timestamp, &body).as_str()))
        .map(|(i, _)| i)
        .collect();
    r.got.lock().unwrap().push(Received {
        id,
        body: serde_json::from_slice(&body).expect("a JSON body"),
        signed_by,
    });
    let hang = r.hang_ms.load(Ordering::SeqCst);
    if hang > 0 {
        tokio::time::sleep(Duration::from_millis(hang)).await;
    }
    StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
}

pub fn quick_options() -> WebhookOptions {
    WebhookOptions {
        retry_delays: vec![Duration::from_millis(100); 3],
        poll: Duration::from_millis(20),
        ..WebhookOptions::default()
    }
}

pub fn sender(app: &TestApp, allow_private: bool, options: WebhookOptions) -> Arc<WebhookSender> {
    WebhookSender::new(
        app.db().clone(),
        Arc::new(WebhookClient::new(allow_private).unwrap()),
        options,
        app.state.metrics.clone(),
    )
}

/// Points the tenant's project at `url` and teaches the receiver the project's secret.
async fn subscribe(app: &TestApp, t: &Tenant, receiver: &Receiver, url: &str) {
    webhooks::set_project(app.db(), true, &Actor::Operator, t.project_id, url, None)
        .await
        .unwrap();
    let secret = webhooks::reveal_secret(app.db(), &Actor::Operator, t.project_id)
        .await
        .unwrap();
    receiver.secrets.lock().unwrap().push(secret);
}

/// Sends `n` emails (with `meta`) and delivers them to the captured outbox: `n` sent events.
async fn send_and_deliver(app: &TestApp, t: &Tenant, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let mut body = t.send_body(&format!("user{i}@example.com"));
        body["meta"] = json!({"order": format!("A-{i}")});
        let (status, answer) = t.post(app, "/v1/emails", &body).await;
        assert!(status.is_success(), "{answer}");
        ids.push(answer["data"]["message_id"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.deliver().await, n);
    ids
}

pub async fn count(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap()
}

async fn events_become_signed_webhooks_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (receiver, url) = Receiver::start().await;
    subscribe(&app, &t, &receiver, &url).await;
    let ids = send_and_deliver(&app, &t, 3).await;
    // Later events: a click with its URL, a soft bounce, a complaint.
    let email = app.db().email_ref(&ids[0]).await.unwrap().unwrap();
    app.db()
        .record_email_event(email.id, "clicked", Some("https://shop.example/a"), false)
        .await
        .unwrap();
    engagement::bounced(app.db(), t.account_id, &ids[1], false, Some("mailbox full"))
        .await
        .unwrap();
    engagement::complained(app.db(), t.account_id, &ids[2], None)
        .await
        .unwrap();
    sender(&app, true, quick_options()).drain().await;

    let got = receiver.got();
    assert_eq!(got.len(), 6, "{got:#?}");
    assert!(
        got.iter().all(|r| r.signed_by == [0]),
        "every signature verifies"
    );
    let types: Vec<(&str, &str)> = got
        .iter()
        .map(|r| {
            (
                r.body["data"]["message_id"].as_str().unwrap(),
                r.body["type"].as_str().unwrap(),
            )
        })
        .collect();
    for (id, later) in [
        (&ids[0], "email.clicked"),
        (&ids[1], "email.bounced"),
        (&ids[2], "email.complained"),
    ] {
        let of_email: Vec<&str> = types
            .iter()
            .filter(|(m, _)| m == id)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(
            of_email,
            ["email.sent", later],
            "in the order they happened"
        );
    }
    let click = got
        .iter()
        .find(|r| r.body["type"] == "email.clicked")
        .unwrap();
    let data = &click.body["data"];
    assert_eq!(data["url"], "https://shop.example/a");
    assert_eq!(data["project_id"], t.project_id);
    assert_eq!(data["email"], "user0@example.com");
    assert_eq!(data["type_id"], t.type_id);
    assert_eq!(data["category"], "trigger");
    assert_eq!(data["status"], "clicked");
    assert_eq!(data["meta"], json!({"order": "A-0"}));
    assert!(data["user_id"].as_i64().is_some());
    // The delivery log of one email.
    let of_email = webhooks::deliveries(
        app.db(),
        &Actor::Operator,
        t.project_id,
        false,
        Some(&ids[0]),
        1,
    )
    .await
    .unwrap();
    let types: Vec<&str> = of_email
        .items
        .iter()
        .map(|d| d.event_type.as_str())
        .collect();
    assert_eq!(types, ["email.clicked", "email.sent"], "newest first");
    assert!(
        of_email
            .items
            .iter()
            .all(|d| d.status == "delivered" && d.last_status == Some(200))
    );
    assert!(click.body["timestamp"].as_str().unwrap().ends_with('Z'));
    let ids_seen: std::collections::HashSet<&str> = got.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids_seen.len(), 6, "one webhook-id per event");
    assert!(got.iter().all(|r| r.id.starts_with("msg_")));
    // Every attempt is logged, and /metrics counts them.
    assert_eq!(
        count(
            app.db(),
            "SELECT COUNT(*) FROM webhook_attempts WHERE status_code = 200"
        )
        .await,
        6
    );
    let metrics = reqwest::get(format!("{}/metrics", app.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("mailroom_webhook_deliveries_total{outcome=\"delivered\"} 6"),
        "{metrics}"
    );
    assert!(
        metrics.contains("mailroom_webhook_queue_depth 0"),
        "{metrics}"
    );

    // Event types the project does not take produce no webhook.
    webhooks::set_project(
        app.db(),
        true,
        &Actor::Operator,
        t.project_id,
        &url,
        webhooks::event_set(&["clicked".into()]).unwrap(),
    )
    .await
    .unwrap();
    send_and_deliver(&app, &t, 1).await;
    assert_eq!(
        count(app.db(), "SELECT COUNT(*) FROM webhooks").await,
        6,
        "a sent event of a project that takes only clicks"
    );
    // A project without a URL (nor an account URL) queues nothing.
    let quiet = tenant(&app, "Quiet").await;
    send_and_deliver(&app, &quiet, 2).await;
    assert_eq!(count(app.db(), "SELECT COUNT(*) FROM webhooks").await, 6);
    // The account's URL serves a project without its own.
    let sibling = projects::create(app.db(), &Actor::Operator, quiet.account_id, "Sibling")
        .await
        .unwrap();
    webhooks::set_account_url(app.db(), true, &Actor::Operator, quiet.account_id, &url)
        .await
        .unwrap();
    let sibling = app.db().project(sibling.id).await.unwrap().unwrap();
    assert_eq!(sibling.effective_webhook_url(), Some(url.as_str()));
    send_and_deliver(&app, &quiet, 1).await;
    assert_eq!(count(app.db(), "SELECT COUNT(*) FROM webhooks").await, 7);
}

async fn an_outage_is_retried_and_410_or_the_last_try_ends_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    // The receiver's port, with nothing listening yet: connections are refused.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    drop(listener);
    let url = format!("http://{addr}/hook");
    let receiver = Receiver::default();
    receiver.status.store(200, Ordering::SeqCst);
    subscribe(&app, &t, &receiver, &url).await;
    let ids = send_and_deliver(&app, &t, 5).await;
    for id in &ids {
        let email = app.db().email_ref(id).await.unwrap().unwrap();
        app.db()
            .record_email_event(email.id, "opened", None, true)
            .await
            .unwrap();
    }
    // Retries every 100 ms, more than enough of them to outlast the outage however slow the machine.
    let patient = sender(
        &app,
        true,
        WebhookOptions {
            retry_delays: vec![Duration::from_millis(100); 1000],
            ..quick_options()
        },
    );
    patient.drain().await;
    assert!(receiver.got().is_empty());
    let refused = count(
        app.db(),
        "SELECT COUNT(*) FROM webhook_attempts WHERE status_code IS NULL",
    )
    .await;
    assert!(
        refused >= 5,
        "each email's first event was tried ({refused} attempts)"
    );
    // The receiver comes up; the retries deliver everything, each event once (in order only where
    // the receiver keeps up: an event under retry does not hold back the next one).
    receiver.serve(tokio::net::TcpListener::bind(addr).await.unwrap());
    for _ in 0..200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        patient.drain().await;
        if receiver.unique().len() == 10 {
            break;
        }
    }
    let unique = receiver.unique();
    assert_eq!(unique.len(), 10);
    assert_eq!(receiver.got().len(), 10, "nothing delivered twice");
    for id in &ids {
        let mut of_email: Vec<String> = receiver
            .got()
            .iter()
            .filter(|r| r.body["data"]["message_id"] == id.as_str())
            .map(|r| r.body["type"].as_str().unwrap().to_owned())
            .collect();
        of_email.sort();
        assert_eq!(of_email, ["email.opened", "email.sent"]);
    }
    assert_eq!(
        count(
            app.db(),
            "SELECT COUNT(*) FROM webhooks WHERE status = 'delivered'"
        )
        .await,
        10
    );

    // 410 Gone: given up at once.
    let sender = sender(&app, true, quick_options());
    receiver.status.store(410, Ordering::SeqCst);
    send_and_deliver(&app, &t, 1).await;
    sender.drain().await;
    let gone = count(
        app.db(),
        "SELECT COUNT(*) FROM webhooks WHERE status = 'failed' AND attempts = 1 AND last_status = 410",
    )
    .await;
    assert_eq!(gone, 1);
    // 500 on every try: retried on the schedule (three retries here), then failed.
    receiver.status.store(500, Ordering::SeqCst);
    send_and_deliver(&app, &t, 1).await;
    let exhausted = "SELECT COUNT(*) FROM webhooks WHERE status = 'failed' AND last_status = 500";
    for _ in 0..200 {
        sender.drain().await;
        if count(app.db(), exhausted).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        count(app.db(), &format!("{exhausted} AND attempts = 4")).await,
        1,
        "given up after the first try and three retries"
    );
    let project = app.db().project(t.project_id).await.unwrap().unwrap();
    assert!(
        project.webhook_failing_since.is_some(),
        "the project shows a warning"
    );

    // Recover: every failed delivery since then is sent again, with the same webhook-id.
    receiver.status.store(200, Ordering::SeqCst);
    let before = receiver.got().len();
    let queued = webhooks::recover(app.db(), &Actor::Operator, t.project_id, 0)
        .await
        .unwrap();
    assert_eq!(queued, 2);
    sender.drain().await;
    let after = receiver.got();
    assert_eq!(after.len(), before + 2);
    for again in &after[before..] {
        assert!(
            after[..before].iter().any(|r| r.id == again.id),
            "resent with its webhook-id"
        );
    }
    let project = app.db().project(t.project_id).await.unwrap().unwrap();
    assert_eq!(project.webhook_failing_since, None, "the warning is gone");
}

async fn a_hanging_receiver_is_timed_out_and_delays_no_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let slow = tenant(&app, "Slow").await;
    let fast = tenant(&app, "Fast").await;
    let (hanging, hanging_url) = Receiver::start().await;
    hanging.hang_ms.store(15_000, Ordering::SeqCst);
    let (healthy, healthy_url) = Receiver::start().await;
    subscribe(&app, &slow, &hanging, &hanging_url).await;
    subscribe(&app, &fast, &healthy, &healthy_url).await;
    send_and_deliver(&app, &slow, 3).await;
    send_and_deliver(&app, &fast, 20).await;
    let sender = sender(&app, true, quick_options());
    let running = sender.spawn();
    let started = Instant::now();
    while healthy.got().len() < 20 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        healthy.got().len(),
        20,
        "the healthy receiver is not held up"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    // After 10 s the hanging receiver's attempts are timed out, logged and scheduled again.
    tokio::time::sleep(Duration::from_millis(11_000)).await;
    running.stop().await;
    let timed_out = count(
        app.db(),
        "SELECT COUNT(*) FROM webhook_attempts WHERE status_code IS NULL AND response LIKE 'timed out%'",
    )
    .await;
    assert!(timed_out >= 3, "{timed_out} timed-out attempts");
    assert_eq!(
        count(
            app.db(),
            "SELECT COUNT(*) FROM webhooks WHERE status = 'pending' AND attempts >= 1"
        )
        .await
            + count(
                app.db(),
                "SELECT COUNT(*) FROM webhooks WHERE status = 'failed'"
            )
            .await,
        3,
        "the slow project's webhooks are waiting for a retry (or were given up), none lost"
    );
}

async fn private_receivers_are_refused_when_saving_and_when_delivering(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    for bad in [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "http://hooks.example.com/",
    ] {
        let error =
            webhooks::set_project(app.db(), false, &Actor::Operator, t.project_id, bad, None)
                .await
                .unwrap_err();
        assert!(
            error.field_message("webhook_url").is_some(),
            "{bad}: {error:?}"
        );
    }
    assert_eq!(
        app.db()
            .project(t.project_id)
            .await
            .unwrap()
            .unwrap()
            .webhook_url,
        None
    );
    // Saved while allowed, delivered while not: the sender refuses to connect.
    let (receiver, url) = Receiver::start().await;
    let by_name = url.replace("http://127.0.0.1", "https://localhost");
    subscribe(&app, &t, &receiver, &by_name).await;
    send_and_deliver(&app, &t, 1).await;
    sender(&app, false, quick_options()).drain().await;
    assert!(receiver.got().is_empty());
    let response: String = match app.db() {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT response FROM webhook_attempts")
            .fetch_one(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT response FROM webhook_attempts")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    assert!(response.contains("refused"), "{response}");
}

async fn after_a_rotation_both_secrets_sign(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (receiver, url) = Receiver::start().await;
    subscribe(&app, &t, &receiver, &url).await;
    let new = webhooks::rotate_secret(app.db(), &Actor::Operator, t.project_id)
        .await
        .unwrap();
    receiver.secrets.lock().unwrap().push(new.clone());
    send_and_deliver(&app, &t, 1).await;
    sender(&app, true, quick_options()).drain().await;
    assert_eq!(
        receiver.got()[0].signed_by,
        [0, 1],
        "old and new secret both sign"
    );
    // A day later only the new one signs.
    execute(
        app.db(),
        "UPDATE projects SET webhook_secret_previous_until = 1",
    )
    .await;
    let result = webhooks::send_test(
        app.db(),
        &WebhookClient::new(true).unwrap(),
        &Actor::Operator,
        t.project_id,
    )
    .await
    .unwrap();
    assert!(
        result.delivered && result.status_code == Some(200),
        "{result:?}"
    );
    let test = receiver.got().pop().unwrap();
    assert_eq!(test.body["type"], "webhook.test");
    assert_eq!(test.signed_by, [1]);
    let audit = app.db().audit_of_account(t.account_id, 20).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|a| a.action == "project.webhook_secret_rotated")
    );
    assert!(
        !audit.iter().any(|a| a.detail.contains(&new)),
        "no secret in the audit"
    );
}

async fn no_event_is_stored_without_its_webhook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (receiver, url) = Receiver::start().await;
    subscribe(&app, &t, &receiver, &url).await;
    let ids = send_and_deliver(&app, &t, 1).await;
    let email = app.db().email_ref(&ids[0]).await.unwrap().unwrap();
    let events = count(app.db(), "SELECT COUNT(*) FROM email_events").await;
    // The webhook cannot be written: the event is not stored either.
    execute(app.db(), "ALTER TABLE webhooks RENAME TO webhooks_gone").await;
    assert!(
        app.db()
            .record_email_event(email.id, "opened", None, true)
            .await
            .is_err()
    );
    assert_eq!(
        count(app.db(), "SELECT COUNT(*) FROM email_events").await,
        events
    );
    execute(app.db(), "ALTER TABLE webhooks_gone RENAME TO webhooks").await;
    assert!(
        app.db()
            .record_email_event(email.id, "opened", None, true)
            .await
            .unwrap()
    );
    assert_eq!(count(app.db(), "SELECT COUNT(*) FROM webhooks").await, 2);
}

async fn two_senders_share_the_queue_without_double_deliveries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (receiver, url) = Receiver::start().await;
    subscribe(&app, &t, &receiver, &url).await;
    let ids = send_and_deliver(&app, &t, 200).await;
    for id in &ids {
        let email = app.db().email_ref(id).await.unwrap().unwrap();
        app.db()
            .record_email_event(email.id, "opened", None, true)
            .await
            .unwrap();
    }
    // Two senders (as in two processes) drain the same queue at the same time.
    let small = || WebhookOptions {
        batch: 25,
        ..quick_options()
    };
    let (a, b) = (sender(&app, true, small()), sender(&app, true, small()));
    tokio::join!(a.drain(), b.drain());
    assert_eq!(receiver.unique().len(), 400);
    assert_eq!(receiver.got().len(), 400, "no webhook delivered twice");
    assert_eq!(
        count(app.db(), "SELECT COUNT(*) FROM webhook_attempts").await,
        400
    );
}
