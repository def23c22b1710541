use std::collections::{BTreeMap, HashMap};

use sqlx::QueryBuilder;

use super::{
    Db, now_ms,
    users::{UPDATE_USER_SQL, bind_params},
    with_pool,
};
use crate::domain::UserParams;

/// An email to enqueue: already validated, the address normalized.
#[derive(Debug, Clone)]
pub struct NewEmail {
    pub message_id: String,
    pub project_id: i64,
    pub type_id: i64,
    pub category: String,
    pub email: String,
    pub params: UserParams,
    /// The send's `data` and `meta` objects, serialized.
    pub data: String,
    pub meta: String,
    /// Recorded in the same transaction, so that a repeat of the request finds it.
    pub idempotency: Option<IdempotencyKey>,
}

/// An `Idempotency-Key` of an account's request, with the hash of the request body.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub account_id: i64,
    pub key: String,
    pub request_hash: String,
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

/// Rows per multi-row statement (well under either database's limit of bound parameters).
const ROWS_PER_STATEMENT: usize = 500;

/// A user as the enqueuing transaction reads it.
#[derive(sqlx::FromRow)]
struct StoredUser {
    id: i64,
    email: String,
    subscribed: bool,
    name: Option<String>,
    gender: Option<String>,
    platform_id: Option<i64>,
    country_id: Option<String>,
    list_id: Option<i64>,
    client_user_id: Option<String>,
    ak: Option<String>,
    age: Option<i64>,
    photo: Option<String>,
    language_id: Option<String>,
}

impl StoredUser {
    fn params(&self) -> UserParams {
        UserParams {
            name: self.name.clone(),
            gender: self.gender.clone(),
            platform_id: self.platform_id,
            country_id: self.country_id.clone(),
            list_id: self.list_id,
            client_user_id: self.client_user_id.clone(),
            ak: self.ak.clone(),
            age: self.age,
            photo: self.photo.clone(),
            language_id: self.language_id.clone(),
        }
    }
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

