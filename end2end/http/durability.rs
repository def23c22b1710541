//! Nothing answered 200 is lost: the server process is killed (SIGKILL) while clients send emails
//! concurrently; after a restart every answered message id is stored exactly once.
use std::{
    collections::HashSet,
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use mailroom::db::Db;
use serde_json::{Value, json};

use crate::{
    both_databases,
    harness::{Backend, TestDatabase},
    operator::{OperatorTenant, PLAIN_TEMPLATES, free_port},
};

both_databases!(answered_emails_survive_a_killed_process);

const CLIENTS: usize = 32;
const TOTAL: usize = 3000;
const KILL_AFTER: usize = 1200;

async fn start(db: &TestDatabase, port: u16) -> Child {
    start_with(db, port, &[]).await
}

/// Starts `mailroom serve` on the test's database with extra settings; returns once it is ready.
pub async fn start_with(db: &TestDatabase, port: u16, settings: &[(&str, &str)]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("serve")
        .envs(settings.iter().copied())
        .env("MAILROOM_DATABASE_URL", &db.url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not start");
}

async fn answered_emails_survive_a_killed_process(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let tenant = OperatorTenant::create(&db.url, PLAIN_TEMPLATES);
    let (project_id, type_id) = (tenant.project_id, tenant.type_id);

    let port = free_port();
    let mut server = start(&db, port).await;
    let auth = tenant.authorization();
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let mut workers = Vec::new();
    for _ in 0..CLIENTS {
        let (answered, next, http, auth) =
            (answered.clone(), next.clone(), http.clone(), auth.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= TOTAL {
                    break;
                }
                let body = json!({"project_id": project_id, "type_id": type_id, "category": "trigger",
                    "user": {"email": format!("user{}@example.com", i % 500)}, "data": {"i": i}});
                let sent = http.post(format!("http://127.0.0.1:{port}/v1/emails")).header("authorization", &auth).json(&body).send().await;
                let Ok(res) = sent else { continue };
                if res.status().is_success()
                    && let Ok(answer) = res.json::<Value>().await
                {
                    answered.lock().unwrap().push(answer["data"]["message_id"].as_str().unwrap().to_owned());
                }
            }
        }));
    }
    while answered.lock().unwrap().len() < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();
    for worker in workers {
        worker.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= KILL_AFTER && answered.len() < TOTAL,
        "killed mid-run: {} answered",
        answered.len()
    );

    let mut restarted = start(&db, port).await;
    let stored = Db::connect(&db.url)
        .await
        .unwrap()
        .all_message_ids()
        .await
        .unwrap();
    restarted.kill().unwrap();
    restarted.wait().unwrap();
    let stored_set: HashSet<&String> = stored.iter().collect();
    assert_eq!(
        stored_set.len(),
        stored.len(),
        "no message id is stored twice"
    );
    let lost: Vec<&String> = answered
        .iter()
        .filter(|id| !stored_set.contains(id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} answered emails were lost",
        lost.len(),
        answered.len()
    );
}
