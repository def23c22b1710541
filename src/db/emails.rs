use super::{
    Db, now_ms,
    users::{UPDATE_USER_SQL, bind_params},
    with_pool,
};
use crate::domain::UserParams;

/// An email to enqueue: already validated, the address normalized.
pub struct NewEmail<'a> {
    pub message_id: &'a str,
    pub project_id: i64,
    pub type_id: i64,
    pub category: &'a str,
    pub email: &'a str,
    pub params: &'a UserParams,
    pub data: &'a str,
    pub meta: &'a str,
    /// Recorded in the same transaction, so that a repeat of the request finds it.
    pub idempotency: Option<IdempotencyKey<'a>>,
}

/// An `Idempotency-Key` of an account's request, with the hash of the request body.
#[derive(Clone, Copy)]
pub struct IdempotencyKey<'a> {
    pub account_id: i64,
    pub key: &'a str,
    pub request_hash: &'a str,
}

/// The first answer to an idempotent request, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdempotencyRecord {
    pub request_hash: String,
    pub message_id: String,
    pub user_created: bool,
}

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The outcome of `enqueue_email`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnqueueOutcome {
    Stored(Enqueued),
    /// Another request with the same Idempotency-Key was stored first; nothing was written.
    KeyTaken,
}

/// What enqueuing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueued {
    pub user_id: i64,
    pub user_created: bool,
    pub status: &'static str,
}

/// An email as stored, with its current status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EmailRow {
    pub id: i64,
    pub message_id: String,
    pub project_id: i64,
    pub user_id: i64,
    pub email: String,
    pub type_id: i64,
    pub category: String,
    pub data: String,
    pub meta: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One status change of an email.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub status: String,
    pub detail: Option<String>,
    pub at: i64,
}

impl Db {
    /// The email type's category, if the type belongs to the project.
    pub async fn email_type_category(
        &self,
        project_id: i64,
        type_id: i64,
    ) -> sqlx::Result<Option<String>> {
        with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT category FROM email_types WHERE id = $1 AND project_id = $2")
                .bind(type_id)
                .bind(project_id)
                .fetch_optional(pool)
                .await
        })
    }

    /// Creates or updates the user and stores the email with its first event, in one transaction: when this
    /// returns, the email is durable. Unsubscribed users get the email recorded as `suppressed`.
    pub async fn enqueue_email(&self, email: &NewEmail<'_>) -> sqlx::Result<EnqueueOutcome> {
        let now = now_ms();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO users (project_id, email, created_at, updated_at) VALUES ($1, $2, $3, $3)
                 ON CONFLICT (project_id, email) DO NOTHING RETURNING id",
            )
            .bind(email.project_id)
            .bind(email.email)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let (user_id, subscribed): (i64, bool) = sqlx::query_as(
                "SELECT id, subscribed <> 0 FROM users WHERE project_id = $1 AND email = $2",
            )
            .bind(email.project_id)
            .bind(email.email)
            .fetch_one(&mut *tx)
            .await?;
            if !email.params.is_empty() {
                bind_params!(
                    sqlx::query(UPDATE_USER_SQL).bind(user_id).bind(now),
                    email.params
                )
                .execute(&mut *tx)
                .await?;
            }
            let status = if subscribed { "queued" } else { "suppressed" };
            let email_id: i64 = sqlx::query_scalar(
                "INSERT INTO emails (message_id, project_id, user_id, type_id, category, data, meta, status,
                   next_attempt_at, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9) RETURNING id",
            )
            .bind(email.message_id)
            .bind(email.project_id)
            .bind(user_id)
            .bind(email.type_id)
            .bind(email.category)
            .bind(email.data)
            .bind(email.meta)
            .bind(status)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("INSERT INTO email_events (email_id, status, at) VALUES ($1, $2, $3)")
                .bind(email_id)
                .bind(status)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if let Some(idem) = email.idempotency {
                // An expired record of the same key is replaced; a live one means a concurrent repeat won.
                let recorded = sqlx::query(
                    "INSERT INTO idempotency_keys (account_id, key, request_hash, message_id, user_created, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
                       message_id = excluded.message_id, user_created = excluded.user_created,
                       created_at = excluded.created_at
                     WHERE idempotency_keys.created_at < $7",
                )
                .bind(idem.account_id)
                .bind(idem.key)
                .bind(idem.request_hash)
                .bind(email.message_id)
                .bind(i64::from(inserted.is_some()))
                .bind(now)
                .bind(now - IDEMPOTENCY_WINDOW_MS)
                .execute(&mut *tx)
                .await?;
                if recorded.rows_affected() == 0 {
                    return Ok(EnqueueOutcome::KeyTaken);
                }
            }
            tx.commit().await?;
            Ok(EnqueueOutcome::Stored(Enqueued {
                user_id,
                user_created: inserted.is_some(),
                status,
            }))
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

    /// An email of one of the account's projects, by message id.
    pub async fn email_of_account(
        &self,
        account_id: i64,
        message_id: &str,
    ) -> sqlx::Result<Option<EmailRow>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT e.id, e.message_id, e.project_id, e.user_id, u.email, e.type_id, e.category, e.data, e.meta,
                   e.status, e.created_at, e.updated_at
                 FROM emails e JOIN projects p ON p.id = e.project_id JOIN users u ON u.id = e.user_id
                 WHERE e.message_id = $1 AND p.account_id = $2",
            )
            .bind(message_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// The events of an email, oldest first.
    pub async fn email_events(&self, email_id: i64) -> sqlx::Result<Vec<EventRow>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT status, detail, at FROM email_events WHERE email_id = $1 ORDER BY id",
            )
            .bind(email_id)
            .fetch_all(pool)
            .await
        })
    }

    /// The message ids of all stored emails (for tests and audits of durability).
    pub async fn all_message_ids(&self) -> sqlx::Result<Vec<String>> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT message_id FROM emails ORDER BY id"
        )
        .fetch_all(pool)
        .await)
    }
}
