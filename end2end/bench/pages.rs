//! Support's pages on a large database: `cargo bench --features ssr --bench pages [-- quick] [-- sqlite|postgres]`.
//! Needs `wrk` (Debian package) and PostgreSQL at 127.0.0.1:5432 (skipped if it does not answer).
//!
//! Seeds 1,000,000 users, 5,000,000 emails and 15,000,000 events across 3 accounts (a tenth with
//! `quick`) by bulk inserts, one user with 5,100 events, rolls up the daily counts, starts the real
//! server, signs in as a CSM and drives each page with `wrk` (c8, the session cookie): the users
//! search by an address prefix, the profile of the user with 5,100 events, the users list page 1 and
//! page 5,000 (reached by following the keyset links), the activity list filtered by status, and the
//! project page with its chart. Reported per page: requests/s, p50 and p99 (median of 3 runs), beside
//! the target (p50 < 15 ms, p99 < 60 ms); then each page's queries with their plans.
//! `keep` leaves the seeded databases behind and `reuse` measures them again without seeding.
use std::{
    process::{Child, Command, Stdio},
    str::FromStr,
    time::{Duration, Instant},
};

use mailroom::{
    db::Db,
    domain::Role,
    services::{Actor, accounts, email_types, panel_users, projects},
};

#[path = "common.rs"]
mod common;
use common::{drop_postgres, fresh_postgres, peak_rss_mib};

const RUNS: usize = 3;
const POSTGRES_DB: &str = "mailroom_bench_pages";
const CSM_EMAIL: &str = "bench-csm@example.com";
const CSM_PASSWORD: &str = "bench-password-123";
/// The emails (and so 3 × the events) of user 1, the profile measured.
const BUSY_USER_EMAILS: i64 = 1_700;

struct Scale {
    users: i64,
    emails: i64,
    seconds: u32,
    /// The users list page reached by following "Next".
    deep_page: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

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

fn wrk(url: &str, cookie: &str, seconds: u32) -> Sample {
    let out = Command::new("wrk")
        .args([
            "-t",
            "2",
            "-c",
            "8",
            "-d",
            &format!("{seconds}s"),
            "--latency",
        ])
        .args(["-H", &format!("Cookie: {cookie}"), url])
        .output()
        .expect("wrk must be installed (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut sample = Sample::default();
    for line in text.lines() {
        match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            ["Requests/sec:", rps] => sample.rps = rps.parse().unwrap_or(0.0),
            ["50%", latency] => sample.p50_ms = millis(latency),
            ["99%", latency] => sample.p99_ms = millis(latency),
            _ => {}
        }
    }
    if text.contains("Non-2xx") {
        eprintln!("warning: non-2xx answers from {url}:\n{text}");
    }
    sample
}

fn median(mut samples: Vec<Sample>) -> Sample {
    let pick = |f: fn(&Sample) -> f64, samples: &mut Vec<Sample>| {
        samples.sort_by(|a, b| f(a).total_cmp(&f(b)));
        f(&samples[samples.len() / 2])
    };
    Sample {
        rps: pick(|s| s.rps, &mut samples),
        p50_ms: pick(|s| s.p50_ms, &mut samples),
        p99_ms: pick(|s| s.p99_ms, &mut samples),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The bulk inserts: users, emails (user 1 gets the first `BUSY_USER_EMAILS`), three events each.
/// `{n}` is replaced by a series of 1..N: a recursive CTE on SQLite, `generate_series` on PostgreSQL.
fn seed_statements(scale: &Scale, now: i64, type_ids: [i64; 3]) -> Vec<(String, String)> {
    let (users, emails) = (scale.users, scale.emails);
    // Emails spread over the last 30 days, in id order.
    let span = 30 * 86_400_000i64;
    let step = (span / emails).max(1);
    let start = now - span;
    let [t1, t2, t3] = type_ids;
    vec![
        (
            "users".to_owned(),
            format!(
                "INSERT INTO users (project_id, email, name, client_user_id, age, language_id, subscribed,
                    created_at, updated_at)
                 SELECT n % 3 + 1, 'user' || n || '@example' || (n % 50) || '.com', 'User ' || n, 'c' || n,
                    20 + n % 50, 'en', CASE WHEN n % 97 = 0 THEN 0 ELSE 1 END, {start}, {start}
                 FROM {{series:{users}}}"
            ),
        ),
        (
            "emails".to_owned(),
            format!(
                "INSERT INTO emails (message_id, project_id, user_id, type_id, category, data, meta, status,
                    first_status, attempts, created_at, updated_at)
                 SELECT 'msg_' || n, u.project_id, u.id,
                    CASE u.project_id WHEN 1 THEN {t1} WHEN 2 THEN {t2} ELSE {t3} END, 'trigger', '{{}}', '{{}}',
                    CASE WHEN n % 100 < 3 THEN 'bounced' WHEN n % 100 < 5 THEN 'failed'
                         WHEN n % 100 < 13 THEN 'clicked' WHEN n % 100 < 40 THEN 'opened' ELSE 'sent' END,
                    'queued', 1, {start} + n * {step}, {start} + n * {step} + 3000
                 FROM {{series:{emails}}} JOIN users u
                   ON u.id = CASE WHEN n <= {BUSY_USER_EMAILS} THEN 1 ELSE (n * 7919) % {users} + 1 END"
            ),
        ),
        (
            "events".to_owned(),
            "INSERT INTO email_events (email_id, status, detail, at)
             SELECT e.id, s.status, NULL, e.created_at + s.k * 1000
             FROM emails e CROSS JOIN (SELECT 1 AS k, 'sent' AS status UNION ALL SELECT 2, 'opened'
                UNION ALL SELECT 3, 'clicked') s
             ORDER BY e.id, s.k"
                .to_owned(),
        ),
    ]
}

fn with_series(sql: &str, postgres: bool) -> String {
    let start = sql.find("{series:").unwrap();
    let end = start + sql[start..].find('}').unwrap();
    let count = &sql[start + 8..end];
    let series = if postgres {
        format!("generate_series(1::bigint, {count}) AS series(n)")
    } else {
        format!(
            "(WITH RECURSIVE series(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM series WHERE n < {count})
              SELECT n FROM series) series"
        )
    };
    format!("{}{series}{}", &sql[..start], &sql[end + 1..])
}

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop),
    }
    .unwrap_or_else(|e| panic!("{e}\n{sql}"));
}