    /// Stores a batch of emails in one transaction (a group commit): creates or updates their users, stores
    /// each email with its first event and records the Idempotency-Keys. When this returns, every email
    /// of the batch is durable. The outcomes are in the order of `batch`. Emails of unsubscribed users are
    /// recorded as `suppressed`.
    pub async fn enqueue_emails(&self, batch: &[NewEmail]) -> sqlx::Result<Vec<EnqueueOutcome>> {
        let now = now_ms();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // 1. Idempotency-Keys first: a request whose key is live already writes nothing. An expired
            //    record of the same key is replaced. `user_created` is set in step 4.
            let mut live = vec![true; batch.len()];
            for (email, live) in batch.iter().zip(live.iter_mut()) {
                if let Some(idem) = &email.idempotency {
                    let recorded = sqlx::query(
                        "INSERT INTO idempotency_keys (account_id, key, request_hash, message_id, user_created, created_at)
                         VALUES ($1, $2, $3, $4, 0, $5)
                         ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
                           message_id = excluded.message_id, user_created = 0, created_at = excluded.created_at
                         WHERE idempotency_keys.created_at < $6",
                    )
                    .bind(idem.account_id)
                    .bind(&idem.key)
                    .bind(&idem.request_hash)
                    .bind(&email.message_id)
                    .bind(now)
                    .bind(now - IDEMPOTENCY_WINDOW_MS)
                    .execute(&mut *tx)
                    .await?;
                    *live = recorded.rows_affected() > 0;
                }
            }
            let sends = || batch.iter().zip(&live).filter(|(_, l)| **l).map(|(e, _)| e);

            // 2. Users: each (project, email) once, with the parameters of its sends merged in order. The
            //    sorted order keeps lock order the same in every process.
            let mut wanted: BTreeMap<(i64, &str), UserParams> = BTreeMap::new();
            for email in sends() {
                wanted
                    .entry((email.project_id, email.email.as_str()))
                    .and_modify(|p| *p = p.merged_with(&email.params))
                    .or_insert_with(|| email.params.clone());
            }
            let wanted: Vec<_> = wanted.into_iter().collect();
            let mut created: HashMap<(i64, String), ()> = HashMap::new();
            for chunk in wanted.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO users (project_id, email, name, gender, platform_id, country_id, list_id,
                       client_user_id, ak, age, photo, language_id, created_at, updated_at) ",
                );
                insert.push_values(chunk, |mut row, ((project_id, email), p)| {
                    row.push_bind(*project_id)
                        .push_bind(*email)
                        .push_bind(p.name.as_deref())
                        .push_bind(p.gender.as_deref())
                        .push_bind(p.platform_id)
                        .push_bind(p.country_id.as_deref())
                        .push_bind(p.list_id)
                        .push_bind(p.client_user_id.as_deref())
                        .push_bind(p.ak.as_deref())
                        .push_bind(p.age)
                        .push_bind(p.photo.as_deref())
                        .push_bind(p.language_id.as_deref())
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.push(
                    " ON CONFLICT (project_id, email) DO NOTHING RETURNING project_id, email",
                );
                let rows: Vec<(i64, String)> = insert.build_query_as().fetch_all(&mut *tx).await?;
                created.extend(rows.into_iter().map(|key| (key, ())));
            }
            let mut stored: HashMap<(i64, String), StoredUser> =
                HashMap::with_capacity(wanted.len());
            for chunk in wanted.chunk_by(|a, b| a.0.0 == b.0.0) {
                for chunk in chunk.chunks(ROWS_PER_STATEMENT) {
                    let mut select = QueryBuilder::new(
                        "SELECT id, email, (subscribed <> 0 AND suppressed_reason IS NULL) AS subscribed, name, gender, platform_id, country_id,
                           list_id, client_user_id, ak, age, photo, language_id FROM users WHERE project_id = ",
                    );
                    select.push_bind(chunk[0].0.0).push(" AND email IN (");
                    let mut list = select.separated(", ");
                    for ((_, email), _) in chunk {
                        list.push_bind(*email);
                    }
                    select.push(")");
                    let rows: Vec<StoredUser> = select.build_query_as().fetch_all(&mut *tx).await?;
                    stored.extend(
                        rows.into_iter()
                            .map(|u| ((chunk[0].0.0, u.email.clone()), u)),
                    );
                }
            }
            //    Users that existed get the parameters that differ.
            for ((project_id, email), params) in &wanted {
                let key = (*project_id, (*email).to_owned());
                let user = stored.get(&key).ok_or(sqlx::Error::RowNotFound)?;
                if !created.contains_key(&key) && params.would_change(&user.params()) {
                    bind_params!(sqlx::query(UPDATE_USER_SQL).bind(user.id).bind(now), params)
                        .execute(&mut *tx)
                        .await?;
                }
            }

            // 3. The emails and their first events.
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut rows = Vec::with_capacity(batch.len());
            for (email, live) in batch.iter().zip(&live) {
                if !*live {
                    outcomes.push(EnqueueOutcome::KeyTaken);
                    continue;
                }
                let key = (email.project_id, email.email.clone());
                let user = &stored[&key];
                // Only the first send to a new user created it.
                let user_created = created.remove(&key).is_some();
                let status = if user.subscribed {
                    "queued"
                } else {
                    "suppressed"
                };
                rows.push((email, user.id, status));
                outcomes.push(EnqueueOutcome::Stored(Enqueued {
                    user_id: user.id,
                    user_created,
                    status,
                }));
            }
            let mut ids: HashMap<String, i64> = HashMap::with_capacity(rows.len());
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO emails (message_id, project_id, user_id, type_id, category, data, meta, status,
                       next_attempt_at, created_at, updated_at) ",
                );
                insert.push_values(chunk, |mut row, (email, user_id, status)| {
                    row.push_bind(email.message_id.as_str())
                        .push_bind(email.project_id)
                        .push_bind(*user_id)
                        .push_bind(email.type_id)
                        .push_bind(email.category.as_str())
                        .push_bind(email.data.as_str())
                        .push_bind(email.meta.as_str())
                        .push_bind(*status)
                        .push_bind(now)
                        .push_bind(now)
                        .push_bind(now);
                });
                insert.push(" RETURNING id, message_id");
                let inserted: Vec<(i64, String)> =
                    insert.build_query_as().fetch_all(&mut *tx).await?;
                ids.extend(
                    inserted
                        .into_iter()
                        .map(|(id, message_id)| (message_id, id)),
                );
            }
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let mut insert =
                    QueryBuilder::new("INSERT INTO email_events (email_id, status, at) ");
                insert.push_values(chunk, |mut row, (email, _, status)| {
                    row.push_bind(ids.get(&email.message_id).copied())
                        .push_bind(*status)
                        .push_bind(now);
                });
                insert.build().execute(&mut *tx).await?;
            }

            // 4. Idempotency records of the sends that created their user say so (for the replay).
            for (email, outcome) in batch.iter().zip(&outcomes) {
                if let (
                    Some(idem),
                    EnqueueOutcome::Stored(Enqueued {
                        user_created: true, ..
                    }),
                ) = (&email.idempotency, outcome)
                {
                    sqlx::query("UPDATE idempotency_keys SET user_created = 1 WHERE account_id = $1 AND key = $2")
                        .bind(idem.account_id)
                        .bind(&idem.key)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(outcomes)
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
