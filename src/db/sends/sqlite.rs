//! The SQLite side of storing sends: a connection of its own, used synchronously on the send writer's
//! thread.
//!
//! sqlx runs each SQLite statement on a worker thread of the connection: the caller hands the statement
//! over and waits for the rows to be handed back. A batch of sends takes several statements, and under
//! load each hand-over waited for a busy core, so the chain writer → SQLite → writer, not the CPU, bounded
//! how many sends a second were stored. The send writer owns a thread anyway, so it runs SQLite there:
//! the same SQL (the same `$n` parameters, read as SQLite's `?n`), without a hand-over per statement.
use std::{
    collections::HashMap,
    sync::{
        Arc, LazyLock,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::Duration,
};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags, OptionalExtension, ToSql, params};
use sqlx::sqlite::SqliteConnectOptions;

use super::{
    batch::{
        BatchUser, EnqueueOutcome, IDEMPOTENCY_CLAIM_SQL, IDEMPOTENCY_USER_CREATED_SQL,
        IDEMPOTENCY_WINDOW_MS, NewEmail, keys_of_created_users, place_emails, wanted_users,
    },
    checkpointer::{Checkpointer, passive_checkpoint},
};
use crate::db::turns::{WriteTurns, write_turns};
use crate::db::{
    now_ms,
    users::{UPDATE_USER_SQL, param_columns},
};
use crate::domain::UserParams;
#[cfg(test)]
use crate::domain::random_token;

/// `sql` with its `$n` parameters written as `?n` (SQLite reads `$n` as a name and numbers names in
/// order of appearance; `?n` is parameter n). The SQL of this module has no `$` in string literals.
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

static IDEMPOTENCY_CLAIM: LazyLock<String> = LazyLock::new(|| numbered(IDEMPOTENCY_CLAIM_SQL));
static IDEMPOTENCY_USER_CREATED: LazyLock<String> =
    LazyLock::new(|| numbered(IDEMPOTENCY_USER_CREATED_SQL));
static UPDATE_USER: LazyLock<String> = LazyLock::new(|| numbered(&UPDATE_USER_SQL));

/// `?1` project, `?2` email. The parameters from column 2 on (`UserParams::from_sqlite_row`).
static SELECT_USER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT id, subscribed <> 0 AND suppressed_reason IS NULL, {}
        FROM users WHERE project_id = ?1 AND email = ?2",
        param_columns("")
    )
});

/// `?1` project, `?2` email, then the parameters (`UserParams::sqlite_values`), then now.
static INSERT_USER: LazyLock<String> = LazyLock::new(|| {
    let params: Vec<String> = (3..3 + UserParams::COUNT)
        .map(|n| format!("?{n}"))
        .collect();
    let now = 3 + UserParams::COUNT;
    format!(
        "INSERT INTO users (project_id, email, {}, created_at, updated_at)
        VALUES (?1, ?2, {}, ?{now}, ?{now})
        RETURNING id, subscribed <> 0 AND suppressed_reason IS NULL",
        param_columns(""),
        params.join(", ")
    )
});

/// Most emails in one INSERT. A batch's emails go to SQLite as one multi-row statement per 512 (padded
/// with NULL rows to 4, 16, 64, 256 or 512 rows, so that five prepared statements serve every batch size):
/// one statement, not one per email, as each statement has its fixed costs.
///
/// The statement is `INSERT OR ROLLBACK`: a statement that can fail half-way (a duplicate message id)
/// would otherwise save each page it changes in a statement journal, to undo its own rows alone; here a
/// failure rolls the whole batch back, and `write_batches` then stores the batch's sends one by one.
const EMAILS_CHUNK: usize = 512;
const SIZE_CLASSES: [usize; 5] = [4, 16, 64, 256, EMAILS_CHUNK];
const EMAIL_COLUMNS: usize = 8;

/// `?1` is now; then rows of (message_id, project_id, user_id, type_id, category, data, meta, status),
/// parameters 2, 3, …; rows whose message id is NULL are padding. The status an email is stored with is
/// also its first status, which stands for its first event (see migration 0006): no row of
/// `email_events` is written per email.
static INSERT_EMAILS: LazyLock<[String; 5]> = LazyLock::new(|| {
    let row = format!("({})", ["?"; EMAIL_COLUMNS].join(", "));
    SIZE_CLASSES.map(|size| {
        format!(
            "INSERT OR ROLLBACK INTO emails (message_id, project_id, user_id, type_id, category, data, meta,
               status, first_status, next_attempt_at, created_at, updated_at)
             SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7,
               v.column8, v.column8, ?1, ?1, ?1
             FROM (VALUES {}) AS v WHERE v.column1 IS NOT NULL",
            vec![row.as_str(); size].join(", ")
        )
    })
});

