//! The server is SIGKILLed in the middle of a campaign's import and restarted: the import resumes from
//! its last committed batch and ends with every user once and every email once (the counters too).
use std::time::Duration;

use reqwest::multipart;
use serde_json::{Value, json};

use crate::{
    both_databases,
    durability::start_with,
    harness::{Backend, TestDatabase},
    operator::{OperatorTenant, PLAIN_TEMPLATES, free_port},
};

both_databases!(a_killed_import_resumes_without_duplicates);

const ROWS: usize = 60_000;

async fn campaign(http: &reqwest::Client, port: u16, auth: &str, id: i64) -> Value {
    let res = http
        .get(format!("http://127.0.0.1:{port}/v1/campaigns/{id}"))
        .header("authorization", auth)
        .send()
        .await
        .unwrap();
    res.json::<Value>().await.unwrap()["data"].clone()
}

async fn a_killed_import_resumes_without_duplicates(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let tenant = OperatorTenant::create(&db.url, PLAIN_TEMPLATES);
    // The default process: delivery workers and the importer beside the API.
    let port = free_port();
    let mut server = start_with(&db, port, &[]).await;
    let http = reqwest::Client::new();
    let auth = tenant.authorization();
    let mut file = String::from("email,name\n");
    for i in 0..ROWS {
        file.push_str(&format!("user{i}@example.com,User {i}\n"));
    }
    let form = multipart::Form::new()
        .text(
            "fields",
            json!({"name": "Crash", "type_id": tenant.type_id}).to_string(),
        )
        .part(
            "file",
            multipart::Part::bytes(file.into_bytes()).file_name("u.csv"),
        );
    let res = http
        .post(format!(
            "http://127.0.0.1:{port}/v1/projects/{}/campaigns",
            tenant.project_id
        ))
        .header("authorization", &auth)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["data"]["id"]
        .as_i64()
        .unwrap();

    // Kill as soon as a part is imported.
    let mut read_before_kill = 0;
    for _ in 0..2000 {
        let c = campaign(&http, port, &auth, id).await;
        read_before_kill = c["progress"]["rows_read"].as_i64().unwrap();
        if read_before_kill > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        read_before_kill > 0 && read_before_kill < ROWS as i64,
        "killed after {read_before_kill} rows"
    );

    // Restarted, the import is taken over once its lease (15 s) has run out.
    let mut server = start_with(&db, port, &[]).await;
    let mut c = Value::Null;
    for _ in 0..600 {
        c = campaign(&http, port, &auth, id).await;
        if c["state"] != "importing" && c["state"] != "scheduled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(c["state"] == "sending" || c["state"] == "done", "{c}");
    assert_eq!(c["progress"]["rows_read"], ROWS, "{c}");
    assert_eq!(c["progress"]["users_created"], ROWS, "{c}");
    assert_eq!(c["progress"]["emails_queued"], ROWS, "{c}");
    let store = mailroom::db::Db::connect(&db.url).await.unwrap();
    let count = |sql: &'static str| {
        let store = store.clone();
        async move {
            match &store {
                mailroom::db::Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(pool)
                    .await
                    .unwrap(),
                mailroom::db::Db::Postgres(pool) => sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(pool)
                    .await
                    .unwrap(),
            }
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM users").await, ROWS as i64);
    assert_eq!(
        count("SELECT COUNT(DISTINCT email) FROM users").await,
        ROWS as i64
    );
    assert_eq!(count("SELECT COUNT(*) FROM emails").await, ROWS as i64);
    assert_eq!(
        count("SELECT COUNT(DISTINCT user_id) FROM emails").await,
        ROWS as i64
    );
    store.close().await;
}
