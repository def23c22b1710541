//! The storage interface: one `Db` value over SQLite or PostgreSQL, chosen at run time from the URL.
//! All SQL of Mailroom lives in this module. Queries are written once in the portable subset
//! (`$n` placeholders, `RETURNING`, `ON CONFLICT`) and run on either pool by `with_pool!`;
//! where the dialects differ, a method matches on the variant. One exception to "sqlx everywhere": the
//! SQLite send writer's own connection (`sqlite_sends`, rusqlite), used synchronously on its thread.
use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

mod accounts;
mod api_keys;
mod audit;
mod delivery;
mod email_types;
mod emails;
mod engagement;
mod login_failures;
mod outbox;
mod panel_users;
mod projects;
mod sessions;
mod settings;
mod sqlite_sends;
mod users;

pub use api_keys::{KeyOwner, NewApiKey};
pub use delivery::{Captured, ClaimedEmail, Outcome, OutcomeStatus, SenderRow, TemplateRow};
pub use email_types::NewEmailType;
pub use emails::{
    EmailRow, EnqueueOutcome, Enqueued, EventRow, IdempotencyKey, IdempotencyRecord, NewEmail,
    SendStore,
};
pub use engagement::{EmailRef, status_rank};
pub use panel_users::{Credentials, NewPanelUser};
pub use sessions::SessionStore;
pub use users::UserRow;

/// Runs the same query code on whichever pool `db` holds.
macro_rules! with_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Opens (and for SQLite creates) the database named by `url`: `sqlite://PATH` or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {url:?}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // WAL + NORMAL: a committed transaction survives a killed process; FULL adds power-loss safety.
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Statement journals of multi-row writes stay in memory instead of temp files.
                .pragma("temp_store", "memory")
                // 16 MiB of page cache (default 2 MiB): the indexes that sends touch stay cached.
                .pragma("cache_size", "-16384");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                // A connection to a local file does not break while idle: no ping (a round trip to
                // the connection's thread) before each use.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .with_context(|| format!("cannot open SQLite database {url:?}"))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .context("cannot connect to PostgreSQL")?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!(
                "MAILROOM_DATABASE_URL must start with sqlite:// or postgres:// (got {url:?})"
            )
        }
    }

    /// Brings the schema up to date (each dialect has its own migrations, with the same versions).
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers a trivial query (for `/readyz`).
    pub async fn is_ready(&self) -> bool {
        with_pool!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .is_ok())
    }

    pub async fn close(&self) {
        with_pool!(self, |pool| pool.close().await)
    }
}

/// True when `e` is a unique-constraint violation (e.g. a duplicate email).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// `LIKE` pattern that matches `text` anywhere, with the wildcards in `text` escaped (`ESCAPE '\'`).
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

/// Milliseconds since the unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(contains_pattern("Ac_me 100%"), "%ac\\_me 100\\%%");
    }
}
