//! Campaign CSV import: `cargo bench --features ssr --bench campaigns [-- quick] [-- sqlite|postgres]`.
//! Needs PostgreSQL at 127.0.0.1:5432 for its half (skipped if it does not answer).
//!
//! A CSV of 1,000,000 rows (100,000 with `quick`) is generated once, streaming: the address, all ten
//! user parameters and one data column; 5 % bad rows (every 20th: a bad address or a bad age, in
//! turn) and 2 % duplicates (every 50th row repeats the address of the row 499 before it). Per
//! database: a fresh database with a tenant, the real server (release build, no delivery workers: the
//! import alone is measured) and the file uploaded through `POST /v1/projects/{id}/campaigns`, streamed
//! from disk. Measured: the upload and check (until the answer), the import (from the answer until the
//! server's `import_finished_at`; progress read every second), the server's peak RSS, and the latency
//! of trigger sends (`POST /v1/emails`, 50 a second, a new user each) meanwhile. The
//! ceiling, in the same run: the same valid, de-duplicated users and their emails bulk-inserted into a
//! fresh migrated database of the same kind (SQLite: multi-row INSERTs of 500 rows in transactions of
//! 10,000 rows; PostgreSQL: COPY), rows of the file per second. And where the import's time goes:
//! the same file read and checked, then stored batch by batch through `Db::store_import_batch`, in
//! this process on a fresh database, each step timed alone.
use std::{
    collections::HashMap,
    io::{BufWriter, Write},
    path::Path,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use mailroom::{
    db::{Db, ImportBatch, ImportRow, NewCampaign, RowNote, now_ms},
    domain::campaign_csv::{self, Column, RowReader},
};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

#[path = "common.rs"]
mod common;
#[path = "../operator.rs"]
mod operator;
use common::{drop_postgres, fresh_postgres, peak_rss_mib};
use operator::{OperatorTenant, PLAIN_TEMPLATES, free_port};

const POSTGRES_DB: &str = "mailroom_bench_campaigns";
const POSTGRES_CEILING_DB: &str = "mailroom_bench_campaigns_ceiling";
/// Trigger sends a second during the upload and the import.
const PROBE_RATE: f64 = 50.0;
/// Probe sends before the upload starts, for the idle latency.
const PROBE_IDLE: Duration = Duration::from_secs(2);
/// How often the import's progress is read (`poll-ms=N` changes it). The import's time is the server's
/// own (`import_finished_at` less the moment the upload was answered), so it does not depend on this.
/// The panel reads it every 2 s; at 100 ms the reads themselves (each counts the campaign's emails by
/// status: 39 ms of SQLite at 1,000,000) took a fifth of this 2-core machine from the import.
const POLL: Duration = Duration::from_millis(1000);
/// A duplicate row repeats the address of the row this many rows before it.
const DUPLICATE_LAG: u64 = 499;
/// Rows per multi-row INSERT of the SQLite ceiling, and rows per transaction.
const CEILING_CHUNK: usize = 500;
const CEILING_TX_ROWS: usize = 10_000;

const HEADER: &str = "email,name,gender,platform_id,country_id,list_id,client_user_id,ak,age,photo,language_id,coupon";
const DOMAINS: [&str; 4] = [
    "example.com",
    "example.org",
    "example.net",
    "shop.example.de",
];
const GENDERS: [&str; 3] = ["m", "f", "u"];
const PLATFORMS: [i64; 5] = [0, 1, 3, 4, 5];
const COUNTRIES: [&str; 5] = ["DE", "FR", "US", "GB", "ES"];
const LANGUAGES: [&str; 3] = ["de", "fr", "en"];

// Targets (the import's time is SQLite's target, for 1,000,000 rows; scaled to the rows of the run).
const TARGET_SECS_PER_MILLION: f64 = 20.0;
const TARGET_SHARE_OF_CEILING: f64 = 30.0;
const TARGET_RSS_MIB: f64 = 200.0;
const TARGET_PROBE_P99_MS: f64 = 50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Valid,
    BadAddress,
    BadAge,
    Duplicate,
}

/// What row `i` (0-based, after the header) is.
fn kind(i: u64) -> Kind {
    if i % 20 == 10 {
        if (i / 20).is_multiple_of(2) {
            Kind::BadAddress
        } else {
            Kind::BadAge
        }
    } else if i % 50 == 25 && i >= DUPLICATE_LAG {
        // i - 499 is ≡ 26 (mod 50) and ≡ 6 or 16 (mod 20): always a valid row of its own.
        Kind::Duplicate
    } else {
        Kind::Valid
    }
}

/// SplitMix64: the row's pseudo-random values.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn address(i: u64) -> String {
    format!("user{i}@{}", DOMAINS[(i % 4) as usize])
}

/// Row `i` as valid values (a duplicate has the address of its earlier row, its own parameters).
struct Fields {
    email: String,
    name: String,
    gender: &'static str,
    platform_id: i64,
    country_id: &'static str,
    list_id: i64,
    client_user_id: String,
    ak: String,
    age: i64,
    photo: String,
    language_id: &'static str,
    /// The email's data, as the import stores it.
    data: String,
    coupon: String,
}