/// The send writer's SQLite connection.
pub struct SqliteSends {
    conn: Connection,
    /// Taken around each batch: the writer takes turns with the campaign importer (see `turns`).
    pub(super) turns: WriteTurns,
    /// Set by the checkpointer when the WAL should start over (see `Checkpointer`); `None` in memory.
    restart_wal: Option<Arc<AtomicBool>>,
    /// Dropped with the writer: the checkpointer's thread then ends.
    _checkpointer: Option<mpsc::Sender<()>>,
}

impl SqliteSends {
    /// Opens the database of `options` with the settings of the pool's connections, and for a database
    /// file starts its checkpointer.
    pub(super) fn open(options: &SqliteConnectOptions) -> anyhow::Result<SqliteSends> {
        let (sends, checkpointer) = Self::open_without_checkpoints(options)?;
        let Some(checkpointer) = checkpointer else {
            return Ok(sends);
        };
        Ok(SqliteSends {
            _checkpointer: Some(checkpointer.spawn()?),
            ..sends
        })
    }

    /// The writer's connection and, for a database file, its checkpointer (not yet running).
    fn open_without_checkpoints(
        options: &SqliteConnectOptions,
    ) -> anyhow::Result<(SqliteSends, Option<Checkpointer>)> {
        let filename = options.get_filename().to_string_lossy().into_owned();
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // sqlx names an in-memory database `file:sqlx-in-memory-N` and shares it between connections.
        let in_memory = filename.starts_with("file:");
        if in_memory {
            flags |= OpenFlags::SQLITE_OPEN_MEMORY | OpenFlags::SQLITE_OPEN_SHARED_CACHE;
        }
        let open = || {
            let conn = Connection::open_with_flags(&filename, flags).with_context(|| {
                format!("cannot open SQLite database {filename:?} for the send writer")
            })?;
            conn.busy_timeout(Duration::from_secs(10))?;
            // Checkpoints are the checkpointer's (the default would run them inside the writer's commits).
            // The page cache has a price at each commit that grows with it: while SQLite (3.46)
            // rebalances a B-tree it gives a page the lock-byte page's number for a moment (262,145 with
            // 4 KiB pages), so a commit after an index split scans the cache's whole hash table
            // (pcache1TruncateUnsafe). 4 MiB trades that fixed cost per commit for a few more page
            // reads (profiles of 2, 4 and 16 MiB in end2end/bench/RESULTS.md).
            conn.execute_batch(
                "PRAGMA synchronous = NORMAL; PRAGMA temp_store = memory; PRAGMA cache_size = -4096;
                 PRAGMA wal_autocheckpoint = 0;",
            )?;
            anyhow::Ok(conn)
        };
        let conn = open()?;
        // The writer's rows refer only to rows that exist: the project and email type were checked
        // before the send was queued (neither is ever deleted, as a test checks:
        // `projects_and_email_types_are_never_deleted`), and the user was found or created in the same
        // transaction. So the writer skips SQLite's foreign-key lookups (three per email); every other
        // connection, and PostgreSQL, still enforce them.
        conn.execute_batch("PRAGMA foreign_keys = OFF;")?;
        conn.set_prepared_statement_cache_capacity(16);
        let mut sends = SqliteSends {
            conn,
            turns: write_turns(options),
            restart_wal: None,
            _checkpointer: None,
        };
        if in_memory {
            return Ok((sends, None));
        }
        let restart_wal = Arc::new(AtomicBool::new(false));
        sends.restart_wal = Some(restart_wal.clone());
        let checkpointer = Checkpointer::new(open()?, restart_wal);
        Ok((sends, Some(checkpointer)))
    }

