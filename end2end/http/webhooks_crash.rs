//! The server is SIGKILLed while 1,000 webhooks are being delivered and restarted: every event reaches
//! the receiver at least once, with the `webhook-id` it had before the kill (the id is stored with the
//! webhook when its event is recorded, not made per attempt).
use std::{collections::HashSet, sync::atomic::Ordering, time::Duration};

use mailroom::{
    db::Db,
    services::{Actor, webhooks},
};
use serde_json::json;

use crate::{
    both_databases,
    delivery::expire_leases,
    durability::start_with,
    harness::{Backend, TestDatabase},
    operator::{OperatorTenant, PLAIN_TEMPLATES, free_port},
    webhooks::{Receiver, count},
};

both_databases!(a_killed_sender_delivers_every_event_with_its_id);

const EMAILS: usize = 1000;

async fn a_killed_sender_delivers_every_event_with_its_id(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let tenant = OperatorTenant::create(&db.url, PLAIN_TEMPLATES);
    let store = Db::connect(&db.url).await.unwrap();
    // A receiver that takes 40 ms per request keeps deliveries in flight long enough to be cut.
    let (receiver, url) = Receiver::start().await;
    receiver.hang_ms.store(40, Ordering::SeqCst);
    webhooks::set_project(
        &store,
        true,
        &Actor::Operator,
        tenant.project_id,
        &url,
        None,
    )
    .await
    .unwrap();
    let secret = webhooks::reveal_secret(&store, &Actor::Operator, tenant.project_id)
        .await
        .unwrap();
    receiver.secrets.lock().unwrap().push(secret);

    let settings = [("MAILROOM_WEBHOOK_ALLOW_PRIVATE", "1")];
    let port = free_port();
    let mut server = start_with(&db, port, &settings).await;
    let http = reqwest::Client::new();
    let auth = tenant.authorization();
    for i in 0..EMAILS {
        let body = json!({"project_id": tenant.project_id, "type_id": tenant.type_id,
            "category": "trigger", "user": {"email": format!("user{i}@example.com")}});
        let res = http
            .post(format!("http://127.0.0.1:{port}/v1/emails"))
            .header("authorization", &auth)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
    }
    for _ in 0..2000 {
        if receiver.got().len() >= EMAILS / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let before_kill: HashSet<String> = receiver.got().into_iter().map(|r| r.id).collect();
    assert!(
        before_kill.len() < EMAILS,
        "the kill came before the end ({} received)",
        before_kill.len()
    );

    // A minute later the killed process's leases have run out.
    expire_leases(&store).await;
    let expire = "UPDATE webhooks SET lease_until = 1 WHERE lease_until IS NOT NULL";
    match &store {
        Db::Sqlite(pool) => sqlx::query(expire).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(expire).execute(pool).await.map(drop),
    }
    .unwrap();
    let mut server = start_with(&db, port, &settings).await;
    for _ in 0..1200 {
        if count(
            &store,
            "SELECT COUNT(*) FROM webhooks WHERE status <> 'delivered'",
        )
        .await
            == 0
            && count(&store, "SELECT COUNT(*) FROM emails WHERE status = 'sent'").await
                == EMAILS as i64
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let stored: Vec<String> = match &store {
        Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT message_id FROM webhooks")
                .fetch_all(pool)
                .await
        }
        Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT message_id FROM webhooks")
                .fetch_all(pool)
                .await
        }
    }
    .unwrap();
    let stored: HashSet<String> = stored.into_iter().collect();
    // One webhook per event: each email's `sent`, and a `deferred` for each delivery the kill
    // interrupted.
    let events = count(&store, "SELECT COUNT(*) FROM email_events").await;
    assert!(events >= EMAILS as i64);
    assert_eq!(stored.len() as i64, events, "one webhook per event");
    let received: HashSet<String> = receiver.unique().into_keys().collect();
    assert_eq!(
        received, stored,
        "every event arrived, under the id it was stored with"
    );
    assert!(
        before_kill.is_subset(&stored),
        "ids received before the kill are the stored ones"
    );
    assert!(receiver.got().iter().all(|r| r.signed_by == [0]));
    eprintln!(
        "killed after {} webhooks; {} requests in all for {EMAILS} events",
        before_kill.len(),
        receiver.got().len()
    );
}