fn fields(i: u64) -> Fields {
    let h = mix(i);
    let email = if kind(i) == Kind::Duplicate {
        address(i - DUPLICATE_LAG)
    } else {
        address(i)
    };
    let coupon = format!("C{:08X}", h as u32);
    Fields {
        email,
        name: format!("User {i}"),
        gender: GENDERS[(h % 3) as usize],
        platform_id: PLATFORMS[((h >> 8) % 5) as usize],
        country_id: COUNTRIES[((h >> 16) % 5) as usize],
        list_id: ((h >> 24) % 1000) as i64,
        client_user_id: format!("cu{i}"),
        ak: format!("{h:016x}{:016x}", mix(h)),
        age: ((h >> 32) % 151) as i64,
        photo: format!("https://cdn.example.com/p/{i}.jpg"),
        language_id: LANGUAGES[((h >> 40) % 3) as usize],
        data: format!("{{\"coupon\":\"{coupon}\"}}"),
        coupon,
    }
}

/// The file's rows by kind.
#[derive(Debug, Clone, Copy, Default)]
struct Expected {
    valid: u64,
    rejected: u64,
    duplicate: u64,
}

fn expected(rows: u64) -> Expected {
    let mut e = Expected::default();
    for i in 0..rows {
        match kind(i) {
            Kind::Valid => e.valid += 1,
            Kind::BadAddress | Kind::BadAge => e.rejected += 1,
            Kind::Duplicate => e.duplicate += 1,
        }
    }
    e
}

/// Writes the CSV, one row at a time; returns its size in bytes.
fn write_csv(path: &Path, rows: u64) -> u64 {
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(out, "{HEADER}").unwrap();
    for i in 0..rows {
        let f = fields(i);
        let email = match kind(i) {
            Kind::BadAddress => format!("user{i}-at-example.com"),
            _ => f.email,
        };
        let age = match kind(i) {
            Kind::BadAge => "abc".to_owned(),
            _ => f.age.to_string(),
        };
        writeln!(
            out,
            "{email},{},{},{},{},{},{},{},{age},{},{},{}",
            f.name,
            f.gender,
            f.platform_id,
            f.country_id,
            f.list_id,
            f.client_user_id,
            f.ak,
            f.photo,
            f.language_id,
            f.coupon
        )
        .unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// The value at `p` (0..=100) of sorted samples.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// CPU seconds (user + system) of a process.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let tick = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    match (tick(11), tick(12)) {
        (Some(user), Some(system)) => (user + system) / 100.0,
        _ => f64::NAN,
    }
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release server on the database, without delivery workers, its working folder `dir` (where a
/// PostgreSQL process keeps its uploads) and its log `dir/server.log`.
async fn start_server(url: &str, dir: &Path) -> Server {
    let port = free_port();
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("serve")
        .current_dir(dir)
        .env("MAILROOM_DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env("MAILROOM_DELIVERY_WORKERS", "0")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..600 {
        if reqwest::get(format!("{}/readyz", server.base))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

/// The server's warnings and errors (its log at `warn`): how many, and the first few.
fn print_server_log(dir: &Path) {
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    let problems: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" WARN ") || l.contains(" ERROR "))
        .collect();
    let errors = problems.iter().filter(|l| l.contains(" ERROR ")).count();
    println!(
        "  server log: {} errors, {} warnings",
        errors,
        problems.len() - errors
    );
    for line in problems.iter().take(3) {
        println!("    {}", line.chars().take(300).collect::<String>());
    }
}

/// One trigger send of the probe: when it was sent (seconds after the probe started), its latency.
#[derive(Debug, Clone, Copy)]
struct ProbeSample {
    at: f64,
    ms: f64,
    /// The answer's status; 0 when none came.
    status: u16,
}

/// Sends `POST /v1/emails` (a new user each) at `PROBE_RATE` a second, each on its own task (so that
/// a slow answer does not delay the next send), until `stop`.
fn start_probe(
    base: &str,
    tenant: &OperatorTenant,
    started: Instant,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<ProbeSample>> {
    let url = format!("{base}/v1/emails");
    let auth = tenant.authorization();
    let (project_id, type_id) = (tenant.project_id, tenant.type_id);
    tokio::spawn(async move {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / PROBE_RATE));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut sends = tokio::task::JoinSet::new();
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            ticks.tick().await;
            n += 1;
            let body = json!({
                "project_id": project_id,
                "type_id": type_id,
                "category": "trigger",
                "user": {"email": format!("probe{n}@example.com"), "name": format!("Probe {n}")},
                "data": {"code": "123456"},
            })
            .to_string();
            let request = client
                .post(&url)
                .header("authorization", &auth)
                .header("content-type", "application/json")
                .body(body);
            sends.spawn(async move {
                let sent = Instant::now();
                let status = match request.send().await {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        if res.bytes().await.is_ok() { status } else { 0 }
                    }
                    Err(_) => 0,
                };
                ProbeSample {
                    at: sent.duration_since(started).as_secs_f64(),
                    ms: sent.elapsed().as_secs_f64() * 1000.0,
                    status,
                }
            });
        }
        sends.join_all().await
    })
}

/// Latencies of the probe's sends started in `from..to` (seconds after the probe started), of those
/// answered 2xx; the others counted by status (0: no answer).
struct ProbeStats {
    count: usize,
    failed: usize,
    failures: std::collections::BTreeMap<u16, usize>,
    p50: f64,
    p99: f64,
    max: f64,
}

