//! The storage interface: one `Db` value over SQLite or PostgreSQL, chosen at run time from the URL.
//! All SQL of Mailroom lives in this module. Queries are written once in the portable subset
//! (`$n` placeholders, `RETURNING`, `ON CONFLICT`) and run on either pool by `with_pool!`;
//! where the dialects differ, a method matches on the variant. Writes that must land together (a change
//! and its audit entry) are methods of `Tx`, a transaction on either database, run by `with_tx!`. One
//! exception to "sqlx everywhere": the SQLite send writer's own connection (`sends::sqlite`, rusqlite),
//! used synchronously on its thread.
use std::{str::FromStr, time::Duration};

use anyhow::Context;
use sqlx::{
    PgPool, SqlitePool,
    postgres::PgPoolOptions,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::config::redact_url;

mod accounts;
mod api_keys;
mod audit;
mod campaigns;
mod delivery;
mod email_types;
mod emails;
mod engagement;
mod login_failures;
mod outbox;
mod panel_users;
mod profiles;
mod projects;
mod sends;
mod sessions;
mod settings;
mod stats;
mod turns;
mod users;
mod webhooks;

pub use api_keys::{KeyOwner, NewApiKey};
pub use campaigns::{
    BatchCounts, ImportBatch, ImportJob, ImportRow, NewCampaign, PAUSED_UNTIL, RowNote,
};
pub use delivery::{Captured, ClaimedEmail, Outcome, OutcomeStatus, SenderRow, TemplateRow};
pub use email_types::{NewEmailType, TemplateVersion};
pub use emails::{EmailRow, EventRow};
pub use engagement::{EmailRef, status_rank};
pub use panel_users::{Credentials, NewPanelUser};
pub use profiles::{ActivityFilter, EmailContext, TimelineRow, UserCursor, UserFilter, UserKey};
pub use projects::WebhookSecrets;
pub use sends::{EnqueueOutcome, Enqueued, IdempotencyKey, IdempotencyRecord, NewEmail, SendStore};
pub use sessions::SessionStore;
pub use stats::DAY_MS;
pub use webhooks::{WebhookJob, WebhookNext, WebhookOutcome};

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

/// Runs the same query code on the connection of whichever transaction `tx` (a `&mut Tx`) holds.
/// `$conn` is a `&mut` connection: an executor for one query (reborrow with `&mut *$conn` for more).
macro_rules! with_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use with_tx;

/// A transaction on either database: its writes are committed together by `commit`, or not at all
/// (dropped without `commit`, it rolls back). Every audited change is a method of `Tx`, and so is the
/// audit entry, so that a change cannot be stored without its entry nor an entry without its change.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> sqlx::Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Library-wide SQLite settings, made once, before the first connection opens (SQLite takes them only
/// then). Memory statistics off: with them on (the bundled library's default) every allocation of every
/// connection takes one process-wide lock to count bytes that Mailroom never reads (no
/// `sqlite3_memory_used`, no soft heap limit); the send writer allocates for each statement and row.
fn configure_sqlite_library() {
    static CONFIGURED: std::sync::Once = std::sync::Once::new();
    CONFIGURED.call_once(|| {
        // SAFETY: `sqlite3_config` with `SQLITE_CONFIG_MEMSTATUS` takes one int. Called before SQLite is
        // initialized (inside `Once`, before any connection); if it is already initialized (another
        // part of the process opened a database first) SQLite refuses with SQLITE_MISUSE and keeps
        // its defaults, which are also correct.
        let rc = unsafe {
            rusqlite::ffi::sqlite3_config(
                rusqlite::ffi::SQLITE_CONFIG_MEMSTATUS,
                std::ffi::c_int::from(0u8),
            )
        };
        if rc != rusqlite::ffi::SQLITE_OK {
            tracing::debug!(
                rc,
                "SQLite memory statistics stay on (SQLite was already initialized)"
            );
        }
    });
}

/// How long a PostgreSQL connection may sit idle in the pool before it is pinged on its next use.
const PG_IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

impl Db {
    /// Opens (and for SQLite creates) the database named by `url`: `sqlite://PATH` or `postgres://…`.
    pub async fn connect(url: &str) -> anyhow::Result<Db> {
        if url.starts_with("sqlite:") {
            configure_sqlite_library();
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("invalid SQLite URL {:?}", redact_url(url)))?
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
                .with_context(|| format!("cannot open SQLite database {:?}", redact_url(url)))?;
            Ok(Db::Sqlite(pool))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                // sqlx pings every connection before handing it out by default: a round trip before
                // each query, which doubled the round trips of every page. A connection in steady use
                // is known to work; only one that sat idle (the server may have closed it, or
                // restarted) is checked, and replaced when the check fails.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for < PG_IDLE_BEFORE_PING {
                            return Ok(true);
                        }
                        Ok(sqlx::Connection::ping(conn).await.is_ok())
                    })
                })
                .connect(url)
                .await
                .with_context(|| format!("cannot connect to PostgreSQL at {}", redact_url(url)))?;
            Ok(Db::Postgres(pool))
        } else {
            anyhow::bail!(
                "MAILROOM_DATABASE_URL must start with sqlite:// or postgres:// (got {:?})",
                redact_url(url)
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

    /// Starts a transaction (on SQLite it takes the write lock at its first write: begin with a write, so
    /// that it waits for the lock rather than failing to upgrade a read).
    pub async fn begin(&self) -> sqlx::Result<Tx> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// On SQLite, waits for this process's turn to write (see `turns`), held until the guard is
    /// dropped; on PostgreSQL, which takes concurrent writers, nothing to wait for.
    pub async fn write_turn(&self) -> Option<tokio::sync::OwnedMutexGuard<()>> {
        match self {
            Db::Sqlite(pool) => Some(
                turns::write_turns(&pool.connect_options())
                    .lock_owned()
                    .await,
            ),
            Db::Postgres(_) => None,
        }
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

    /// A database URL that cannot be used is named in the error without its password.
    #[tokio::test]
    async fn connection_errors_hide_the_password() {
        for url in [
            "mysql://mailroom:hunter2-pw@db/mail",
            "postgres://mailroom:hunter2-pw@db:port/mail",
            "postgres://mailroom:hunter2/pw@127.0.0.1:1/mail",
        ] {
            let error = format!("{:#}", Db::connect(url).await.unwrap_err());
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("mailroom:***@"), "{error}");
        }
    }

    /// SQLite's memory statistics are off for every connection, the send writer's too: nothing counts
    /// the bytes that a database's work allocates.
    #[tokio::test]
    async fn sqlite_keeps_no_memory_statistics() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let mut sends = db.send_store().unwrap();
        let sent = sends.enqueue_emails(&[]).await.unwrap();
        assert!(sent.is_empty());
        // SAFETY: reads a counter.
        let used = unsafe { rusqlite::ffi::sqlite3_memory_used() };
        assert_eq!(used, 0, "SQLite counted {used} bytes in use");
        drop(sends);
        db.close().await;
    }

    /// A transaction's writes are stored by `commit` only: dropped, it leaves nothing.
    #[tokio::test]
    async fn transactions_commit_or_leave_nothing() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let mut tx = db.begin().await.unwrap();
        tx.insert_account("Dropped", "cl_dropped").await.unwrap();
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        let kept = tx.insert_account("Kept", "cl_kept").await.unwrap();
        tx.insert_audit(Some(kept.id), None, "test", "account.created", "")
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let (accounts, total) = db.search_accounts("", 10, 0).await.unwrap();
        assert_eq!(total, 1);
        assert_eq!(accounts[0].client_id, "cl_kept");
        assert_eq!(db.audit_of_account(kept.id, 10).await.unwrap().len(), 1);
        db.close().await;
    }

    #[test]
    fn escapes_like_wildcards() {
        assert_eq!(contains_pattern("Ac_me 100%"), "%ac\\_me 100\\%%");
    }

    /// Version 6 moves each email's first event into the email's row: a database of version 5 keeps its
    /// emails' first statuses (queued or suppressed) and later events, and loses only the first rows.
    #[tokio::test]
    async fn version_6_keeps_first_events_in_the_email() {
        // Like every connection of the process, after the library-wide settings.
        configure_sqlite_library();
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let all = sqlx::migrate!("migrations/sqlite");
        let mut up_to_5 = sqlx::migrate!("migrations/sqlite");
        up_to_5.migrations = all
            .migrations
            .iter()
            .filter(|m| m.version <= 5)
            .cloned()
            .collect::<Vec<_>>()
            .into();
        up_to_5.run(&pool).await.unwrap();
        sqlx::raw_sql(
            "INSERT INTO accounts (id, client_id, name, created_at) VALUES (1, 'cl', 'A', 0);
             INSERT INTO projects (id, account_id, name, created_at) VALUES (1, 1, 'P', 0);
             INSERT INTO email_types (id, project_id, name, category, subject, html_body, text_body,
               created_at, updated_at) VALUES (1, 1, 'T', 'trigger', 'S', 'H', 'H', 0, 0);
             INSERT INTO users (id, project_id, email, created_at, updated_at)
               VALUES (1, 1, 'a@example.com', 0, 0);
             INSERT INTO emails (id, message_id, project_id, user_id, type_id, category, data, meta,
               status, created_at, updated_at) VALUES
               (1, 'm1', 1, 1, 1, 'trigger', '{}', '{}', 'sent', 10, 30),
               (2, 'm2', 1, 1, 1, 'trigger', '{}', '{}', 'suppressed', 20, 20),
               (3, 'm3', 1, 1, 1, 'trigger', '{}', '{}', 'bounced', 25, 40);
             INSERT INTO email_events (email_id, status, detail, at) VALUES
               (1, 'queued', NULL, 10), (2, 'suppressed', NULL, 20), (3, 'suppressed', NULL, 25),
               (1, 'sent', '250 ok', 30), (3, 'bounced', 'late report', 40);",
        )
        .execute(&pool)
        .await
        .unwrap();
        all.run(&pool).await.unwrap();
        let emails: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, status, first_status FROM emails ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(
            emails,
            [
                (1, "sent".into(), "queued".into()),
                (2, "suppressed".into(), "suppressed".into()),
                (3, "bounced".into(), "suppressed".into()),
            ]
        );
        let events: Vec<(i64, String, Option<String>)> =
            sqlx::query_as("SELECT email_id, status, detail FROM email_events ORDER BY id")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(
            events,
            [
                (1, "sent".into(), Some("250 ok".into())),
                (3, "bounced".into(), Some("late report".into())),
            ]
        );
    }
}