    /// Stores a batch of emails in one transaction, as `postgres::enqueue_emails` does on PostgreSQL: creates or
    /// updates their users, stores each email with its first status, records the Idempotency-Keys. When
    /// this returns, every email of the batch is durable. The outcomes are in the order of `batch`.
    pub fn enqueue_emails(&mut self, batch: &[NewEmail]) -> anyhow::Result<Vec<EnqueueOutcome>> {
        if let Some(restart_wal) = &self.restart_wal
            && restart_wal.load(Ordering::Relaxed)
        {
            // The checkpointer has copied all but the last pages: copying those here, with no write in
            // between, lets this batch's transaction start the WAL over. Once per request of the
            // checkpointer: if a reader holds the WAL's end back, the checkpointer asks again later.
            restart_wal.store(false, Ordering::Relaxed);
            passive_checkpoint(&self.conn)?;
        }
        // The write lock from the start: the batch reads before it writes, and a read transaction that
        // another connection wrote after could not become a write transaction. BEGIN and COMMIT are
        // prepared once, like every statement of the batch.
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        let written = write_batch(&self.conn, batch).and_then(|outcomes| {
            Ok(self
                .conn
                .prepare_cached("COMMIT")?
                .execute([])
                .map(|_| outcomes)?)
        });
        if written.is_err()
            && !self.conn.is_autocommit()
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::error!(error = %e, "the send writer could not roll back a failed batch");
        }
        written
    }
}