fn probe_stats(samples: &[ProbeSample], from: f64, to: f64) -> ProbeStats {
    let chosen: Vec<&ProbeSample> = samples
        .iter()
        .filter(|s| s.at >= from && s.at < to)
        .collect();
    let ok = |s: &&&ProbeSample| (200..300).contains(&s.status);
    let mut ms: Vec<f64> = chosen.iter().filter(ok).map(|s| s.ms).collect();
    ms.sort_by(f64::total_cmp);
    let mut failures = std::collections::BTreeMap::new();
    for s in chosen.iter().filter(|s| !ok(s)) {
        *failures.entry(s.status).or_insert(0) += 1;
    }
    ProbeStats {
        count: chosen.len(),
        failed: failures.values().sum(),
        failures,
        p50: percentile(&ms, 50.0),
        p99: percentile(&ms, 99.0),
        max: ms.last().copied().unwrap_or(f64::NAN),
    }
}

fn print_probe(label: &str, s: &ProbeStats) {
    let failures: Vec<String> = s
        .failures
        .iter()
        .map(|(status, n)| format!("{n} × {status}"))
        .collect();
    println!(
        "  probe {label:<16} {:>5} sends ({} failed{}): p50 {:>6.2} ms, p99 {:>7.2} ms, max {:>7.2} ms",
        s.count,
        s.failed,
        if failures.is_empty() {
            String::new()
        } else {
            format!(": {}", failures.join(", "))
        },
        s.p50,
        s.p99,
        s.max
    );
}

/// What one backend's run measured.
struct Outcome {
    label: &'static str,
    rows: u64,
    file_bytes: u64,
    upload_secs: f64,
    import_secs: f64,
    ceiling_secs: f64,
    rss_mib: f64,
    probe: ProbeStats,
}