/// Seeds the database and returns the first account's first project id.
async fn seed(url: &str, scale: &Scale) -> i64 {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    let op = Actor::Operator;
    let mut project_ids = Vec::new();
    let mut type_ids = [0i64; 3];
    for (i, name) in ["Acme", "Globex", "Initech"].into_iter().enumerate() {
        let account = accounts::create(&db, &op, name).await.unwrap();
        let project = projects::create(&db, &op, account.id, "Shop")
            .await
            .unwrap();
        let input = email_types::EmailTypeInput {
            name: "Receipt",
            category: "trigger",
            subject: "Your receipt",
            html_body: "<p>Thanks</p>",
            text_body: "Thanks",
        };
        type_ids[i] = email_types::create(&db, &op, project.id, input)
            .await
            .unwrap();
        project_ids.push(project.id);
    }
    assert_eq!(project_ids, [1, 2, 3], "a fresh database");
    panel_users::add_staff(&db, &op, CSM_EMAIL, Role::Csm, CSM_PASSWORD)
        .await
        .unwrap();
    let postgres = matches!(db, Db::Postgres(_));
    let now = mailroom::db::now_ms();
    for (what, sql) in seed_statements(scale, now, type_ids) {
        let started = Instant::now();
        let sql = if sql.contains("{series:") {
            with_series(&sql, postgres)
        } else {
            sql
        };
        execute(&db, &sql).await;
        println!(
            "  seeded {what} in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
    // Statistics for the planners and (PostgreSQL) the visibility map, as a database in use has them
    // from autovacuum (which the PostgreSQL of the test machines runs with turned off).
    execute(
        &db,
        if postgres {
            "VACUUM ANALYZE"
        } else {
            "ANALYZE"
        },
    )
    .await;
    let started = Instant::now();
    let rows = db.roll_up_daily(i64::MAX).await.unwrap();
    println!(
        "  daily rollup of {rows} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    db.close().await;
    project_ids[0]
}

/// Whether the database at `url` already holds a seeded run (kept by `keep`).
async fn seeded(url: &str) -> bool {
    let Ok(db) = Db::connect(url).await else {
        return false;
    };
    let count: Option<i64> = match &db {
        Db::Sqlite(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id <= 10")
            .fetch_one(pool)
            .await
            .ok(),
        Db::Postgres(pool) => sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE id <= 10")
            .fetch_one(pool)
            .await
            .ok(),
    };
    db.close().await;
    count == Some(10)
}

async fn start_server(url: &str) -> (Child, String) {
    let port = free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .arg("serve")
        .env("MAILROOM_DATABASE_URL", url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("RUST_LOG", "error")
        .env("MAILROOM_DELIVERY_WORKERS", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..600 {
        if reqwest::get(format!("{base}/readyz"))
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, base)
}

/// Signs in and returns the session cookie (`name=value`).
async fn sign_in(base: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[("email", CSM_EMAIL), ("password", CSM_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "login: {}", res.status());
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("mailroom_session="))
        .expect("a session cookie");
    cookie.split(';').next().unwrap().to_owned()
}

/// The `after` cursor of users list page `page`, by following the keyset links from page 1.
async fn deep_cursor(base: &str, cookie: &str, page: u32) -> String {
    let client = reqwest::Client::new();
    let mut after = String::new();
    for _ in 1..page {
        let found: serde_json::Value = client
            .post(format!("{base}/api/list_users"))
            .header("accept", "application/json")
            .header("cookie", cookie)
            .form(&[("after", after.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        after = found["page"]["next"]
            .as_str()
            .expect("a next page")
            .to_owned();
    }
    after
}

/// Each measured page's queries as the services run them, for their plans.
fn plan_queries(postgres: bool) -> Vec<(&'static str, String)> {
    let email = if postgres {
        "(u.email COLLATE \"C\")"
    } else {
        "u.email"
    };
    // As `db::profiles` reads users: with their latest email.
    let latest = if postgres {
        "LEFT JOIN LATERAL (SELECT e.id, e.status, e.created_at FROM emails e WHERE e.user_id = u.id
           ORDER BY e.id DESC LIMIT 1) le ON true"
    } else {
        "LEFT JOIN emails le ON le.id = (SELECT MAX(e.id) FROM emails e WHERE e.user_id = u.id)"
    };
    let summary = format!(
        "SELECT u.id, u.email, p.name, a.name, le.status, le.created_at FROM users u
        JOIN projects p ON p.id = u.project_id JOIN accounts a ON a.id = p.account_id {latest}"
    );
    vec![
        (
            "users search by prefix",
            format!(
                "{summary} WHERE 1 = 1 AND {email} >= 'user4242' AND {email} < 'user4242\u{10FFFF}'
                 ORDER BY {email} ASC, u.id ASC LIMIT 51"
            ),
        ),
        (
            "users search, exact matches",
            format!("{summary} WHERE (u.client_user_id = 'user4242' ) ORDER BY u.id DESC LIMIT 10"),
        ),
        (
            "users list page 5,000",
            format!("{summary} WHERE 1 = 1 AND u.id < 750000 ORDER BY u.id DESC LIMIT 51"),
        ),
        (
            "users by latest email",
            "SELECT u.id, u.email, e.status FROM emails e JOIN users u ON u.id = e.user_id
             JOIN projects p ON p.id = u.project_id JOIN accounts a ON a.id = p.account_id
             WHERE NOT EXISTS (SELECT 1 FROM emails n WHERE n.user_id = e.user_id AND n.id > e.id)
             ORDER BY e.id DESC LIMIT 51"
                .to_owned(),
        ),
        (
            "profile: timeline",
            "SELECT e.id, t.name FROM emails e JOIN email_types t ON t.id = e.type_id
             WHERE e.user_id = 1 ORDER BY e.id DESC LIMIT 21"
                .to_owned(),
        ),
        (
            "profile: events of the page's emails",
            "SELECT email_id, status FROM email_events WHERE email_id IN (1, 2, 3) ORDER BY email_id, id"
                .to_owned(),
        ),
        (
            "profile: email count",
            "SELECT COUNT(*) FROM emails WHERE user_id = 1".to_owned(),
        ),
        (
            "activity filtered by status",
            "SELECT e.id, u.email, t.name FROM emails e JOIN users u ON u.id = e.user_id
             JOIN email_types t ON t.id = e.type_id WHERE e.project_id = 1 AND e.status = 'bounced'
             ORDER BY e.id DESC LIMIT 51"
                .to_owned(),
        ),
        (
            "project chart",
            "SELECT day, status, count FROM email_daily WHERE project_id = 1 AND day >= 20400
             ORDER BY day, status"
                .to_owned(),
        ),
    ]
}

async fn print_plans(url: &str) {
    let db = Db::connect(url).await.unwrap();
    let postgres = matches!(db, Db::Postgres(_));
    for (name, sql) in plan_queries(postgres) {
        println!("  {name}:");
        let lines: Vec<String> = match &db {
            Db::Sqlite(pool) => {
                sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(pool)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|(_, _, _, detail)| detail)
                    .collect()
            }
            Db::Postgres(pool) => sqlx::query_scalar::<_, String>(&format!(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING ON, SUMMARY OFF) {sql}"
            ))
            .fetch_all(pool)
            .await
            .unwrap(),
        };
        for line in lines {
            println!("      {line}");
        }
    }
    db.close().await;
}

async fn measure(label: &str, url: &str, scale: &Scale, reuse: bool) {
    println!("\n{label}");
    let started = Instant::now();
    let project_id = if reuse && seeded(url).await {
        println!("  reusing the database a `keep` run left");
        1
    } else {
        seed(url, scale).await
    };
    println!("  seeding in all: {:.0} s", started.elapsed().as_secs_f64());
    let (mut server, base) = start_server(url).await;
    let cookie = sign_in(&base).await;
    let started = Instant::now();
    let after = deep_cursor(&base, &cookie, scale.deep_page).await;
    println!(
        "  followed {} keyset links in {:.1} s",
        scale.deep_page - 1,
        started.elapsed().as_secs_f64()
    );
    let pages = [
        (
            "users search by prefix".to_owned(),
            "/users?q=user4242".to_owned(),
        ),
        (
            "profile of a user with 5,100 events".to_owned(),
            "/users/1".to_owned(),
        ),
        ("users list page 1".to_owned(), "/users".to_owned()),
        (
            format!("users list page {}", scale.deep_page),
            format!("/users?after={after}"),
        ),
        (
            "users by latest email".to_owned(),
            "/users?sort=activity".to_owned(),
        ),
        (
            "activity filtered by status".to_owned(),
            format!("/projects/{project_id}/activity?status=bounced"),
        ),
        (
            "project page with its chart".to_owned(),
            format!("/projects/{project_id}"),
        ),
    ];
    let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); pages.len()];
    for _ in 0..RUNS {
        for (i, (_, path)) in pages.iter().enumerate() {
            samples[i].push(wrk(&format!("{base}{path}"), &cookie, scale.seconds));
        }
    }
    println!(
        "  {:<40} {:>9} {:>9} {:>9}   target p50 < 15 ms, p99 < 60 ms",
        "page (c8, median of 3)", "req/s", "p50 ms", "p99 ms"
    );
    for ((name, _), runs) in pages.iter().zip(samples) {
        let s = median(runs);
        let ok = if s.p50_ms < 15.0 && s.p99_ms < 60.0 {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "  {name:<40} {:>9.0} {:>9.2} {:>9.2}   {ok}",
            s.rps, s.p50_ms, s.p99_ms
        );
    }
    println!("  server peak RSS: {:.0} MiB", peak_rss_mib(server.id()));
    let _ = server.kill();
    let _ = server.wait();
    println!("  query plans:");
    print_plans(url).await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "quick");
    let sqlite_only = args.iter().any(|a| a == "sqlite");
    let scale = if quick {
        Scale {
            users: 100_000,
            emails: 500_000,
            seconds: 4,
            deep_page: 1_000,
        }
    } else {
        Scale {
            users: 1_000_000,
            emails: 5_000_000,
            seconds: 10,
            deep_page: 5_000,
        }
    };
    println!(
        "Support's pages over {} users, {} emails, {} events in 3 accounts; wrk c8, {} s a run, median of {RUNS}",
        scale.users,
        scale.emails,
        scale.emails * 3,
        scale.seconds
    );
    // `keep` leaves the seeded databases (SQLite in target/, PostgreSQL `mailroom_bench_pages`) for
    // looking at plans; `reuse` measures them again without seeding (same scale only).
    let keep = args.iter().any(|a| a == "keep");
    let reuse = args.iter().any(|a| a == "reuse");
    let dir = tempfile::tempdir().unwrap();
    let sqlite_path = if keep || reuse {
        std::path::PathBuf::from("target/bench-pages.db")
    } else {
        dir.path().join("pages.db")
    };
    if !args.iter().any(|a| a == "postgres") {
        if !(reuse && sqlite_path.exists()) {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", sqlite_path.display()));
            }
        }
        let url = format!("sqlite://{}?mode=rwc", sqlite_path.display());
        measure("SQLite", &url, &scale, reuse).await;
    }
    if !sqlite_only {
        let url = format!("postgres://postgres@127.0.0.1:5432/{POSTGRES_DB}");
        if reuse && seeded(&url).await {
            measure("PostgreSQL", &url, &scale, true).await;
        } else {
            match fresh_postgres(POSTGRES_DB).await {
                Some(url) => measure("PostgreSQL", &url, &scale, false).await,
                None => println!("\nPostgreSQL: not answering at 127.0.0.1:5432, skipped"),
            }
        }
        if !keep && !reuse {
            drop_postgres(POSTGRES_DB).await;
        }
    }
}
