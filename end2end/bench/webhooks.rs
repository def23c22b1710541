//! Webhook delivery throughput: `cargo bench --features ssr --bench webhooks [-- quick] [-- sqlite]`.
//! Needs `wrk` (Debian package) for the ceiling and PostgreSQL at 127.0.0.1:5432 (skipped if it does
//! not answer).
//!
//! In one run, on the same machine: 10,000 emails (2,000 with `quick`) × 3 events (sent, opened,
//! clicked) queued as webhooks for a local receiver (a child process answering 200 at once), then
//! delivered by Mailroom's sender with retries off, every attempt recorded in the log; the ceiling is
//! `wrk` posting one signed event body to the same receiver at the sender's per-URL concurrency. Then
//! the same deliveries with a second project whose receiver hangs: the healthy receiver's rate beside
//! the first. Reported: deliveries/s (median of 3 runs), share of the wrk ceiling, the process's CPU
//! and the share of it spent signing and recording attempts, and peak RSS.
use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use mailroom::{
    db::{Db, NewEmail},
    jobs::{Deliverer, DeliveryOptions, Transport, WebhookClient, WebhookOptions, WebhookSender},
    metrics::Metrics,
    services::{Actor, accounts, email_types, projects, webhooks},
};

#[path = "common.rs"]
mod common;
use common::{drop_postgres, fresh_postgres, peak_rss_mib};