/// The import through the server: returns (upload+check s, import s, peak RSS MiB, probe stats).
async fn import_through_server(
    url: &str,
    dir: &Path,
    csv: &Path,
    rows: u64,
    expect: Expected,
    poll: Duration,
) -> (f64, f64, f64, ProbeStats) {
    let started = Instant::now();
    let tenant = OperatorTenant::create(url, PLAIN_TEMPLATES);
    let server = start_server(url, dir).await;
    let pid = server.child.id();
    println!(
        "  database, tenant and server ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let http = reqwest::Client::new();
    let auth = tenant.authorization();

    let probe_started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let probe = start_probe(&server.base, &tenant, probe_started, stop.clone());
    tokio::time::sleep(PROBE_IDLE).await;

    let file = tokio::fs::File::open(csv).await.unwrap();
    let length = file.metadata().await.unwrap().len();
    let part = Part::stream_with_length(reqwest::Body::from(file), length)
        .file_name("campaign.csv")
        .mime_str("text/csv")
        .unwrap();
    let form = Form::new()
        .text(
            "fields",
            json!({"name": "Bench", "type_id": tenant.type_id}).to_string(),
        )
        .part("file", part);
    let upload_started = Instant::now();
    let res = http
        .post(format!(
            "{}/v1/projects/{}/campaigns",
            server.base, tenant.project_id
        ))
        .header("authorization", &auth)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let answer: Value = res.json().await.unwrap();
    let answered = Instant::now();
    let answered_ms = now_ms();
    assert_eq!(status, 200, "{answer}");
    let upload_secs = (answered - upload_started).as_secs_f64();
    let id = answer["data"]["id"].as_i64().unwrap();
    let cpu_at_answer = cpu_secs(pid);
    println!(
        "  upload + check: {upload_secs:.2} s ({:.0} MB/s), campaign {id}, {} rows counted, state {}",
        mb(length) / upload_secs,
        answer["data"]["file"]["rows"],
        answer["data"]["state"]
    );

    // Poll until the import ends.
    let mut first_importing: Option<f64> = None;
    let mut poll_ms: Vec<f64> = Vec::new();
    let mut next_report = 5.0;
    let campaign = loop {
        let asked = Instant::now();
        let res = http
            .get(format!("{}/v1/campaigns/{id}", server.base))
            .header("authorization", &auth)
            .send()
            .await
            .unwrap();
        let campaign = res.json::<Value>().await.unwrap()["data"].clone();
        poll_ms.push(asked.elapsed().as_secs_f64() * 1000.0);
        let since = answered.elapsed().as_secs_f64();
        let state = campaign["state"].as_str().unwrap_or_default().to_owned();
        if state == "importing" && first_importing.is_none() {
            first_importing = Some(since);
        }
        if state != "scheduled" && state != "importing" {
            break campaign;
        }
        if since >= next_report {
            println!(
                "    {since:>6.1} s: {:>9} rows read",
                thousands(campaign["progress"]["rows_read"].as_u64().unwrap_or(0))
            );
            next_report += 5.0;
        }
        assert!(since < 3600.0, "the import took over an hour: {campaign}");
        tokio::time::sleep(poll).await;
    };
    // The server's own end of the import (its clock is this machine's).
    let finished_ms = campaign["import_finished_at"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
        .expect("a finished import has import_finished_at");
    let import_secs = (finished_ms - answered_ms) as f64 / 1000.0;
    let import_end = (answered - probe_started).as_secs_f64() + import_secs;
    let cpu_import = cpu_secs(pid) - cpu_at_answer;
    stop.store(true, Ordering::Relaxed);
    let samples = probe.await.unwrap();
    let rss = peak_rss_mib(pid);
    drop(server);
    print_server_log(dir);

    let p = &campaign["progress"];
    let n = |key: &str| p[key].as_u64().unwrap_or(u64::MAX);
    println!(
        "  import: {import_secs:.2} s ({:.0} rows/s), state {}, first seen importing after {:.1} s; \
         server CPU {cpu_import:.1} s ({:.0} % of one core)",
        rows as f64 / import_secs,
        campaign["state"],
        first_importing.unwrap_or(f64::NAN),
        100.0 * cpu_import / import_secs
    );
    println!(
        "  progress: rows_read {}, users_created {}, users_updated {}, rows_rejected {}, rows_corrected {}, \
         rows_duplicate {}, emails_queued {}, emails_suppressed {}",
        n("rows_read"),
        n("users_created"),
        n("users_updated"),
        n("rows_rejected"),
        n("rows_corrected"),
        n("rows_duplicate"),
        n("emails_queued"),
        n("emails_suppressed")
    );
    if !campaign["error"].is_null() {
        println!("  campaign error: {}", campaign["error"]);
    }
    let checks = [
        ("state is sending", campaign["state"] == "sending"),
        ("rows_read == rows", n("rows_read") == rows),
        (
            "users_created + rows_rejected + rows_duplicate == rows",
            n("users_created") + n("rows_rejected") + n("rows_duplicate") == rows,
        ),
        (
            "emails_queued == users_created",
            n("emails_queued") == n("users_created"),
        ),
        (
            "as generated (valid, bad, duplicate rows)",
            (n("users_created"), n("rows_rejected"), n("rows_duplicate"))
                == (expect.valid, expect.rejected, expect.duplicate),
        ),
    ];
    for (what, ok) in checks {
        if ok {
            println!("  check ok: {what}");
        } else {
            println!(
                "  CHECK FAILED: {what} (expected {} valid, {} bad, {} duplicate rows)",
                expect.valid, expect.rejected, expect.duplicate
            );
        }
    }
    poll_ms.sort_by(f64::total_cmp);
    println!(
        "  polls: {} GET /v1/campaigns/{{id}}, p50 {:.1} ms, max {:.1} ms, {:.1} s in all",
        poll_ms.len(),
        percentile(&poll_ms, 50.0),
        poll_ms.last().copied().unwrap_or(f64::NAN),
        poll_ms.iter().sum::<f64>() / 1000.0
    );
    println!("  server peak RSS: {rss:.0} MiB");
    let upload_from = (upload_started - probe_started).as_secs_f64();
    let answer_at = (answered - probe_started).as_secs_f64();
    print_probe("idle", &probe_stats(&samples, 0.0, upload_from));
    print_probe(
        "upload + check",
        &probe_stats(&samples, upload_from, answer_at),
    );
    print_probe("import", &probe_stats(&samples, answer_at, import_end));
    let during = probe_stats(&samples, upload_from, import_end);
    print_probe("upload + import", &during);
    (upload_secs, import_secs, rss, during)
}

/// Makes the ceiling's database: migrated, a tenant, a campaign row for the emails. Returns
/// (project_id, type_id, campaign_id).
async fn ceiling_setup(url: &str) -> (i64, i64, i64) {
    let tenant = OperatorTenant::create(url, PLAIN_TEMPLATES);
    let db = Db::connect(url).await.unwrap();
    let campaign_id = db
        .insert_campaign(&NewCampaign {
            project_id: tenant.project_id,
            type_id: tenant.type_id,
            name: "Ceiling".into(),
            file_name: "ceiling.csv".into(),
            original_name: "ceiling.csv".into(),
            file_bytes: 0,
            delimiter: ",".into(),
            header: "[]".into(),
            mapping: "[]".into(),
            total_rows: 0,
            data_offset: 0,
            data_line: 2,
            created_by: "bench".into(),
        })
        .await
        .unwrap();
    db.close().await;
    (tenant.project_id, tenant.type_id, campaign_id)
}

/// The valid, de-duplicated rows of the file, in file order.
fn valid_rows(rows: u64) -> impl Iterator<Item = Fields> {
    (0..rows).filter(|i| kind(*i) == Kind::Valid).map(fields)
}

/// A message id as the server makes them: `msg_`, the time in base 36 (9 digits), 15 random characters.
fn message_id(now: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut time = [b'0'; 9];
    let mut ms = now as u64;
    for digit in time.iter_mut().rev() {
        *digit = DIGITS[(ms % 36) as usize];
        ms /= 36;
    }
    let mut id = String::with_capacity(28);
    id.push_str("msg_");
    id.push_str(std::str::from_utf8(&time).unwrap());
    mailroom::domain::push_random_token(&mut id, 15);
    id
}

/// One batch of the import as the importer's reader thread makes it (`jobs::campaigns::read_batch`):
/// each row read and checked, the batch's earlier rows of an address replaced by the later, notes for
/// rejected, corrected and duplicate rows, and the server's message ids.
fn read_import_batch<R: std::io::Read>(
    reader: &mut RowReader<R>,
    mapping: &[Column],
    batch_rows: usize,
) -> ImportBatch {
    let mut batch = ImportBatch::default();
    let mut by_email: HashMap<String, usize> = HashMap::with_capacity(batch_rows);
    while (batch.rows_read as usize) < batch_rows {
        let Some((line, fields)) = reader.next_row().unwrap() else {
            break;
        };
        batch.rows_read += 1;
        let line = line as i64;
        match campaign_csv::read_row(mapping, &fields) {
            Err(reason) => {
                batch.rejected += 1;
                batch.notes.push(RowNote {
                    line,
                    kind: "rejected",
                    email: None,
                    detail: reason,
                    record: Some(Value::from(fields).to_string()),
                });
            }
            Ok(row) => {
                if let Some(from) = &row.corrected_from {
                    batch.corrected += 1;
                    batch.notes.push(RowNote {
                        line,
                        kind: "corrected",
                        email: Some(row.email.clone()),
                        detail: format!("\"{from}\" corrected to {}", row.email),
                        record: None,
                    });
                }
                let stored = ImportRow {
                    line,
                    email: row.email,
                    params: row.params,
                    data: row.data,
                    message_id: message_id(now_ms()),
                };
                match by_email.get(&stored.email) {
                    Some(&earlier) => {
                        batch.duplicates += 1;
                        let replaced = std::mem::replace(&mut batch.rows[earlier], stored);
                        batch.notes.push(RowNote {
                            line: replaced.line,
                            kind: "duplicate",
                            email: Some(replaced.email),
                            detail: format!(
                                "line {line} has the same address; the later row was used"
                            ),
                            record: None,
                        });
                    }
                    None => {
                        by_email.insert(stored.email.clone(), batch.rows.len());
                        batch.rows.push(stored);
                    }
                }
            }
        }
    }
    let (offset, line) = reader.resume_point().unwrap();
    batch.next_offset = offset as i64;
    batch.next_line = line as i64;
    batch
}

/// Where the import's time goes, without the server, the probe or the polls: reading and checking the
/// rows (the importer's reader thread) and storing the batches (`Db::store_import_batch`, as the
/// importer calls it), timed one after the other on a fresh database of the same kind. Returns
/// (reading s, storing s).
async fn import_in_process(url: &str, csv: &Path, rows: u64) -> (f64, f64) {
    let tenant = OperatorTenant::create(url, PLAIN_TEMPLATES);
    let db = Db::connect(url).await.unwrap();
    let file = std::fs::File::open(csv).unwrap();
    let mut reader = RowReader::new(
        std::io::BufReader::with_capacity(256 * 1024, file),
        b',',
        0,
        1,
    );
    let header = reader.next_row().unwrap().unwrap().1;
    let mapping = campaign_csv::guess_mapping(&header);
    let codes: Vec<String> = mapping.iter().map(Column::code).collect();
    let codes = serde_json::to_string(&codes).unwrap();
    let (data_offset, data_line) = reader.resume_point().unwrap();
    let id = db
        .insert_campaign(&NewCampaign {
            project_id: tenant.project_id,
            type_id: tenant.type_id,
            name: "In process".into(),
            file_name: "campaign.csv".into(),
            original_name: "campaign.csv".into(),
            file_bytes: 0,
            delimiter: ",".into(),
            header: serde_json::to_string(&header).unwrap(),
            mapping: codes.clone(),
            total_rows: rows as i64,
            data_offset: data_offset as i64,
            data_line: data_line as i64,
            created_by: "bench".into(),
        })
        .await
        .unwrap();
    assert!(db.launch_campaign(id, &codes, now_ms()).await.unwrap());
    let lease = || now_ms() + 3_600_000;
    let job = db
        .claim_import(lease())
        .await
        .unwrap()
        .expect("the campaign is due");
    let batch_rows = mailroom::jobs::ImportOptions::default().batch_rows;
    let (mut reading, mut storing) = (0.0, 0.0);
    let mut read = 0;
    loop {
        let started = Instant::now();
        let batch = read_import_batch(&mut reader, &mapping, batch_rows);
        reading += started.elapsed().as_secs_f64();
        if batch.rows_read == 0 {
            break;
        }
        read += batch.rows_read;
        let started = Instant::now();
        db.store_import_batch(&job, &batch, lease())
            .await
            .unwrap()
            .expect("still importing");
        storing += started.elapsed().as_secs_f64();
    }
    assert_eq!(read as u64, rows);
    db.close().await;
    (reading, storing)
}

fn print_in_process(rows: u64, (reading, storing): (f64, f64), import_secs: f64) {
    println!(
        "  in process, one after the other: reading and checking the rows {reading:.2} s ({:.0} rows/s), \
         storing the batches {storing:.2} s ({:.0} rows/s); the server's import took {import_secs:.2} s",
        rows as f64 / reading,
        rows as f64 / storing
    );
}

/// Seconds of each step of a ceiling run.
#[derive(Debug, Clone, Copy, Default)]
struct CeilingTimes {
    users: f64,
    ids: f64,
    emails: f64,
}

impl CeilingTimes {
    fn total(&self) -> f64 {
        self.users + self.ids + self.emails
    }
}

const USER_COLUMNS: &str = "project_id, email, name, gender, platform_id, country_id, list_id, client_user_id, ak, \
     age, photo, language_id, change_source, created_at, updated_at";
const EMAIL_COLUMNS: &str = "message_id, project_id, user_id, type_id, category, data, meta, status, first_status, \
     next_attempt_at, priority, campaign_id, created_at, updated_at";

/// SQLite: multi-row INSERTs of `CEILING_CHUNK` rows, `CEILING_TX_ROWS` rows a transaction, with the
/// server's connection settings.
fn sqlite_ceiling(
    path: &Path,
    rows: u64,
    (project_id, type_id, campaign_id): (i64, i64, i64),
) -> CeilingTimes {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
         PRAGMA temp_store = memory; PRAGMA cache_size = -16384;",
    )
    .unwrap();
    let users_sql = |n: usize| {
        let one = format!("({})", vec!["?"; 15].join(", "));
        format!(
            "INSERT INTO users ({USER_COLUMNS}) VALUES {}",
            vec![one; n].join(", ")
        )
    };
    let emails_sql = |n: usize| {
        let one = format!(
            "(?, {project_id}, ?, {type_id}, 'campaign', ?, '{{}}', 'queued', 'queued', ?, 1, {campaign_id}, ?, ?)"
        );
        format!(
            "INSERT INTO emails ({EMAIL_COLUMNS}) VALUES {}",
            vec![one; n].join(", ")
        )
    };
    let mut times = CeilingTimes::default();

    // Users.
    let started = Instant::now();
    let mut insert = conn.prepare(&users_sql(CEILING_CHUNK)).unwrap();
    let write_users = |stmt: &mut rusqlite::Statement<'_>, chunk: &[Fields], now: i64| {
        for (k, f) in chunk.iter().enumerate() {
            let b = k * 15;
            stmt.raw_bind_parameter(b + 1, project_id).unwrap();
            stmt.raw_bind_parameter(b + 2, f.email.as_str()).unwrap();
            stmt.raw_bind_parameter(b + 3, f.name.as_str()).unwrap();
            stmt.raw_bind_parameter(b + 4, f.gender).unwrap();
            stmt.raw_bind_parameter(b + 5, f.platform_id).unwrap();
            stmt.raw_bind_parameter(b + 6, f.country_id).unwrap();
            stmt.raw_bind_parameter(b + 7, f.list_id).unwrap();
            stmt.raw_bind_parameter(b + 8, f.client_user_id.as_str())
                .unwrap();
            stmt.raw_bind_parameter(b + 9, f.ak.as_str()).unwrap();
            stmt.raw_bind_parameter(b + 10, f.age).unwrap();
            stmt.raw_bind_parameter(b + 11, f.photo.as_str()).unwrap();
            stmt.raw_bind_parameter(b + 12, f.language_id).unwrap();
            stmt.raw_bind_parameter(b + 13, "campaign CSV").unwrap();
            stmt.raw_bind_parameter(b + 14, now).unwrap();
            stmt.raw_bind_parameter(b + 15, now).unwrap();
        }
        stmt.raw_execute().unwrap();
    };
    let mut chunk: Vec<Fields> = Vec::with_capacity(CEILING_CHUNK);
    let mut in_tx = 0;
    conn.execute_batch("BEGIN").unwrap();
    for f in valid_rows(rows) {
        chunk.push(f);
        if chunk.len() == CEILING_CHUNK {
            write_users(&mut insert, &chunk, now_ms());
            in_tx += chunk.len();
            chunk.clear();
            if in_tx >= CEILING_TX_ROWS {
                conn.execute_batch("COMMIT; BEGIN").unwrap();
                in_tx = 0;
            }
        }
    }
    if !chunk.is_empty() {
        let mut last = conn.prepare(&users_sql(chunk.len())).unwrap();
        write_users(&mut last, &chunk, now_ms());
        chunk.clear();
    }
    conn.execute_batch("COMMIT").unwrap();
    drop(insert);
    times.users = started.elapsed().as_secs_f64();

    // Their ids, in the order inserted.
    let started = Instant::now();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM users WHERE project_id = ? ORDER BY id")
        .unwrap()
        .query_map([project_id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    times.ids = started.elapsed().as_secs_f64();

    // Emails.
    let started = Instant::now();
    let mut insert = conn.prepare(&emails_sql(CEILING_CHUNK)).unwrap();
    let write_emails = |stmt: &mut rusqlite::Statement<'_>, chunk: &[(i64, Fields)], now: i64| {
        for (k, (user_id, f)) in chunk.iter().enumerate() {
            let b = k * 6;
            stmt.raw_bind_parameter(b + 1, message_id(now)).unwrap();
            stmt.raw_bind_parameter(b + 2, *user_id).unwrap();
            stmt.raw_bind_parameter(b + 3, f.data.as_str()).unwrap();
            stmt.raw_bind_parameter(b + 4, now).unwrap();
            stmt.raw_bind_parameter(b + 5, now).unwrap();
            stmt.raw_bind_parameter(b + 6, now).unwrap();
        }
        stmt.raw_execute().unwrap();
    };
    let mut chunk: Vec<(i64, Fields)> = Vec::with_capacity(CEILING_CHUNK);
    let mut in_tx = 0;
    let mut count = 0;
    conn.execute_batch("BEGIN").unwrap();
    for (k, f) in valid_rows(rows).enumerate() {
        chunk.push((ids[k], f));
        count += 1;
        if chunk.len() == CEILING_CHUNK {
            write_emails(&mut insert, &chunk, now_ms());
            in_tx += chunk.len();
            chunk.clear();
            if in_tx >= CEILING_TX_ROWS {
                conn.execute_batch("COMMIT; BEGIN").unwrap();
                in_tx = 0;
            }
        }
    }
    if !chunk.is_empty() {
        let mut last = conn.prepare(&emails_sql(chunk.len())).unwrap();
        write_emails(&mut last, &chunk, now_ms());
    }
    conn.execute_batch("COMMIT").unwrap();
    times.emails = started.elapsed().as_secs_f64();
    assert_eq!(count, ids.len(), "one user per valid row");
    times
}

/// PostgreSQL: `COPY … FROM STDIN` (text format) for the users, their ids read back, then COPY of the
/// emails.
async fn postgres_ceiling(
    url: &str,
    rows: u64,
    (project_id, type_id, campaign_id): (i64, i64, i64),
) -> CeilingTimes {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    let mut times = CeilingTimes::default();
    const SEND_BYTES: usize = 1 << 20;

    let started = Instant::now();
    let now = now_ms();
    let mut copy = conn
        .copy_in_raw(&format!("COPY users ({USER_COLUMNS}) FROM STDIN"))
        .await
        .unwrap();
    let mut buf = String::with_capacity(SEND_BYTES + 4096);
    for f in valid_rows(rows) {
        use std::fmt::Write as _;
        writeln!(
            buf,
            "{project_id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\tcampaign CSV\t{now}\t{now}",
            f.email,
            f.name,
            f.gender,
            f.platform_id,
            f.country_id,
            f.list_id,
            f.client_user_id,
            f.ak,
            f.age,
            f.photo,
            f.language_id
        )
        .unwrap();
        if buf.len() >= SEND_BYTES {
            copy.send(std::mem::take(&mut buf).into_bytes())
                .await
                .unwrap();
            buf.reserve(SEND_BYTES + 4096);
        }
    }
    if !buf.is_empty() {
        copy.send(std::mem::take(&mut buf).into_bytes())
            .await
            .unwrap();
    }
    let users = copy.finish().await.unwrap();
    times.users = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE project_id = $1 ORDER BY id")
            .bind(project_id)
            .fetch_all(&mut conn)
            .await
            .unwrap();
    times.ids = started.elapsed().as_secs_f64();
    assert_eq!(users as usize, ids.len());

    let started = Instant::now();
    let now = now_ms();
    let mut copy = conn
        .copy_in_raw(&format!("COPY emails ({EMAIL_COLUMNS}) FROM STDIN"))
        .await
        .unwrap();
    for (k, f) in valid_rows(rows).enumerate() {
        use std::fmt::Write as _;
        writeln!(
            buf,
            "{}\t{project_id}\t{}\t{type_id}\tcampaign\t{}\t{{}}\tqueued\tqueued\t{now}\t1\t{campaign_id}\t{now}\t{now}",
            message_id(now),
            ids[k],
            f.data
        )
        .unwrap();
        if buf.len() >= SEND_BYTES {
            copy.send(std::mem::take(&mut buf).into_bytes())
                .await
                .unwrap();
            buf.reserve(SEND_BYTES + 4096);
        }
    }
    if !buf.is_empty() {
        copy.send(std::mem::take(&mut buf).into_bytes())
            .await
            .unwrap();
    }
    let emails = copy.finish().await.unwrap();
    times.emails = started.elapsed().as_secs_f64();
    assert_eq!(emails, users, "one email per user");
    conn.close().await.unwrap();
    times
}

fn print_ceiling(rows: u64, t: &CeilingTimes, users: u64) {
    println!(
        "  ceiling: {:.2} s = {:.0} rows/s of the file (users {:.2} s = {:.0}/s, ids read back {:.2} s, \
         emails {:.2} s = {:.0}/s; {} users and emails)",
        t.total(),
        rows as f64 / t.total(),
        t.users,
        users as f64 / t.users,
        t.ids,
        t.emails,
        users as f64 / t.emails,
        thousands(users)
    );
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT MET" }
}

fn print_summary(o: &Outcome) {
    let rate = o.rows as f64 / o.import_secs;
    let ceiling_rate = o.rows as f64 / o.ceiling_secs;
    let share = 100.0 * rate / ceiling_rate;
    let target_secs = TARGET_SECS_PER_MILLION * o.rows as f64 / 1_000_000.0;
    let time_target = if o.label == "SQLite" {
        format!("< {target_secs:.0} s")
    } else {
        format!("< {target_secs:.0} s (SQLite's target)")
    };
    println!("\n{} summary", o.label);
    println!("| | value | target | |");
    println!("|---|---|---|---|");
    println!("| rows | {} | | |", thousands(o.rows));
    println!("| file | {:.1} MB | | |", mb(o.file_bytes));
    println!("| upload + check | {:.2} s | | |", o.upload_secs);
    println!(
        "| import | {:.2} s | {time_target} | {} |",
        o.import_secs,
        met(o.import_secs < target_secs)
    );
    println!("| import rows/s | {} | | |", thousands(rate as u64));
    println!(
        "| ceiling rows/s | {} ({:.2} s) | | |",
        thousands(ceiling_rate as u64),
        o.ceiling_secs
    );
    println!(
        "| % of ceiling | {share:.0} % | ≥ {TARGET_SHARE_OF_CEILING:.0} % | {} |",
        met(share >= TARGET_SHARE_OF_CEILING)
    );
    println!(
        "| server peak RSS | {:.0} MiB | < {TARGET_RSS_MIB:.0} MiB | {} |",
        o.rss_mib,
        met(o.rss_mib < TARGET_RSS_MIB)
    );
    println!(
        "| probe p50 / p99 / max ({} sends, {} failed) | {:.2} / {:.2} / {:.2} ms | p99 < {TARGET_PROBE_P99_MS:.0} ms | {} |",
        o.probe.count,
        o.probe.failed,
        o.probe.p50,
        o.probe.p99,
        o.probe.max,
        met(o.probe.p99 < TARGET_PROBE_P99_MS && o.probe.failed == 0)
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let sqlite = !args.iter().any(|a| a == "postgres") || args.iter().any(|a| a == "sqlite");
    let postgres = !args.iter().any(|a| a == "sqlite") || args.iter().any(|a| a == "postgres");
    // `rows=N` and `poll-ms=N` for investigating (the targets are for 1,000,000 rows and 100 ms).
    let setting = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(name)?.strip_prefix('=')?.parse::<u64>().ok())
    };
    let rows: u64 = setting("rows").unwrap_or(if quick { 100_000 } else { 1_000_000 });
    let poll = setting("poll-ms").map_or(POLL, Duration::from_millis);

    let scratch = tempfile::Builder::new()
        .prefix("mailroom-bench-campaigns-")
        .tempdir()
        .unwrap();
    let dir = scratch.path();
    let csv = dir.join("campaign.csv");
    let started = Instant::now();
    let file_bytes = write_csv(&csv, rows);
    let expect = expected(rows);
    println!(
        "Campaign import of {} rows: {:.1} MB CSV written in {:.1} s ({} valid, {} bad, {} duplicate rows); \
         probe {PROBE_RATE:.0} trigger sends/s, progress read every {} ms",
        thousands(rows),
        mb(file_bytes),
        started.elapsed().as_secs_f64(),
        thousands(expect.valid),
        thousands(expect.rejected),
        thousands(expect.duplicate),
        poll.as_millis()
    );

    let mut outcomes = Vec::new();
    if sqlite {
        println!("\nSQLite");
        let work = dir.join("sqlite");
        std::fs::create_dir_all(&work).unwrap();
        let url = format!("sqlite://{}", work.join("mailroom.db").display());
        let (upload_secs, import_secs, rss_mib, probe) =
            import_through_server(&url, &work, &csv, rows, expect, poll).await;
        let _ = std::fs::remove_dir_all(&work);
        std::fs::create_dir_all(&work).unwrap();
        let in_process = import_in_process(
            &format!("sqlite://{}", work.join("in-process.db").display()),
            &csv,
            rows,
        )
        .await;
        print_in_process(rows, in_process, import_secs);
        let _ = std::fs::remove_dir_all(&work);
        let ceiling_path = dir.join("ceiling.db");
        let ids = ceiling_setup(&format!("sqlite://{}", ceiling_path.display())).await;
        let times = tokio::task::spawn_blocking(move || sqlite_ceiling(&ceiling_path, rows, ids))
            .await
            .unwrap();
        print_ceiling(rows, &times, expect.valid);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.join(format!("ceiling.db{suffix}")));
        }
        let outcome = Outcome {
            label: "SQLite",
            rows,
            file_bytes,
            upload_secs,
            import_secs,
            ceiling_secs: times.total(),
            rss_mib,
            probe,
        };
        print_summary(&outcome);
        outcomes.push(outcome);
    }
    if postgres {
        println!("\nPostgreSQL");
        match fresh_postgres(POSTGRES_DB).await {
            Some(url) => {
                let work = dir.join("postgres");
                std::fs::create_dir_all(&work).unwrap();
                let (upload_secs, import_secs, rss_mib, probe) =
                    import_through_server(&url, &work, &csv, rows, expect, poll).await;
                drop_postgres(POSTGRES_DB).await;
                let in_process_url = fresh_postgres(POSTGRES_DB).await.unwrap();
                let in_process = import_in_process(&in_process_url, &csv, rows).await;
                print_in_process(rows, in_process, import_secs);
                drop_postgres(POSTGRES_DB).await;
                let ceiling_url = fresh_postgres(POSTGRES_CEILING_DB).await.unwrap();
                let ids = ceiling_setup(&ceiling_url).await;
                let times = postgres_ceiling(&ceiling_url, rows, ids).await;
                print_ceiling(rows, &times, expect.valid);
                drop_postgres(POSTGRES_CEILING_DB).await;
                let outcome = Outcome {
                    label: "PostgreSQL",
                    rows,
                    file_bytes,
                    upload_secs,
                    import_secs,
                    ceiling_secs: times.total(),
                    rss_mib,
                    probe,
                };
                print_summary(&outcome);
                outcomes.push(outcome);
            }
            None => println!("  not answering at 127.0.0.1:5432, skipped"),
        }
    }
    if outcomes.len() > 1 {
        println!();
        for o in &outcomes {
            println!(
                "{:<10} import {:>7.2} s = {:>7} rows/s = {:>3.0} % of its ceiling; RSS {:.0} MiB; probe p99 {:.2} ms",
                o.label,
                o.import_secs,
                thousands((o.rows as f64 / o.import_secs) as u64),
                100.0 * o.ceiling_secs / o.import_secs,
                o.rss_mib,
                o.probe.p99
            );
        }
    }
}
