//! Benchmark of delivery (not a test: it prints numbers). Run with `cargo bench --features ssr --bench delivery`;
//! needs Postfix's `smtp-sink` and `smtp-source` (`apt-get install postfix`) and PostgreSQL at 127.0.0.1:5432
//! (skipped if it does not answer).
//!
//! In one run, on the same machine, against one local `smtp-sink` (started with `-u nobody` when run as root):
//! (a) the sink's raw rate: `smtp-source -d` (connections reused) with `SOURCE_SESSIONS` sessions sending
//!     `EMAILS` messages of `SOURCE_LENGTH` bytes, median of `RUNS` runs;
//! (b) Mailroom draining a queue, on SQLite and on PostgreSQL (the issue's benchmark): `EMAILS` emails are
//!     posted to `POST /v1/emails` by `POSTERS` concurrent clients of an API-only process
//!     (`MAILROOM_DELIVERY_WORKERS=0`), which is then stopped; a `mailroom serve` with its default workers
//!     and `MAILROOM_SMTP_URL` at the sink starts on the full queue. Reported: msgs/s from the process's
//!     start to the last `sent` recorded (median of `RUNS` runs, each on a new database), the CPU each
//!     process used and the server's peak RSS (the highest of the runs).
//! (c) Mailroom posting and delivering at once, on each database: the same `EMAILS` emails posted while
//!     the workers already drain the queue. Reported: the POST rate, the end-to-end rate (first POST →
//!     last `sent` recorded) and the drain rate after the last POST.
//!
//! `cargo bench --features ssr --bench delivery -- drain` measures (a) and (b) only; with the argument
//! `sqlite` as well, PostgreSQL is left out.
//!
//! Target (issue): draining 100,000 queued emails at 10,000 msgs/s or more end to end (queued → sent
//! recorded) on SQLite on a 2-core machine, memory under 200 MB.
use std::{
    fs::File,
    io::Read,
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqlitePoolOptions},
};

#[path = "common.rs"]
mod common;
#[path = "../operator.rs"]
mod operator;
use common::{drop_postgres, fresh_postgres, peak_rss_mib};
use operator::{OperatorTenant, free_port};

/// The email type's subject, HTML and text: each email is rendered with the user's name and its code.
const TEMPLATES: [&str; 3] = [
    "Your code {{ code }}",
    "<p>Hello {{ name }}, your code is <b>{{ code }}</b>.</p>",
    "Hello {{ name }}, your code is {{ code }}.",
];
/// The PostgreSQL database of the runs on PostgreSQL, made anew for each run and dropped at the end.
const POSTGRES_DB: &str = "mailroom_delivery_bench";
const EMAILS: usize = 100_000;
const POSTERS: usize = 64;
const SOURCE_SESSIONS: u32 = 20;
const SOURCE_LENGTH: u32 = 1000;
const RUNS: usize = 3;
/// How often the bench counts the emails by status (a scan of the table: not too often).
const POLL: Duration = Duration::from_millis(1000);
const TIMEOUT: Duration = Duration::from_secs(600);
/// Give up early when nothing changes for this long after the last POST (deferred emails retry after 1 min).
const STALL: Duration = Duration::from_secs(120);
const TARGET_RATE: f64 = 10_000.0;
const TARGET_RSS_MIB: f64 = 200.0;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn epoch_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A child process that is killed when it goes out of scope, so a panic leaves no server or sink behind.
struct Process(Child);