const RUNS: usize = 3;
const POSTGRES_DB: &str = "mailroom_bench_webhooks";
const TARGET_RATE: f64 = 10_000.0;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// CPU seconds (user + system) of a process; `None`: this one.
fn cpu_secs(pid: Option<u32>) -> f64 {
    let path = pid.map_or("/proc/self/stat".to_owned(), |p| format!("/proc/{p}/stat"));
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (tick(11), tick(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// A receiver child process (this bench binary with `receiver PORT HANG_MS`), killed when dropped.
struct Receiver {
    child: Child,
    url: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_receiver(hang_ms: u64) -> Receiver {
    let port = free_port();
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["receiver", &port.to_string(), &hang_ms.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/hook");
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Receiver { child, url }
}

/// The receiver process: answers every POST with 200 (after `hang_ms`), on one runtime thread.
fn run_receiver(port: u16, hang_ms: u64) {
    use axum::{Router, routing::post};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let app = Router::new().route(
            "/hook",
            post(move |_body: axum::body::Bytes| async move {
                if hang_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(hang_ms)).await;
                }
                "ok"
            }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}

/// A project with `emails` emails whose sent, opened and clicked events are queued as webhooks to `url`.
async fn seed(db: &Db, name: &str, url: &str, emails: usize) -> i64 {
    let op = Actor::Operator;
    let account = accounts::create(db, &op, name).await.unwrap();
    let project = projects::create(db, &op, account.id, "Shop").await.unwrap();
    webhooks::set_project(db, true, &op, project.id, url, None)
        .await
        .unwrap();
    let input = email_types::EmailTypeInput {
        name: "Welcome",
        category: "trigger",
        subject: "Hello",
        html_body: "<p>Hello</p>",
        text_body: "Hello",
    };
    let type_id = email_types::create(db, &op, project.id, input)
        .await
        .unwrap();
    let mut sends = db.send_store().unwrap();
    let batch: Vec<NewEmail> = (0..emails)
        .map(|i| NewEmail {
            message_id: format!("{name}{i:08}"),
            project_id: project.id,
            type_id,
            category: "trigger".into(),
            email: format!("user{i}@{name}.example"),
            params: Default::default(),
            data: "{}".into(),
            meta: format!("{{\"order\":\"A-{i}\"}}"),
            idempotency: None,
        })
        .collect();
    for chunk in batch.chunks(1000) {
        sends.enqueue_emails(chunk).await.unwrap();
    }
    drop(sends);
    let deliverer = Deliverer::new(
        db.clone(),
        Transport::Outbox,
        DeliveryOptions::default(),
        "http://127.0.0.1",
        Arc::from(&b"bench-secret"[..]),
        Arc::default(),
    );
    deliverer.drain().await.unwrap();
    let ids: Vec<i64> = match db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT id FROM emails WHERE project_id = $1")
            .bind(project.id)
            .fetch_all(pool)
            .await
            .unwrap(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT id FROM emails WHERE project_id = $1")
            .bind(project.id)
            .fetch_all(pool)
            .await
            .unwrap(),
    };
    let ids = Arc::new(ids);
    let mut tasks = tokio::task::JoinSet::new();
    for part in 0..8 {
        let (db, ids) = (db.clone(), ids.clone());
        tasks.spawn(async move {
            for id in ids.iter().skip(part).step_by(8) {
                db.record_email_event(*id, "opened", None, true)
                    .await
                    .unwrap();
                db.record_email_event(*id, "clicked", Some("https://shop.example/a"), false)
                    .await
                    .unwrap();
            }
        });
    }
    tasks.join_all().await;
    project.id
}

async fn exec(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap();
}

async fn scalar(db: &Db, sql: &str) -> i64 {
    match db {
        Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
        Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await,
    }
    .unwrap()
}

/// Every webhook back to "due now, never tried".
async fn requeue(db: &Db) {
    exec(
        db,
        "UPDATE webhooks SET status = 'pending', attempts = 0, next_attempt_at = 0, lease_until = NULL",
    )
    .await;
}

fn options() -> WebhookOptions {
    WebhookOptions {
        // Retries off: a failed attempt is final.
        retry_delays: Vec::new(),
        poll: Duration::from_millis(5),
        ..WebhookOptions::default()
    }
}

struct Run {
    rate: f64,
    cpu: f64,
    record_secs: f64,
}

/// Delivers every queued webhook once; returns the rate and this process's CPU seconds.
async fn deliver_all(db: &Db, total: i64, receiver_pid: u32) -> (Run, f64) {
    requeue(db).await;
    let metrics = Arc::new(Metrics::default());
    let sender = WebhookSender::new(
        db.clone(),
        Arc::new(WebhookClient::new(true).unwrap()),
        options(),
        metrics.clone(),
    );
    let attempts_before = scalar(db, "SELECT COUNT(*) FROM webhook_attempts").await;
    let (cpu_before, receiver_before) = (cpu_secs(None), cpu_secs(Some(receiver_pid)));
    let started = Instant::now();
    sender.drain().await;
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs(None) - cpu_before;
    let receiver_cpu = cpu_secs(Some(receiver_pid)) - receiver_before;
    let delivered = scalar(
        db,
        "SELECT COUNT(*) FROM webhooks WHERE status = 'delivered'",
    )
    .await;
    let logged = scalar(db, "SELECT COUNT(*) FROM webhook_attempts").await - attempts_before;
    if delivered != total {
        let pending = scalar(db, "SELECT COUNT(*) FROM webhooks WHERE status = 'pending'").await;
        let leased = scalar(
            db,
            "SELECT COUNT(*) FROM webhooks WHERE lease_until IS NOT NULL",
        )
        .await;
        let tried = scalar(
            db,
            "SELECT COUNT(*) FROM webhooks WHERE status = 'pending' AND attempts > 0",
        )
        .await;
        let due = scalar(
            db,
            &format!(
                "SELECT COUNT(*) FROM webhooks WHERE status = 'pending' AND next_attempt_at <= {}",
                mailroom::db::now_ms()
            ),
        )
        .await;
        panic!(
            "{delivered} of {total} delivered: {pending} pending, {leased} leased, {tried} tried, {due} due"
        );
    }
    assert_eq!(logged, total, "every attempt logged");
    (
        Run {
            rate: total as f64 / secs,
            cpu,
            record_secs: metrics.webhook_record_secs(),
        },
        receiver_cpu,
    )
}

/// The healthy project's deliveries while another project's receiver hangs.
async fn deliver_beside_a_hanging_receiver(db: &Db, healthy_project: i64, total: i64) -> f64 {
    requeue(db).await;
    let metrics = Arc::new(Metrics::default());
    let sender = WebhookSender::new(
        db.clone(),
        Arc::new(WebhookClient::new(true).unwrap()),
        options(),
        metrics.clone(),
    );
    // Progress from the sender's own counter (recorded deliveries; the hanging receiver answers
    // none within the run): counting rows in the database every few milliseconds would compete
    // with the sender for the database and the CPU.
    let started = Instant::now();
    let running = sender.spawn();
    while (metrics.webhooks_delivered() as i64) < total {
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(started.elapsed() < Duration::from_secs(300), "stalled");
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    running.stop().await;
    let delivered = scalar(
        db,
        &format!(
            "SELECT COUNT(*) FROM webhooks WHERE project_id = {healthy_project} AND status = 'delivered'"
        ),
    )
    .await;
    assert_eq!(
        delivered, total,
        "every healthy webhook delivered and recorded"
    );
    rate
}

/// `wrk` posting a signed event body to the receiver at the sender's per-URL concurrency.
fn wrk_ceiling(url: &str, connections: usize) -> Option<f64> {
    let body = r#"{"data":{"category":"trigger","email":"user1@bench.example","message_id":"0a1b2c3d4e5f","meta":{"order":"A-1"},"project_id":1,"status":"clicked","type_id":1,"url":"https://shop.example/a","user_id":1},"timestamp":"2026-12-07T10:00:00Z","type":"email.clicked"}"#;
    let signature = mailroom::domain::sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_1",
        1_765_000_000,
        body.as_bytes(),
    );
    let script = std::env::temp_dir().join(format!("mailroom-webhooks-{}.lua", std::process::id()));
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = '{body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.headers[\"webhook-id\"] = \"msg_1\"\nwrk.headers[\"webhook-timestamp\"] = \"1765000000\"\n\
             wrk.headers[\"webhook-signature\"] = \"{signature}\"\n"
        ),
    )
    .ok()?;
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            "-d5s",
            "-s",
            script.to_str()?,
            url,
        ])
        .output()
        .ok()?;
    let _ = std::fs::remove_file(&script);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
}

/// One database: the runs, then the hanging-receiver run. Prints and returns (label, rate, cpu, …).
async fn bench(
    label: &str,
    url: &str,
    emails: usize,
    receiver: &Receiver,
    hanging: &Receiver,
) -> Vec<String> {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let seeding = Instant::now();
    let healthy = seed(&db, "healthy", &receiver.url, emails).await;
    let total = scalar(&db, "SELECT COUNT(*) FROM webhooks").await;
    println!(
        "{label}: {total} webhooks queued in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let mut runs = Vec::new();
    let mut receiver_cpu = Vec::new();
    for i in 0..RUNS {
        let (run, rcpu) = deliver_all(&db, total, receiver.child.id()).await;
        println!(
            "  run {}: {:.0} deliveries/s, CPU {:.2} s here + {:.2} s receiver, recording {:.2} s",
            i + 1,
            run.rate,
            run.cpu,
            rcpu,
            run.record_secs
        );
        runs.push(run);
        receiver_cpu.push(rcpu);
    }
    let rate = median(runs.iter().map(|r| r.rate).collect());
    let cpu = median(runs.iter().map(|r| r.cpu).collect());
    let record = median(runs.iter().map(|r| r.record_secs).collect());
    // Signing alone: the same number of signatures over a body of the same size.
    let body = vec![b'x'; 330];
    let started = Instant::now();
    for i in 0..total {
        std::hint::black_box(mailroom::domain::sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            &format!("msg_{i}"),
            1_765_000_000,
            &body,
        ));
    }
    let signing = started.elapsed().as_secs_f64();
    // Beside a hanging receiver: a second project whose receiver never answers in time.
    let hanging_project = seed(&db, "hanging", &hanging.url, 100).await;
    let healthy_total = scalar(
        &db,
        &format!("SELECT COUNT(*) FROM webhooks WHERE project_id = {healthy}"),
    )
    .await;
    let beside = deliver_beside_a_hanging_receiver(&db, healthy, healthy_total).await;
    let _ = hanging_project;
    db.close().await;
    vec![
        label.to_owned(),
        format!("{rate:.0}"),
        format!("{:.0} %", 100.0 * rate / TARGET_RATE),
        format!("{beside:.0} ({:.0} %)", 100.0 * beside / rate),
        format!("{cpu:.2} s"),
        format!("{:.0} %", 100.0 * signing / cpu),
        format!("{:.0} %", 100.0 * record / cpu),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("receiver") {
        run_receiver(args[2].parse().unwrap(), args[3].parse().unwrap());
        return;
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run(args));
}

async fn run(args: Vec<String>) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
        .try_init();
    let quick = args.iter().any(|a| a == "quick");
    let sqlite_only = args.iter().any(|a| a == "sqlite");
    let emails = if quick { 2_000 } else { 10_000 };
    let receiver = start_receiver(0).await;
    let hanging = start_receiver(60_000).await;
    let per_url = WebhookOptions::default().per_url;
    println!(
        "Webhooks: {emails} emails × 3 events to a local receiver, retries off, per-URL concurrency {per_url}"
    );
    let samples: Vec<f64> = (0..RUNS)
        .filter_map(|_| wrk_ceiling(&receiver.url, per_url))
        .collect();
    let ceiling = if samples.is_empty() {
        println!("wrk was not found (apt-get install wrk): no ceiling");
        f64::NAN
    } else {
        median(samples)
    };
    println!(
        "ceiling: wrk -c{per_url} posting a signed event: {ceiling:.0} req/s (median of {RUNS})"
    );
    let scratch = tempfile::Builder::new()
        .prefix("mailroom-webhooks-")
        .tempdir()
        .unwrap();
    let sqlite = format!("sqlite://{}", scratch.path().join("bench.db").display());
    let mut rows = vec![bench("SQLite", &sqlite, emails, &receiver, &hanging).await];
    if !sqlite_only {
        match fresh_postgres(POSTGRES_DB).await {
            Some(url) => {
                rows.push(bench("PostgreSQL", &url, emails, &receiver, &hanging).await);
                if !args.iter().any(|a| a == "keep") {
                    drop_postgres(POSTGRES_DB).await;
                }
            }
            None => println!("PostgreSQL is not answering at 127.0.0.1:5432: skipped"),
        }
    }
    println!();
    println!(
        "{:<11} {:>13} {:>9} {:>10} {:>22} {:>9} {:>8} {:>10}",
        "",
        "deliveries/s",
        "of 10k",
        "of wrk",
        "beside a hanging one",
        "CPU",
        "signing",
        "recording"
    );
    for row in rows {
        let rate: f64 = row[1].parse().unwrap_or(0.0);
        println!(
            "{:<11} {:>13} {:>9} {:>10} {:>22} {:>9} {:>8} {:>10}",
            row[0],
            row[1],
            row[2],
            format!("{:.0} %", 100.0 * rate / ceiling),
            row[3],
            row[4],
            row[5],
            row[6]
        );
    }
    println!(
        "peak RSS of this process: {:.0} MiB",
        peak_rss_mib(std::process::id())
    );
}
