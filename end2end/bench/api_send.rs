//! Benchmark of `POST /v1/emails` (not a test: it prints numbers). Run with `cargo bench --features ssr`;
//! needs `wrk` (Debian package) and PostgreSQL at 127.0.0.1:5432 (skipped if it does not answer).
//!
//! In one run, on the same machine, with `wrk` on the same cores, at 8, 64 and 256 connections:
//! (a) a bare axum handler answering 200 — the HTTP ceiling;
//! (b) a bare handler that durably stores one row per request through a group-commit writer (one writer
//!     task commits whatever is waiting as one multi-row INSERT, then answers them all) — the durability
//!     ceiling on SQLite, driven by a fixed body and (b') by the same send script as Mailroom (a new body
//!     per request costs wrk, on the same cores, more than a fixed one);
//! (c) Mailroom's `POST /v1/emails` (validation, user upsert, queue insert, durable before the answer) on
//!     SQLite and on PostgreSQL, as a separate process whose peak RSS is reported.
//! Each figure is the median of `RUNS` runs of `SECONDS` seconds.
use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    str::FromStr,
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, routing::post};
use sqlx::{
    QueryBuilder, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::sync::{mpsc, oneshot};

#[path = "common.rs"]
mod common;
#[path = "../operator.rs"]
mod operator;
use common::{drop_postgres, fresh_postgres, peak_rss_mib};
use operator::{OperatorTenant, PLAIN_TEMPLATES, free_port};

/// The PostgreSQL database of the PostgreSQL run, dropped at the end.
const POSTGRES_DB: &str = "mailroom_bench";
const CONNECTIONS: [u32; 3] = [8, 64, 256];
const RUNS: usize = 3;
const SECONDS: u32 = 4;

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    rps: f64,
    p99_ms: f64,
}

fn median(mut samples: Vec<Sample>) -> Sample {
    samples.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    let rps = samples[samples.len() / 2].rps;
    let mut p99: Vec<f64> = samples.iter().map(|s| s.p99_ms).collect();
    p99.sort_by(f64::total_cmp);
    Sample {
        rps,
        p99_ms: p99[p99.len() / 2],
    }
}

/// Milliseconds of a wrk duration such as `812.00us`, `12.34ms` or `1.20s`.
fn millis(text: &str) -> f64 {
    let (number, factor) = if let Some(n) = text.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    f64::from_str(number).unwrap_or(f64::NAN) * factor
}

fn wrk(url: &str, connections: u32, script: &str) -> Sample {
    let threads = connections.min(2).to_string();
    let out = Command::new("wrk")
        .args([
            "-t",
            &threads,
            "-c",
            &connections.to_string(),
            "-d",
            &format!("{SECONDS}s"),
            "--latency",
            "-s",
            script,
            url,
        ])
        .output()
        .expect("wrk must be installed (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut sample = Sample::default();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", rps] => sample.rps = rps.parse().unwrap_or(0.0),
            ["99%", latency] => sample.p99_ms = millis(latency),
            _ => {}
        }
    }
    if text.contains("Non-2xx") {
        eprintln!("warning: non-2xx answers during the run:\n{text}");
    }
    sample
}

/// A server under test and the wrk script that drives it.
struct Target {
    label: &'static str,
    url: String,
    script: String,
}

