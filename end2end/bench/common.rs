//! What both benches need: Mailroom's operator commands, an account to send with, a PostgreSQL database of
//! their own, free ports and a process's peak memory. Included by each bench with `#[path]`.
use std::process::Command;

use base64::{Engine, engine::general_purpose::STANDARD};

/// Runs `mailroom ARGS` on the database and returns what it printed (an id, a key).
pub fn operator(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(args)
        .env("MAILROOM_DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// An account, key, project and email type made with the operator commands on a migrated database.
pub struct Setup {
    /// `base64(client_id:api_key)`, the credentials of a Basic `Authorization` header.
    credentials: String,
    pub project: String,
    pub type_id: String,
}

impl Setup {
    pub fn new(database_url: &str) -> Setup {
        operator(database_url, &["migrate"]);
        let client_id = operator(database_url, &["account", "create", "--name", "Bench"]);
        let key = operator(database_url, &["key", "issue", "--client-id", &client_id]);
        let project = operator(
            database_url,
            &[
                "project",
                "create",
                "--client-id",
                &client_id,
                "--name",
                "P",
            ],
        );
        let type_id = operator(
            database_url,
            &[
                "email-type",
                "create",
                "--project-id",
                &project,
                "--name",
                "T",
                "--subject",
                "Your code {{ code }}",
                "--html",
                "<p>Hello {{ name }}, your code is <b>{{ code }}</b>.</p>",
                "--text",
                "Hello {{ name }}, your code is {{ code }}.",
            ],
        );
        Setup {
            credentials: STANDARD.encode(format!("{client_id}:{key}")),
            project,
            type_id,
        }
    }

    /// The value of the `Authorization` header.
    pub fn authorization(&self) -> String {
        format!("Basic {}", self.credentials)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Peak resident memory of a process, in MiB.
pub fn peak_rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

const POSTGRES_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A new, empty PostgreSQL database `name` at 127.0.0.1:5432 (dropped first if a run left it), or `None`
/// when PostgreSQL does not answer.
pub async fn fresh_postgres(name: &str) -> Option<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(POSTGRES_ADMIN).await.ok()?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .ok()?;
    Some(format!("postgres://postgres@127.0.0.1:5432/{name}"))
}

/// Drops the PostgreSQL database `name`, if PostgreSQL answers.
pub async fn drop_postgres(name: &str) {
    use sqlx::Connection;
    if let Ok(mut conn) = sqlx::PgConnection::connect(POSTGRES_ADMIN).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}
