//! Storing sends: the send writer's store of batches (`SendStore`) and where its writers run.
//!
//! On SQLite the store is a connection of its own, used synchronously on the writer's own thread
//! (`sqlite`), with a checkpointer beside it (`checkpointer`); on PostgreSQL it is the pool
//! (`postgres`). What a batch takes and gives, and the steps of storing it that both share, are
//! `batch`'s. The modules depend one way: this one on the others, `sqlite` and `postgres` on `batch`
//! (and `sqlite` on `checkpointer`); none of them on `emails` (reads of stored emails).
use std::future::Future;

use sqlx::PgPool;

mod batch;
mod checkpointer;
mod postgres;
mod sqlite;

use batch::IDEMPOTENCY_WINDOW_MS;
pub use batch::{EnqueueOutcome, Enqueued, IdempotencyKey, NewEmail};
use sqlite::SqliteSends;

use super::{Db, now_ms, with_pool};

/// The first answer to an idempotent request, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub message_id: String,
    pub user_created: bool,
}

/// Where the send writer stores its batches of sends: on SQLite a connection of its own, used
/// synchronously (on the writer's own thread); on PostgreSQL the pool.
pub enum SendStore {
    Sqlite(Box<SqliteSends>),
    Postgres(PgPool),
}

impl SendStore {
    /// Stores a batch of emails in one transaction (a group commit): creates or updates their users,
    /// stores each email with its first status (its first event) and records the Idempotency-Keys. When
    /// this returns, every email of the batch is durable. The outcomes are in the order of `batch`.
    /// Emails of unsubscribed or suppressed users are recorded as `suppressed`.
    pub async fn enqueue_emails(
        &mut self,
        batch: &[NewEmail],
    ) -> anyhow::Result<Vec<EnqueueOutcome>> {
        match self {
            SendStore::Sqlite(sends) => {
                let turns = sends.turns.clone();
                let _turn = turns.lock().await;
                sends.enqueue_emails(batch)
            }
            SendStore::Postgres(pool) => Ok(postgres::enqueue_emails(pool, batch).await?),
        }
    }

    /// Starts the send writers over this store, each running `writer(store, own_thread)`: the loop of
    /// one writer, given its store and whether it runs on a thread of its own.
    ///
    /// SQLite has one writer at a time, so one writer. Its connection is used synchronously, so it runs
    /// on a thread of its own (with a runtime of its own): every send waits for it, and as one more task
    /// on the runtime's threads it would queue behind the request handlers, and the whole process would
    /// wait with it. PostgreSQL takes concurrent transactions and spends much of a commit waiting for its
    /// flush, so two writers, tasks on the caller's runtime, each take a batch: while one waits, the
    /// other commits. (More writers split the waiting requests into smaller batches.)
    pub fn spawn_writers<W, F>(self, writer: W) -> anyhow::Result<()>
    where
        W: Fn(SendStore, bool) -> F + Send + 'static,
        F: Future<Output = ()> + Send + 'static,
    {
        match &self {
            SendStore::Sqlite(_) => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                std::thread::Builder::new()
                    .name("send-writer".into())
                    .spawn(move || runtime.block_on(writer(self, true)))?;
            }
            SendStore::Postgres(pool) => {
                let second = SendStore::Postgres(pool.clone());
                tokio::spawn(writer(self, false));
                tokio::spawn(writer(second, false));
            }
        }
        Ok(())
    }
}

impl Db {
    /// A store of batches of sends for the send writer (see `SendStore`).
    pub fn send_store(&self) -> anyhow::Result<SendStore> {
        Ok(match self {
            Db::Sqlite(pool) => {
                SendStore::Sqlite(Box::new(SqliteSends::open(&pool.connect_options())?))
            }
            Db::Postgres(pool) => SendStore::Postgres(pool.clone()),
        })
    }

    /// The live record of an Idempotency-Key of the account, if any.
    pub async fn idempotency_record(
        &self,
        account_id: i64,
        key: &str,
    ) -> sqlx::Result<Option<IdempotencyRecord>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT request_hash, message_id, user_created <> 0 AS user_created FROM idempotency_keys
                 WHERE account_id = $1 AND key = $2 AND created_at >= $3",
            )
            .bind(account_id)
            .bind(key)
            .bind(now_ms() - IDEMPOTENCY_WINDOW_MS)
            .fetch_optional(pool)
            .await
        })
    }
}