impl Process {
    fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A Postfix test tool: on PATH, or where Debian puts it (/usr/sbin is not on a user's PATH).
fn postfix_tool(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .map(PathBuf::from)
        .chain(["/usr/sbin", "/usr/lib/postfix"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1).map(|euid| euid == "0"))
        .unwrap_or(false)
}

/// CPU seconds (user + system) a process has used so far; `None` means this process.
fn cpu_secs(pid: Option<u32>) -> f64 {
    let path = pid.map_or("/proc/self/stat".to_owned(), |p| format!("/proc/{p}/stat"));
    let stat = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3,
    // utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (tick(11), tick(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// CPU seconds of the server, the sink and this bench at one moment.
#[derive(Debug, Clone, Copy)]
struct Cpu {
    at: Instant,
    server: f64,
    sink: f64,
    bench: f64,
}

impl Cpu {
    fn now(server: u32, sink: u32) -> Cpu {
        Cpu {
            at: Instant::now(),
            server: cpu_secs(Some(server)),
            sink: cpu_secs(Some(sink)),
            bench: cpu_secs(None),
        }
    }

    /// Cores kept busy between `self` and `later`, as percent of one core.
    fn busy(&self, later: &Cpu) -> String {
        let wall = later.at.duration_since(self.at).as_secs_f64().max(1e-9);
        format!(
            "mailroom {:>3.0}%, smtp-sink {:>3.0}%, bench (HTTP client) {:>3.0}% of one core",
            100.0 * (later.server - self.server) / wall,
            100.0 * (later.sink - self.sink) / wall,
            100.0 * (later.bench - self.bench) / wall,
        )
    }
}

/// The local SMTP sink and the count of messages it received (from its `-c` counters).
struct Sink {
    process: Process,
    port: u16,
    received: Arc<AtomicU64>,
}

fn start_sink(bin: &Path) -> Sink {
    let port = free_port();
    let mut command = Command::new(bin);
    command.arg("-c");
    if running_as_root() {
        command.args(["-u", "nobody"]);
    }
    let mut child = command
        .args([format!("127.0.0.1:{port}"), "1000".into()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("smtp-sink starts");
    let received = Arc::new(AtomicU64::new(0));
    let mut out = child.stdout.take().unwrap();
    let counter = received.clone();
    // `-c` prints "sess=N quit=N mesg=N\r" after every message; keep the last complete one.
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        let mut pending = Vec::new();
        while let Ok(n @ 1..) = out.read(&mut buf) {
            pending.extend_from_slice(&buf[..n]);
            if let Some(end) = pending.iter().rposition(|&b| b == b'\r' || b == b'\n') {
                let complete = String::from_utf8_lossy(&pending[..end]).into_owned();
                if let Some(mesg) = complete
                    .rsplit(['\r', '\n'])
                    .next()
                    .and_then(|line| {
                        line.split_whitespace()
                            .find_map(|w| w.strip_prefix("mesg="))
                    })
                    .and_then(|m| m.parse::<u64>().ok())
                {
                    counter.store(mesg, Ordering::Relaxed);
                }
                pending.drain(..=end);
            }
        }
    });
    let process = Process(child);
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Sink {
                process,
                port,
                received,
            };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("smtp-sink did not start listening on 127.0.0.1:{port}");
}

/// (a) One `smtp-source -d` run against the sink; returns msgs/s.
fn smtp_source(bin: &Path, sink: &Sink) -> f64 {
    let before = sink.received.load(Ordering::Relaxed);
    let start = Instant::now();
    let out = Command::new(bin)
        .args([
            "-d".to_owned(),
            "-s".into(),
            SOURCE_SESSIONS.to_string(),
            "-l".into(),
            SOURCE_LENGTH.to_string(),
            "-m".into(),
            EMAILS.to_string(),
            format!("127.0.0.1:{}", sink.port),
        ])
        .output()
        .expect("smtp-source runs");
    let secs = start.elapsed().as_secs_f64();
    if !out.status.success() {
        eprintln!(
            "warning: smtp-source failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    let got = sink.received.load(Ordering::Relaxed) - before;
    let rate = EMAILS as f64 / secs;
    println!(
        "(a) smtp-source -d -s {SOURCE_SESSIONS} -l {SOURCE_LENGTH}: {EMAILS} msgs in {secs:.2} s = {rate:>7.0} msgs/s (sink counted {got})"
    );
    rate
}

/// A read connection to Mailroom's database, to watch the queue from outside the server.
enum Watcher {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    sent: i64,
    failed: i64,
    deferred: i64,
}

impl Watcher {
    async fn open(database_url: &str) -> Watcher {
        if database_url.starts_with("postgres") {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect(database_url)
                .await
                .unwrap();
            Watcher::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(database_url).unwrap();
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .unwrap();
            Watcher::Sqlite(pool)
        }
    }

    async fn scalar(&self, sql: &str) -> i64 {
        let value = match self {
            Watcher::Sqlite(pool) => {
                sqlx::query_scalar::<_, Option<i64>>(sql)
                    .fetch_one(pool)
                    .await
            }
            Watcher::Postgres(pool) => {
                sqlx::query_scalar::<_, Option<i64>>(sql)
                    .fetch_one(pool)
                    .await
            }
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
        value.unwrap_or(0)
    }

    /// One scan of the emails (the bench shares the cores with the server it measures).
    async fn counts(&self) -> Counts {
        const SQL: &str = "SELECT COUNT(*) FILTER (WHERE status = 'sent'), COUNT(*) FILTER (WHERE status = 'failed'),
            COUNT(*) FILTER (WHERE status = 'deferred') FROM emails";
        let (sent, failed, deferred) = match self {
            Watcher::Sqlite(pool) => {
                sqlx::query_as::<_, (i64, i64, i64)>(SQL)
                    .fetch_one(pool)
                    .await
            }
            Watcher::Postgres(pool) => {
                sqlx::query_as::<_, (i64, i64, i64)>(SQL)
                    .fetch_one(pool)
                    .await
            }
        }
        .unwrap_or_else(|e| panic!("{SQL}: {e}"));
        Counts {
            sent,
            failed,
            deferred,
        }
    }

    async fn close(self) {
        match self {
            Watcher::Sqlite(pool) => pool.close().await,
            Watcher::Postgres(pool) => pool.close().await,
        }
    }
}

/// What the POST phase did.
#[derive(Debug, Default)]
struct Posted {
    ok: usize,
    errors: usize,
    first_error: Option<String>,
}

/// Posts `EMAILS` emails from `POSTERS` concurrent clients, as fast as the server answers.
async fn post_all(url: String, auth: String, project: i64, type_id: i64) -> Posted {
    let client = reqwest::Client::new();
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..POSTERS {
        let (client, next, url, auth) = (client.clone(), next.clone(), url.clone(), auth.clone());
        tasks.spawn(async move {
            let mut posted = Posted::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= EMAILS {
                    return posted;
                }
                let body = format!(
                    r#"{{"project_id":{project},"type_id":{type_id},"category":"trigger","user":{{"email":"user{n}@example.com","name":"User {n}"}},"data":{{"code":"123456"}}}}"#
                );
                let answer = client
                    .post(&url)
                    .header("Authorization", &auth)
                    .header("Content-Type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(response) => {
                        let status = response.status();
                        // Reading the body lets the connection go back to the pool.
                        let text = response.text().await.unwrap_or_default();
                        if status.is_success() {
                            posted.ok += 1;
                        } else {
                            posted.errors += 1;
                            posted.first_error.get_or_insert(format!("{status}: {text}"));
                        }
                    }
                    Err(e) => {
                        posted.errors += 1;
                        posted.first_error.get_or_insert(e.to_string());
                    }
                }
            }
        });
    }
    let mut all = Posted::default();
    while let Some(done) = tasks.join_next().await {
        let posted = done.unwrap();
        all.ok += posted.ok;
        all.errors += posted.errors;
        if all.first_error.is_none() {
            all.first_error = posted.first_error;
        }
    }
    all
}

/// Figures of one Mailroom run, for the table.
struct Figures {
    post_rate: f64,
    end_to_end: f64,
    drain: Option<f64>,
    rss_mib: f64,
}

/// `mailroom serve` on a free port with the relay at the sink; `workers` sets
/// `MAILROOM_DELIVERY_WORKERS` (0: an API-only process), `None` keeps the default. Returns once it
/// answers `/readyz`.
async fn start_server(
    label: &str,
    database_url: &str,
    dir: &Path,
    sink: &Sink,
    workers: Option<usize>,
) -> (Process, u16, PathBuf) {
    let port = free_port();
    let name: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let log_path = dir.join(format!("server-{name}.log"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_mailroom"));
    command
        .arg("serve")
        .env("MAILROOM_DATABASE_URL", database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "MAILROOM_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", sink.port),
        )
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(File::create(&log_path).unwrap());
    if let Some(workers) = workers {
        command.env("MAILROOM_DELIVERY_WORKERS", workers.to_string());
    }
    let server = Process(command.spawn().unwrap());
    let mut ready = false;
    for _ in 0..400 {
        if reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(
        ready,
        "mailroom serve did not become ready: {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    (server, port, log_path)
}

fn log_tail(log_path: &Path) -> String {
    let log = std::fs::read_to_string(log_path).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(10).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n    ")
}

/// How a run ended, read once the queue was done: taken the same way by both kinds of run.
struct RunEnd {
    cpu: Cpu,
    rss_mib: f64,
    counts: Counts,
    /// The server's clock (unix ms) when the first and the last `sent` were recorded.
    first_sent_ms: i64,
    last_sent_ms: i64,
    /// Messages the sink received during the run.
    sink_got: u64,
}

/// Reads the server's CPU and peak RSS and the final counts, then stops the server.
async fn end_run(server: Process, watcher: Watcher, sink: &Sink, sink_before: u64) -> RunEnd {
    let cpu = Cpu::now(server.pid(), sink.process.pid());
    let rss_mib = peak_rss_mib(server.pid());
    let counts = watcher.counts().await;
    let first_sent_ms = watcher
        .scalar("SELECT MIN(updated_at) FROM emails WHERE status = 'sent'")
        .await;
    let last_sent_ms = watcher
        .scalar("SELECT MAX(updated_at) FROM emails WHERE status = 'sent'")
        .await;
    watcher.close().await;
    drop(server);
    std::thread::sleep(Duration::from_millis(200));
    RunEnd {
        cpu,
        rss_mib,
        counts,
        first_sent_ms,
        last_sent_ms,
        sink_got: sink.received.load(Ordering::Relaxed) - sink_before,
    }
}

/// What the drain run measured.
struct Drained {
    post_rate: f64,
    rate: f64,
    rss_mib: f64,
}

/// The issue's benchmark: `EMAILS` emails are queued first (posted to an API-only process, which is then
/// stopped), then a `mailroom serve` with its default workers starts on the queue and drains it to the
/// sink. The rate counts from the moment the process is started to the last `sent` recorded.
async fn mailroom_drain(label: &str, database_url: &str, dir: &Path, sink: &Sink) -> Drained {
    let setup = OperatorTenant::create(database_url, TEMPLATES);
    let (api, port, api_log) = start_server(
        &format!("{label} api-only"),
        database_url,
        dir,
        sink,
        Some(0),
    )
    .await;
    let started = Instant::now();
    let posted = post_all(
        format!("http://127.0.0.1:{port}/v1/emails"),
        setup.authorization(),
        setup.project_id,
        setup.type_id,
    )
    .await;
    let post_secs = started.elapsed().as_secs_f64();
    let post_rate = posted.ok as f64 / post_secs;
    drop(api);
    println!(
        "{label}: {} emails queued by an API-only process in {post_secs:.2} s ({post_rate:.0} req/s, {} errors)",
        posted.ok, posted.errors
    );
    if let Some(error) = &posted.first_error {
        println!("  first POST error: {error}\n    {}", log_tail(&api_log));
    }
    let watcher = Watcher::open(database_url).await;
    let queued = watcher
        .scalar("SELECT COUNT(*) FROM emails WHERE status = 'queued'")
        .await;
    let sink_before = sink.received.load(Ordering::Relaxed);

    let start_ms = epoch_ms();
    let (server, _, log_path) = start_server(label, database_url, dir, sink, None).await;
    let start = Cpu::now(server.pid(), sink.process.pid());
    let mut last = Counts::default();
    let mut last_change = Instant::now();
    let mut next_progress = Duration::from_secs(5);
    let outcome = loop {
        tokio::time::sleep(POLL).await;
        let counts = watcher.counts().await;
        if counts != last {
            last = counts;
            last_change = Instant::now();
        }
        let elapsed = start.at.elapsed();
        if elapsed >= next_progress {
            println!(
                "  {label}: {:>5.1} s  sent {:>6}  deferred {:>5}  failed {:>5}",
                elapsed.as_secs_f64(),
                counts.sent,
                counts.deferred,
                counts.failed,
            );
            next_progress += Duration::from_secs(5);
        }
        if counts.sent + counts.failed >= queued {
            break "every queued email reached sent or failed";
        }
        if last_change.elapsed() >= STALL {
            break "stalled: no change for 120 s";
        }
        if elapsed >= TIMEOUT {
            break "timeout after 10 minutes";
        }
    };
    let RunEnd {
        cpu: end,
        rss_mib,
        counts,
        first_sent_ms,
        last_sent_ms,
        sink_got,
    } = end_run(server, watcher, sink, sink_before).await;
    let secs = ((last_sent_ms - start_ms) as f64 / 1000.0).max(1e-3);
    println!(
        "  the first sent was recorded {:.2} s after the process was started",
        (first_sent_ms - start_ms) as f64 / 1000.0
    );
    let rate = counts.sent as f64 / secs;
    println!("{label}: {outcome}");
    println!(
        "  drain:  {queued} queued → sent {} deferred {} failed {} in {secs:.2} s (process start → last sent recorded) = {rate:.0} msgs/s; sink counted {sink_got}",
        counts.sent, counts.deferred, counts.failed
    );
    println!("  CPU: {}", start.busy(&end));
    if database_url.starts_with("postgres") {
        println!("  (PostgreSQL's own processes are not counted above)");
    }
    println!("  peak RSS of mailroom serve: {rss_mib:.0} MiB");
    if counts.deferred + counts.failed > 0 {
        println!("  server log (last lines):\n    {}", log_tail(&log_path));
    }
    Drained {
        post_rate,
        rate,
        rss_mib,
    }
}

/// Mailroom posting and delivering at once: `EMAILS` emails posted through the API while the workers
/// drain them to the sink.
async fn mailroom(label: &str, database_url: &str, dir: &Path, sink: &Sink) -> Figures {
    let setup = OperatorTenant::create(database_url, TEMPLATES);
    let (server, port, log_path) = start_server(label, database_url, dir, sink, None).await;
    let watcher = Watcher::open(database_url).await;
    let sink_before = sink.received.load(Ordering::Relaxed);

    let start = Cpu::now(server.pid(), sink.process.pid());
    let start_ms = epoch_ms();
    let mut posters = tokio::spawn(post_all(
        format!("http://127.0.0.1:{port}/v1/emails"),
        setup.authorization(),
        setup.project_id,
        setup.type_id,
    ));
    // (what was posted, the counts and CPU when the last POST was answered)
    let mut post_phase: Option<(Posted, Counts, Cpu)> = None;
    let mut ticker = tokio::time::interval(POLL);
    let mut last = Counts::default();
    let mut last_change = Instant::now();
    let mut next_progress = Duration::from_secs(5);
    let outcome = loop {
        tokio::select! {
            done = &mut posters, if post_phase.is_none() => {
                let cpu = Cpu::now(server.pid(), sink.process.pid());
                post_phase = Some((done.unwrap(), watcher.counts().await, cpu));
                last_change = Instant::now();
                continue;
            }
            _ = ticker.tick() => {}
        }
        let counts = watcher.counts().await;
        let elapsed = start.at.elapsed();
        if counts != last {
            last = counts;
            last_change = Instant::now();
        }
        if elapsed >= next_progress {
            println!(
                "  {label}: {:>5.1} s  sent {:>6}  deferred {:>5}  failed {:>5}{}",
                elapsed.as_secs_f64(),
                counts.sent,
                counts.deferred,
                counts.failed,
                if post_phase.is_some() {
                    ""
                } else {
                    "  (still posting)"
                },
            );
            next_progress += Duration::from_secs(5);
        }
        if let Some((posted, _, _)) = &post_phase {
            if (counts.sent + counts.failed) as usize >= posted.ok {
                break "all posted emails reached sent or failed";
            }
            if last_change.elapsed() >= STALL {
                break "stalled: no change for 120 s after the last POST";
            }
        }
        if elapsed >= TIMEOUT {
            break "timeout after 10 minutes";
        }
    };
    let RunEnd {
        cpu: end,
        rss_mib,
        counts: final_counts,
        last_sent_ms,
        sink_got,
        ..
    } = end_run(server, watcher, sink, sink_before).await;
    let Some((posted, at_post_end, post_cpu)) = post_phase else {
        println!("{label}: the POSTs did not finish within the timeout");
        return Figures {
            post_rate: f64::NAN,
            end_to_end: f64::NAN,
            drain: None,
            rss_mib,
        };
    };

    let post_secs = post_cpu.at.duration_since(start.at).as_secs_f64();
    let post_end_ms = start_ms + (post_secs * 1000.0) as i64;
    let post_rate = posted.ok as f64 / post_secs;
    // The end of the run is when the last `sent` was recorded (the server's own clock, in ms).
    let total_secs = ((last_sent_ms - start_ms) as f64 / 1000.0).max(1e-3);
    let end_to_end = final_counts.sent as f64 / total_secs;
    let remaining = final_counts.sent - at_post_end.sent;
    let drain_secs = (last_sent_ms - post_end_ms) as f64 / 1000.0;
    let drain = (remaining > 0 && drain_secs > 0.0).then(|| remaining as f64 / drain_secs);

    println!("{label}: {outcome}");
    println!(
        "  POSTs:  {} ok, {} errors in {post_secs:.2} s = {post_rate:.0} req/s; {} already sent by then",
        posted.ok, posted.errors, at_post_end.sent
    );
    if let Some(error) = &posted.first_error {
        println!("  first POST error: {error}");
    }
    println!(
        "  drain:  {remaining} sent after the last POST in {drain_secs:.2} s = {}",
        drain.map_or("n/a (kept up with the POSTs)".into(), |r| format!(
            "{r:.0} msgs/s"
        ))
    );
    println!(
        "  total:  sent {} deferred {} failed {} in {total_secs:.2} s (first POST → last sent) = {end_to_end:.0} msgs/s; sink counted {sink_got}",
        final_counts.sent, final_counts.deferred, final_counts.failed
    );
    println!("  CPU while posting:  {}", start.busy(&post_cpu));
    println!("  CPU after the POSTs: {}", post_cpu.busy(&end));
    if database_url.starts_with("postgres") {
        println!("  (PostgreSQL's own processes are not counted above)");
    }
    println!("  peak RSS of mailroom serve: {rss_mib:.0} MiB");
    if final_counts.deferred + final_counts.failed > 0 || posted.errors > 0 {
        println!("  server log (last lines):\n    {}", log_tail(&log_path));
    }
    Figures {
        post_rate,
        end_to_end,
        drain,
        rss_mib,
    }
}

/// The figures of one database.
struct Results {
    label: &'static str,
    drained: Drained,
    /// Not measured when the bench is run with the argument `drain`.
    concurrent: Option<Figures>,
}

async fn both_runs(
    label: &'static str,
    fresh_url: impl AsyncFn() -> Option<String>,
    dir: &Path,
    sink: &Sink,
) -> Option<Results> {
    let mut runs = Vec::with_capacity(RUNS);
    for run in 1..=RUNS {
        let url = fresh_url().await?;
        runs.push(mailroom_drain(&format!("{label} (drain {run}/{RUNS})"), &url, dir, sink).await);
    }
    let drained = Drained {
        post_rate: median(runs.iter().map(|r| r.post_rate).collect()),
        rate: median(runs.iter().map(|r| r.rate).collect()),
        rss_mib: runs.iter().map(|r| r.rss_mib).fold(0.0, f64::max),
    };
    println!(
        "{label}: drain rates {} msgs/s: median {:.0}",
        runs.iter()
            .map(|r| format!("{:.0}", r.rate))
            .collect::<Vec<_>>()
            .join(", "),
        drained.rate
    );
    let concurrent = if std::env::args().any(|a| a == "drain") {
        None
    } else {
        let url = fresh_url().await?;
        Some(
            mailroom(
                &format!("{label} (posting and delivering)"),
                &url,
                dir,
                sink,
            )
            .await,
        )
    };
    Some(Results {
        label,
        drained,
        concurrent,
    })
}

#[tokio::main]
async fn main() {
    let (Some(sink_bin), Some(source_bin)) =
        (postfix_tool("smtp-sink"), postfix_tool("smtp-source"))
    else {
        println!(
            "smtp-sink and smtp-source were not found: `apt-get install postfix` is needed; skipped"
        );
        return;
    };
    // Removed when `scratch` is dropped at the end of main.
    let scratch = tempfile::Builder::new()
        .prefix("mailroom-delivery-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let sink = start_sink(&sink_bin);
    println!(
        "Delivery of {EMAILS} emails to smtp-sink on 127.0.0.1:{} (same cores for everything)",
        sink.port
    );
    let baseline = median((0..RUNS).map(|_| smtp_source(&source_bin, &sink)).collect());
    println!("(a) median of {RUNS}: {baseline:.0} msgs/s");

    let files = AtomicUsize::new(0);
    let sqlite_url = async || {
        let n = files.fetch_add(1, Ordering::Relaxed);
        Some(format!(
            "sqlite://{}",
            dir.join(format!("bench-{n}.db")).display()
        ))
    };
    let mut results = Vec::new();
    results.extend(both_runs("mailroom SQLite", sqlite_url, dir, &sink).await);
    let sqlite_only = std::env::args().any(|a| a == "sqlite");
    match if sqlite_only {
        None
    } else {
        both_runs(
            "mailroom PostgreSQL",
            async || fresh_postgres(POSTGRES_DB).await,
            dir,
            &sink,
        )
        .await
    } {
        Some(r) => {
            results.push(r);
            drop_postgres(POSTGRES_DB).await;
        }
        None if sqlite_only => {}
        None => println!("PostgreSQL is not answering at 127.0.0.1:5432: skipped"),
    }
    drop(sink);

    println!();
    println!("{:<58} {:>10} {:>14}", "", "msgs/s", "peak RSS MiB");
    println!(
        "{:<58} {baseline:>10.0} {:>14}",
        "(a) smtp-source -d → smtp-sink", "-"
    );
    for Results {
        label,
        drained,
        concurrent,
    } in &results
    {
        println!(
            "{:<58} {:>10.0} {:>14.0}",
            format!("{label}: drain of {EMAILS} queued (median of {RUNS})"),
            drained.rate,
            drained.rss_mib
        );
        println!(
            "{:<58} {:>10.0} {:>14}",
            "  (queued first by POST /v1/emails, req/s, median)", drained.post_rate, ""
        );
        let Some(concurrent) = concurrent else {
            continue;
        };
        println!(
            "{:<58} {:>10.0} {:>14.0}",
            format!("{label}: posting and delivering at once, end to end"),
            concurrent.end_to_end,
            concurrent.rss_mib
        );
        println!(
            "{:<58} {:>10.0} {:>14}",
            "  POST /v1/emails meanwhile (req/s)", concurrent.post_rate, ""
        );
        println!(
            "{:<58} {:>10} {:>14}",
            "  drain after the last POST",
            concurrent.drain.map_or("n/a".into(), |r| format!("{r:.0}")),
            ""
        );
    }
    if let Some(Results { drained, .. }) = results.first() {
        println!(
            "target on SQLite: draining ≥ {TARGET_RATE:.0} msgs/s (queued → sent recorded) in < {TARGET_RSS_MIB:.0} MB: {} ({:.0} msgs/s = {:.0}% of the sink's raw rate, {:.0} MiB)",
            if drained.rate >= TARGET_RATE && drained.rss_mib < TARGET_RSS_MIB {
                "met"
            } else {
                "missed"
            },
            drained.rate,
            100.0 * drained.rate / baseline,
            drained.rss_mib
        );
    }
}
