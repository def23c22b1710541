//! The delivering process is SIGKILLed mid-batch and restarted: every email ends sent, exactly once from
//! the relay's point of view, or — when the kill came between the relay's acceptance and the recording
//! of it — twice, and then the email's history says that its attempt was interrupted.
use std::time::Duration;

use mailroom::db::Db;
use serde_json::json;

use crate::{
    both_databases,
    delivery::expire_leases,
    durability::start_with,
    harness::{Backend, TestDatabase},
    operator::{OperatorTenant, PLAIN_TEMPLATES, free_port},
    smtp_peer::SmtpPeer,
};

both_databases!(a_killed_delivery_resumes_without_silent_duplicates);

const EMAILS: usize = 200;

async fn count(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

async fn a_killed_delivery_resumes_without_silent_duplicates(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let tenant = OperatorTenant::create(&db.url, PLAIN_TEMPLATES);
    let (project_id, type_id) = (tenant.project_id, tenant.type_id);
    // A relay that takes 150 ms to accept each message keeps batches in flight long enough to be cut.
    let peer = SmtpPeer::slow(Duration::from_millis(150)).await;
    let settings = [("MAILROOM_SMTP_URL", peer.url.as_str())];
    let port = free_port();
    let mut server = start_with(&db, port, &settings).await;

    let auth = tenant.authorization();
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..EMAILS {
        let body = json!({"project_id": project_id, "type_id": type_id, "category": "trigger",
            "user": {"email": format!("user{i}@example.com")}});
        let res = http
            .post(format!("http://127.0.0.1:{port}/v1/emails"))
            .header("authorization", &auth)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success());
        let answer: serde_json::Value = res.json().await.unwrap();
        ids.push(answer["data"]["message_id"].as_str().unwrap().to_owned());
    }
    for _ in 0..2000 {
        if peer.messages().len() >= EMAILS / 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let at_kill = peer.messages().len();
    assert!(
        at_kill < EMAILS,
        "the kill came before the end ({at_kill} received)"
    );

    // Ten minutes later the killed process's leases have run out.
    let store = Db::connect(&db.url).await.unwrap();
    expire_leases(&store).await;
    let mut server = start_with(&db, port, &settings).await;
    for _ in 0..600 {
        if count(&store, "SELECT COUNT(*) FROM emails WHERE status = 'sent'").await == EMAILS as i64
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        count(&store, "SELECT COUNT(*) FROM emails WHERE status = 'sent'").await,
        EMAILS as i64,
        "every email ends sent"
    );

    let received = peer.arrivals();
    let interrupted_sql =
        "SELECT e.message_id FROM emails e JOIN email_events v ON v.email_id = e.id
        WHERE v.status = 'deferred' AND v.detail LIKE '%interrupted%'";
    let interrupted: Vec<String> = match &store {
        Db::Sqlite(pool) => sqlx::query_scalar(interrupted_sql).fetch_all(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(interrupted_sql).fetch_all(pool).await,
    }
    .unwrap();
    let mut twice = 0;
    for id in &ids {
        match received.get(id).copied().unwrap_or(0) {
            1 => {}
            2 => {
                twice += 1;
                assert!(
                    interrupted.contains(id),
                    "{id} was sent twice without a record of why"
                );
            }
            n => panic!("{id} reached the relay {n} times"),
        }
    }
    eprintln!(
        "killed after {at_kill} messages; {} interrupted attempts recorded; {twice} sent twice",
        interrupted.len()
    );
}