/// The statements of `SqliteSends::enqueue_emails` inside its transaction.
fn write_batch(tx: &Connection, batch: &[NewEmail]) -> anyhow::Result<Vec<EnqueueOutcome>> {
    let now = now_ms();
    // 1. Idempotency-Keys first: a request whose key is live writes nothing else.
    let mut live = vec![true; batch.len()];
    for (email, live) in batch.iter().zip(live.iter_mut()) {
        if let Some(idem) = &email.idempotency {
            let mut claim = tx.prepare_cached(&IDEMPOTENCY_CLAIM)?;
            let claimed = claim.execute(params![
                idem.account_id,
                idem.key,
                idem.request_hash,
                email.message_id,
                now,
                now - IDEMPOTENCY_WINDOW_MS
            ])?;
            *live = claimed > 0;
        }
    }

    // 2. Users: each (project, email) once, found or created; those found get the parameters that
    //    differ. The write lock is held, so a user not found is created here.
    let mut users: HashMap<(i64, &str), BatchUser> = HashMap::new();
    {
        let mut select = tx.prepare_cached(&SELECT_USER)?;
        for ((project_id, email), params) in wanted_users(batch, &live) {
            let found = select
                .query_row(params![project_id, email], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, bool>(1)?,
                        UserParams::from_sqlite_row(row, 2)?,
                    ))
                })
                .optional()?;
            let user = match found {
                Some((id, sendable, stored)) => {
                    if params.would_change(&stored) {
                        let mut values: Vec<&dyn ToSql> = vec![&id, &now];
                        values.extend(params.sqlite_values());
                        tx.prepare_cached(&UPDATE_USER)?
                            .execute(values.as_slice())?;
                    }
                    BatchUser {
                        id,
                        sendable,
                        created: false,
                    }
                }
                None => {
                    let mut values: Vec<&dyn ToSql> = vec![&project_id, &email];
                    values.extend(params.sqlite_values());
                    values.push(&now);
                    let (id, sendable) = tx
                        .prepare_cached(&INSERT_USER)?
                        .query_row(values.as_slice(), |row| {
                            Ok((row.get::<_, i64>(0)?, row.get::<_, bool>(1)?))
                        })?;
                    BatchUser {
                        id,
                        sendable,
                        created: true,
                    }
                }
            };
            users.insert((project_id, email), user);
        }
    }

    // 3. The emails (each with its first status).
    let (outcomes, rows) = place_emails(batch, &live, &mut users)
        .context("a send's user was neither found nor created")?;
    for chunk in rows.chunks(EMAILS_CHUNK) {
        let class = SIZE_CLASSES
            .iter()
            .position(|&size| chunk.len() <= size)
            .unwrap_or(SIZE_CLASSES.len() - 1);
        let mut insert = tx.prepare_cached(&INSERT_EMAILS[class])?;
        insert.raw_bind_parameter(1, now)?;
        for (i, row) in chunk.iter().enumerate() {
            let at = 2 + i * EMAIL_COLUMNS;
            insert.raw_bind_parameter(at, &row.email.message_id)?;
            insert.raw_bind_parameter(at + 1, row.email.project_id)?;
            insert.raw_bind_parameter(at + 2, row.user_id)?;
            insert.raw_bind_parameter(at + 3, row.email.type_id)?;
            insert.raw_bind_parameter(at + 4, &row.email.category)?;
            insert.raw_bind_parameter(at + 5, &row.email.data)?;
            insert.raw_bind_parameter(at + 6, &row.email.meta)?;
            insert.raw_bind_parameter(at + 7, row.status)?;
        }
        // Padding rows: a NULL message id (the other columns keep earlier values and are skipped).
        for i in chunk.len()..SIZE_CLASSES[class] {
            insert.raw_bind_parameter(2 + i * EMAIL_COLUMNS, rusqlite::types::Null)?;
        }
        let inserted = insert.raw_execute()?;
        anyhow::ensure!(
            inserted == chunk.len(),
            "{inserted} of {} emails inserted",
            chunk.len()
        );
    }

    // 4. Idempotency records of the sends that created their user say so (for the replay).
    for idem in keys_of_created_users(batch, &outcomes) {
        tx.prepare_cached(&IDEMPOTENCY_USER_CREATED)?
            .execute(params![idem.account_id, idem.key])?;
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn email(n: usize) -> NewEmail {
        NewEmail {
            message_id: format!("msg_test{n:08}"),
            project_id: 1,
            type_id: 1,
            category: "trigger".into(),
            email: format!("user{}@example.com", n % 50),
            params: UserParams::default(),
            data: "{}".into(),
            meta: "{}".into(),
            idempotency: None,
        }
    }

    /// The writer never checkpoints by itself (the WAL grows past SQLite's default of 1,000 pages);
    /// after the checkpointer's pass over a long WAL, the writer's next batch starts the WAL over and
    /// takes the checkpointer's request as done. Every email is stored once, with its first status
    /// and no row of `email_events`.
    #[tokio::test]
    async fn the_wal_starts_over_when_the_checkpointer_asks() {
        let dir = std::env::temp_dir().join(format!("mailroom-wal-{}", random_token(8)));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("m.db").display());
        let db = Db::connect(&url).await.unwrap();
        db.migrate().await.unwrap();
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        let (mut sends, checkpointer) =
            SqliteSends::open_without_checkpoints(&pool.connect_options()).unwrap();
        let mut checkpointer = checkpointer.expect("a database file has a checkpointer");
        checkpointer.restart_frames = 64;
        // The WAL header's salts change each time the WAL starts over; its file never shrinks.
        let wal = dir.join("m.db-wal");
        let salts = || std::fs::read(&wal).unwrap()[16..24].to_vec();
        let frames = || (std::fs::metadata(&wal).unwrap().len() - 32) / (4096 + 24);
        let mut n = 0;
        let mut batch = |sends: &mut SqliteSends| {
            let emails: Vec<NewEmail> = (n..n + 20).map(email).collect();
            n += emails.len();
            sends.enqueue_emails(&emails).unwrap();
        };
        batch(&mut sends);
        let first = salts();
        for _ in 0..400 {
            batch(&mut sends);
        }
        assert_eq!(salts(), first, "nothing started the WAL over");
        assert!(frames() > 1_200, "{} WAL frames", frames());

        assert!(checkpointer.checkpoint().unwrap(), "the pass copied pages");
        assert!(sends.restart_wal.as_ref().unwrap().load(Ordering::Relaxed));
        assert!(
            !checkpointer.checkpoint().unwrap(),
            "a pass with nothing new to copy syncs nothing"
        );
        batch(&mut sends);
        assert_ne!(salts(), first, "the WAL started over");
        assert!(!sends.restart_wal.as_ref().unwrap().load(Ordering::Relaxed));
        let n = n as i64;
        let (emails, queued, message_ids, events): (i64, i64, i64, i64) = sends
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM emails),
                   (SELECT count(*) FROM emails WHERE status = 'queued' AND first_status = 'queued'),
                   (SELECT count(DISTINCT message_id) FROM emails),
                   (SELECT count(*) FROM email_events)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .unwrap();
        assert_eq!((emails, queued, message_ids, events), (n, n, n, 0));
        drop(sends);
        db.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The writer's rows, written with foreign keys off, refer only to rows that exist: SQLite's own check
    /// finds nothing amiss (the pool's connections enforce foreign keys; the writer's does not).
    #[tokio::test]
    async fn the_writers_rows_keep_the_foreign_keys_it_does_not_check() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        sqlx::raw_sql(
            "INSERT INTO accounts (id, client_id, name, created_at) VALUES (1, 'cl', 'A', 0);
             INSERT INTO projects (id, account_id, name, created_at) VALUES (1, 1, 'P', 0);
             INSERT INTO email_types (id, project_id, name, category, subject, html_body, text_body,
               created_at, updated_at) VALUES (1, 1, 'T', 'trigger', 'S', 'H', 'H', 0, 0);",
        )
        .execute(pool)
        .await
        .unwrap();
        let mut sends = SqliteSends::open(&pool.connect_options()).unwrap();
        let emails: Vec<NewEmail> = (0..120).map(email).collect();
        sends.enqueue_emails(&emails).unwrap();
        // A known user again (found, not created).
        let mut again = email(0);
        again.message_id = "msg_again".into();
        sends.enqueue_emails(&[again]).unwrap();
        let enforced: bool = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .unwrap();
        let writer_enforces: bool = sends
            .conn
            .query_row("PRAGMA foreign_keys", [], |row| row.get(0))
            .unwrap();
        assert!(enforced && !writer_enforces);
        let (emails, users): (i64, i64) = sends
            .conn
            .query_row(
                "SELECT (SELECT count(*) FROM emails), (SELECT count(*) FROM users)",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((emails, users), (121, 50));
        let violations: Vec<(String, i64, String)> = sends
            .conn
            .prepare("PRAGMA foreign_key_check")
            .unwrap()
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(violations, []);
        drop(sends);
        db.close().await;
    }

    /// The writer's premise (see `open_without_checkpoints`): projects and email types are never deleted,
    /// so a send checked against them still refers to rows that exist when the writer stores it. No
    /// migration and no source file deletes, drops or truncates either table, and neither table's
    /// foreign keys cascade a deletion into it (from its account or project). A migration that rebuilds
    /// one of them (SQLite's create, copy, drop, rename) must keep every row: check it, then let it pass
    /// here.
    #[test]
    fn projects_and_email_types_are_never_deleted() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    files(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        /// Lowercase, without quotes, brackets or backslashes, whitespace runs as one space: SQL as
        /// written in a migration or in a Rust string, however quoted and wrapped.
        fn normalized(text: &str) -> String {
            let text = text.to_lowercase().replace(['"', '`', '[', ']', '\\'], "");
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        }
        /// Whether `text` has `phrase` followed by the end of a name.
        fn names(text: &str, phrase: &str) -> bool {
            text.match_indices(phrase).any(|(at, _)| {
                !text[at + phrase.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
            })
        }

        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut migrations = Vec::new();
        files(&root.join("migrations"), &mut migrations);
        let mut sources = Vec::new();
        files(&root.join("src"), &mut sources);
        for dialect in ["sqlite", "postgres"] {
            let sql = migrations
                .iter()
                .filter(|p| p.parent().unwrap().ends_with(dialect))
                .count();
            assert!(sql >= 6, "{sql} migrations of {dialect} found");
        }
        assert!(sources.iter().any(|p| p.ends_with("db/projects.rs")));

        let mut found = Vec::new();
        for path in migrations.iter().chain(&sources) {
            let text = normalized(&String::from_utf8_lossy(&std::fs::read(path).unwrap()));
            for table in ["projects", "email_types"] {
                for verb in [
                    "delete from",
                    "drop table",
                    "drop table if exists",
                    "truncate",
                    "truncate table",
                ] {
                    if names(&text, &format!("{verb} {table}")) {
                        found.push(format!("{}: {verb} {table}", path.display()));
                    }
                }
                // A foreign key of the table's own that cascades a deletion into it.
                let cascades = text.split(';').any(|statement| {
                    ["create table", "create table if not exists", "alter table"]
                        .iter()
                        .any(|verb| names(statement, &format!("{verb} {table}")))
                        && statement.contains("on delete cascade")
                });
                if cascades {
                    found.push(format!(
                        "{}: cascading deletes into {table}",
                        path.display()
                    ));
                }
            }
        }
        assert!(
            found.is_empty(),
            "the SQLite send writer checks no foreign keys on the premise that projects and email \
             types are never deleted; found {found:#?}"
        );
    }

    #[test]
    fn numbered_parameters_keep_their_numbers() {
        assert_eq!(
            numbered("UPDATE t SET a = COALESCE($3, a) WHERE id = $1 AND b = $12"),
            "UPDATE t SET a = COALESCE(?3, a) WHERE id = ?1 AND b = ?12"
        );
    }
}