/// (a) The HTTP ceiling.
async fn bare_server() -> String {
    // Any path: the same wrk scripts drive the baselines and Mailroom.
    let app = Router::new().fallback(post(|_body: Bytes| async { "{\"data\":{}}" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

type Batch = Vec<(Bytes, oneshot::Sender<()>)>;

/// (b) The durability ceiling: a group-commit writer over SQLite with Mailroom's settings.
async fn group_commit_server(path: &str) -> String {
    let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
        .unwrap()
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body BLOB NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let (sender, receiver) = mpsc::channel::<(Bytes, oneshot::Sender<()>)>(65_536);
    tokio::spawn(writer(pool, receiver));
    let app =
        Router::new()
            .fallback(
                post(
                    |State(sender): State<mpsc::Sender<(Bytes, oneshot::Sender<()>)>>,
                     body: Bytes| async move {
                        let (done, stored) = oneshot::channel();
                        if sender.send((body, done)).await.is_err() || stored.await.is_err() {
                            return (axum::http::StatusCode::SERVICE_UNAVAILABLE, "{}");
                        }
                        (axum::http::StatusCode::OK, "{\"data\":{}}")
                    },
                ),
            )
            .with_state(sender);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

async fn writer(pool: SqlitePool, mut receiver: mpsc::Receiver<(Bytes, oneshot::Sender<()>)>) {
    while let Some(first) = receiver.recv().await {
        let mut batch: Batch = vec![first];
        // Whatever is already waiting joins the batch; nobody waits for more.
        while batch.len() < 1000 {
            match receiver.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let mut tx = pool.begin().await.unwrap();
        let mut insert = QueryBuilder::new("INSERT INTO rows (body) ");
        insert.push_values(&batch, |mut row, (body, _)| {
            row.push_bind(body.to_vec());
        });
        insert.build().execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
        for (_, done) in batch {
            let _ = done.send(());
        }
    }
}

/// A wrk script that posts a send per request, as a client would: a new body each time (20,000 users,
/// then over again). The requests are formatted once, when wrk starts, and then only picked in turn, so
/// that wrk, on the same cores as the server, spends as little as it can per request.
fn send_script(
    dir: &std::path::Path,
    label: &str,
    authorization: &str,
    project: i64,
    type_id: i64,
) -> std::path::PathBuf {
    let script = dir.join(format!("send-{label}.lua").replace(' ', "_"));
    std::fs::write(
        &script,
        format!(
            r#"wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "{authorization}"
local requests = {{}}
init = function(args)
  for i = 0, 19999 do
    local body = string.format('{{"project_id":{project},"type_id":{type_id},"category":"trigger","user":{{"email":"user%d@example.com","name":"User %d","language_id":"en"}},"data":{{"code":"123456"}},"meta":{{"order":"A-%d"}}}}', i, i, i)
    requests[i] = wrk.format(nil, "/v1/emails", nil, body)
  end
end
local n = 0
request = function()
  n = (n + 1) % 20000
  return requests[n]
end
"#
        ),
    )
    .unwrap();
    script
}

/// (c) Mailroom itself, started as a process of its own (with its account, key, project and type).
async fn mailroom(
    label: &'static str,
    database_url: &str,
    dir: &std::path::Path,
) -> (Child, Target) {
    let setup = OperatorTenant::create(database_url, PLAIN_TEMPLATES);
    let port = free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("serve")
        .env("MAILROOM_DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "error")
        .env("MAILROOM_DELIVERY_WORKERS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let script = send_script(
        dir,
        label,
        &setup.authorization(),
        setup.project_id,
        setup.type_id,
    );
    let target = Target {
        label,
        url: format!("http://127.0.0.1:{port}"),
        script: script.to_str().unwrap().to_owned(),
    };
    (server, target)
}

#[tokio::main]
async fn main() {
    // Removed when `scratch` is dropped at the end of main.
    let scratch = tempfile::Builder::new()
        .prefix("mailroom-bench-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let plain = dir.join("post.lua");
    std::fs::write(&plain, "wrk.method = \"POST\"\nwrk.body = '{\"x\":1}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n").unwrap();
    println!(
        "POST throughput, median of {RUNS} runs of {SECONDS} s, wrk on the same cores; each run measures every \
         server in turn at one concurrency, so that the machine's slow and fast phases fall on all of them"
    );
    let group = group_commit_server(dir.join("group.db").to_str().unwrap()).await;
    let mut targets = vec![
        Target {
            label: "(a) bare axum 200",
            url: bare_server().await,
            script: plain.to_str().unwrap().to_owned(),
        },
        Target {
            label: "(b) group-commit SQLite",
            url: group.clone(),
            script: plain.to_str().unwrap().to_owned(),
        },
        // The same baseline driven by the script that drives Mailroom (a new send body per request,
        // which costs wrk, on the same cores, more than a fixed body): the like-for-like ceiling.
        Target {
            label: "(b') group-commit, sends",
            url: group,
            script: send_script(dir, "baseline", "Basic YmVuY2g6a2V5", 1, 1)
                .to_str()
                .unwrap()
                .to_owned(),
        },
    ];
    let mut servers = Vec::new();
    let sqlite_url = format!("sqlite://{}", dir.join("mailroom.db").display());
    let (server, target) = mailroom("mailroom SQLite", &sqlite_url, dir).await;
    servers.push(("SQLite", server));
    targets.push(target);
    match fresh_postgres(POSTGRES_DB).await {
        Some(url) => {
            let (server, target) = mailroom("mailroom PostgreSQL", &url, dir).await;
            servers.push(("PostgreSQL", server));
            targets.push(target);
        }
        None => println!("PostgreSQL is not answering at 127.0.0.1:5432: skipped"),
    }

    // Each server's samples at each concurrency, one per run.
    let mut samples: BTreeMap<(&str, u32), Vec<Sample>> = BTreeMap::new();
    for _ in 0..RUNS {
        for connections in CONNECTIONS {
            for target in &targets {
                let sample = wrk(&target.url, connections, &target.script);
                samples
                    .entry((target.label, connections))
                    .or_default()
                    .push(sample);
            }
        }
    }
    let runs = |label: &'static str, c: u32| samples.get(&(label, c));
    for target in &targets {
        for connections in CONNECTIONS {
            let sample = median(samples[&(target.label, connections)].clone());
            println!(
                "{:<28} c{connections:<4} {:>9.0} req/s   p99 {:>7.2} ms",
                target.label, sample.rps, sample.p99_ms
            );
        }
    }
    println!();
    // Medians of the ratios within each run (each ratio from measurements seconds apart).
    let ratio = |app: &[Sample], base: &[Sample]| {
        let mut r: Vec<f64> = app
            .iter()
            .zip(base)
            .map(|(a, b)| 100.0 * a.rps / b.rps)
            .collect();
        r.sort_by(f64::total_cmp);
        r[r.len() / 2]
    };
    for c in CONNECTIONS {
        if let (Some(app), Some(a), Some(b), Some(b_sends)) = (
            runs("mailroom SQLite", c),
            runs("(a) bare axum 200", c),
            runs("(b) group-commit SQLite", c),
            runs("(b') group-commit, sends", c),
        ) {
            println!(
                "c{c:<4} mailroom SQLite = {:.0}% of (b), {:.0}% of (b'), {:.1}% of (a) (median of the runs' ratios)",
                ratio(app, b),
                ratio(app, b_sends),
                ratio(app, a)
            );
        }
    }
    let rss: Vec<String> = servers
        .iter_mut()
        .map(|(name, server)| {
            let rss = peak_rss_mib(server.id());
            let _ = server.kill();
            let _ = server.wait();
            format!("{name} {rss:.0} MiB")
        })
        .collect();
    println!("peak RSS of mailroom: {}", rss.join(", "));
    drop_postgres(POSTGRES_DB).await;
}
