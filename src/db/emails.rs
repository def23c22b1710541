use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::PgPool;

use super::{
    Db, now_ms,
    sqlite_sends::SqliteSends,
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

fn users_from_json(text: &str) -> sqlx::Result<Vec<StoredUser>> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// PostgreSQL takes each statement's rows as one JSON array. `$1`: `[[project_id, email, name, gender,
/// platform_id, country_id, list_id, client_user_id, ak, age, photo, language_id], …]`, `$2`: now.
/// Returns the (project_id, email) of the users created.
const PG_INSERT_USERS: &str =
    "INSERT INTO users (project_id, email, name, gender, platform_id, country_id, list_id,
          client_user_id, ak, age, photo, language_id, created_at, updated_at)
        SELECT (j ->> 0)::bigint, j ->> 1, j ->> 2, j ->> 3, (j ->> 4)::bigint, j ->> 5,
          (j ->> 6)::bigint, j ->> 7, j ->> 8, (j ->> 9)::bigint, j ->> 10, j ->> 11, $2, $2
        FROM jsonb_array_elements($1::jsonb) AS j
        ON CONFLICT (project_id, email) DO NOTHING RETURNING project_id, email";

/// `$1`: as above (only the first two of each row are read). Returns one JSON text: the users as arrays
/// in `StoredUser`'s field order.
const PG_SELECT_USERS: &str = "SELECT COALESCE(json_agg(json_build_array(u.id, u.project_id, u.email,
          u.subscribed <> 0 AND u.suppressed_reason IS NULL, u.name, u.gender, u.platform_id,
          u.country_id, u.list_id, u.client_user_id, u.ak, u.age, u.photo, u.language_id)), '[]')::text
        FROM jsonb_array_elements($1::jsonb) AS j
        CROSS JOIN LATERAL (SELECT * FROM users
          WHERE project_id = (j ->> 0)::bigint AND email = j ->> 1 LIMIT 1) AS u";

/// `$1`: `[[message_id, project_id, user_id, type_id, category, data, meta, status], …]`, `$2`: now.
/// Inserts the emails; the status each is stored with is also its first event (`first_status`).
const PG_INSERT_EMAILS: &str = "INSERT INTO emails (message_id, project_id, user_id, type_id,
          category, data, meta, status, first_status, next_attempt_at, created_at, updated_at)
        SELECT j ->> 0, (j ->> 1)::bigint, (j ->> 2)::bigint, (j ->> 3)::bigint, j ->> 4, j ->> 5,
          j ->> 6, j ->> 7, j ->> 7, $2, $2, $2
        FROM jsonb_array_elements($1::jsonb) AS j";

fn to_json<T: serde::Serialize>(rows: &T) -> sqlx::Result<String> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// A user as the enqueuing transaction reads it on PostgreSQL (a JSON array in this field order).
#[derive(serde::Deserialize)]
struct StoredUser {
    id: i64,
    project_id: i64,
    email: String,
    /// Subscribed and not suppressed.
    sendable: bool,
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
    fn sendable(&self) -> bool {
        self.sendable
    }

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
    /// The status it was stored with (`queued` or `suppressed`): its first event, at `created_at`.
    pub first_status: String,
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

/// Claims an Idempotency-Key for a send (an expired record of the same key is replaced). `$1` account,
/// `$2` key, `$3` request hash, `$4` message id, `$5` now, `$6` the oldest live time. No row changed: the
/// key is live, taken by an earlier request. `user_created` is set after the users are written.
pub(super) const IDEMPOTENCY_CLAIM_SQL: &str = "INSERT INTO idempotency_keys (account_id, key,
      request_hash, message_id, user_created, created_at)
    VALUES ($1, $2, $3, $4, 0, $5)
    ON CONFLICT (account_id, key) DO UPDATE SET request_hash = excluded.request_hash,
      message_id = excluded.message_id, user_created = 0, created_at = excluded.created_at
    WHERE idempotency_keys.created_at < $6";

/// `$1` account, `$2` key.
pub(super) const IDEMPOTENCY_USER_CREATED_SQL: &str =
    "UPDATE idempotency_keys SET user_created = 1 WHERE account_id = $1 AND key = $2";

/// The users of a batch's live sends: each (project, email) once, with the parameters of its sends
/// merged in order. Sorted, so that every process takes row locks in the same order.
pub(super) fn wanted_users<'a>(
    batch: &'a [NewEmail],
    live: &[bool],
) -> BTreeMap<(i64, &'a str), UserParams> {
    let mut wanted: BTreeMap<(i64, &str), UserParams> = BTreeMap::new();
    for (email, _) in batch.iter().zip(live).filter(|(_, live)| **live) {
        wanted
            .entry((email.project_id, email.email.as_str()))
            .and_modify(|p| *p = p.merged_with(&email.params))
            .or_insert_with(|| email.params.clone());
    }
    wanted
}

/// A live send of a batch as step 3 of storing the batch places it: with its user and first status.
pub(super) struct PlacedEmail<'a> {
    pub email: &'a NewEmail,
    pub user_id: i64,
    pub status: &'static str,
}

/// A batch's user as step 3 reads it: id, whether it can be mailed, and whether this batch created it.
pub(super) struct BatchUser {
    pub id: i64,
    pub sendable: bool,
    /// Created by this batch and not yet claimed by its first send.
    pub created: bool,
}

/// Step 3 of storing a batch, on either database: every live send gets its user's id and its first
/// status (`queued`, or `suppressed` for a user who cannot be mailed), and every send its outcome, in
/// the order of `batch`. `users`: those step 2 found or created, by (project, email); only the first
/// send to a new user says it created it. `None` if a live send's user is not among them.
pub(super) fn place_emails<'a>(
    batch: &'a [NewEmail],
    live: &[bool],
    users: &mut HashMap<(i64, &'a str), BatchUser>,
) -> Option<(Vec<EnqueueOutcome>, Vec<PlacedEmail<'a>>)> {
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut placed = Vec::with_capacity(batch.len());
    for (email, live) in batch.iter().zip(live) {
        if !*live {
            outcomes.push(EnqueueOutcome::KeyTaken);
            continue;
        }
        let user = users.get_mut(&(email.project_id, email.email.as_str()))?;
        let status = if user.sendable {
            "queued"
        } else {
            "suppressed"
        };
        placed.push(PlacedEmail {
            email,
            user_id: user.id,
            status,
        });
        outcomes.push(EnqueueOutcome::Stored(Enqueued {
            user_id: user.id,
            user_created: std::mem::take(&mut user.created),
            status,
        }));
    }
    Some((outcomes, placed))
}

/// Step 4 of storing a batch: the Idempotency-Keys of the sends that created their user, whose records
/// say so (for the replay).
pub(super) fn keys_of_created_users<'a>(
    batch: &'a [NewEmail],
    outcomes: &'a [EnqueueOutcome],
) -> impl Iterator<Item = &'a IdempotencyKey> {
    batch
        .iter()
        .zip(outcomes)
        .filter_map(|(email, outcome)| match outcome {
            EnqueueOutcome::Stored(Enqueued {
                user_created: true, ..
            }) => email.idempotency.as_ref(),
            _ => None,
        })
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
            SendStore::Sqlite(sends) => sends.enqueue_emails(batch),
            SendStore::Postgres(pool) => Ok(pg_enqueue_emails(pool, batch).await?),
        }
    }

    /// The PostgreSQL pool's handle again, for a second writer (SQLite has one writer).
    pub fn another(&self) -> Option<SendStore> {
        match self {
            SendStore::Sqlite(_) => None,
            SendStore::Postgres(pool) => Some(SendStore::Postgres(pool.clone())),
        }
    }
}

/// `SendStore::enqueue_emails` on PostgreSQL. The rows go to the database as one JSON array per
/// statement and come back as one JSON value: the SQL text is the same for every batch.
async fn pg_enqueue_emails(pool: &PgPool, batch: &[NewEmail]) -> sqlx::Result<Vec<EnqueueOutcome>> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    // 1. Idempotency-Keys first: a request whose key is live writes nothing else.
    let mut live = vec![true; batch.len()];
    for (email, live) in batch.iter().zip(live.iter_mut()) {
        if let Some(idem) = &email.idempotency {
            let claimed = sqlx::query(IDEMPOTENCY_CLAIM_SQL)
                .bind(idem.account_id)
                .bind(&idem.key)
                .bind(&idem.request_hash)
                .bind(&email.message_id)
                .bind(now)
                .bind(now - IDEMPOTENCY_WINDOW_MS)
                .execute(&mut *tx)
                .await?;
            *live = claimed.rows_affected() > 0;
        }
    }

    // 2. Users: created where missing, then all read back; those that existed get the parameters that
    //    differ.
    let wanted = wanted_users(batch, &live);
    let user_rows: Vec<_> = wanted
        .iter()
        .map(|((project_id, email), p)| {
            (
                project_id,
                email,
                &p.name,
                &p.gender,
                p.platform_id,
                &p.country_id,
                p.list_id,
                &p.client_user_id,
                &p.ak,
                p.age,
                &p.photo,
                &p.language_id,
            )
        })
        .collect();
    let user_json = to_json(&user_rows)?;
    let mut created: HashSet<(i64, String)> = sqlx::query_as(PG_INSERT_USERS)
        .bind(&user_json)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let found: String = sqlx::query_scalar(PG_SELECT_USERS)
        .bind(&user_json)
        .fetch_one(&mut *tx)
        .await?;
    let found = users_from_json(&found)?;
    let stored: HashMap<(i64, &str), &StoredUser> = found
        .iter()
        .map(|u| ((u.project_id, u.email.as_str()), u))
        .collect();
    // In `wanted`'s order: the updates take their row locks in the same order in every transaction.
    let mut users: HashMap<(i64, &str), BatchUser> = HashMap::with_capacity(wanted.len());
    for (&(project_id, email), params) in &wanted {
        let user = stored
            .get(&(project_id, email))
            .ok_or(sqlx::Error::RowNotFound)?;
        let created = created.remove(&(project_id, email.to_owned()));
        if !created && params.would_change(&user.params()) {
            bind_params!(sqlx::query(UPDATE_USER_SQL).bind(user.id).bind(now), params)
                .execute(&mut *tx)
                .await?;
        }
        users.insert(
            (project_id, email),
            BatchUser {
                id: user.id,
                sendable: user.sendable(),
                created,
            },
        );
    }

    // 3. The emails (each with its first status).
    let (outcomes, placed) =
        place_emails(batch, &live, &mut users).ok_or(sqlx::Error::RowNotFound)?;
    if !placed.is_empty() {
        let email_rows: Vec<_> = placed
            .iter()
            .map(|p| {
                (
                    &p.email.message_id,
                    p.email.project_id,
                    p.user_id,
                    p.email.type_id,
                    &p.email.category,
                    &p.email.data,
                    &p.email.meta,
                    p.status,
                )
            })
            .collect();
        sqlx::query(PG_INSERT_EMAILS)
            .bind(to_json(&email_rows)?)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }

    // 4. Idempotency records of the sends that created their user say so (for the replay).
    for idem in keys_of_created_users(batch, &outcomes) {
        sqlx::query(IDEMPOTENCY_USER_CREATED_SQL)
            .bind(idem.account_id)
            .bind(&idem.key)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(outcomes)
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

    /// An email of one of the account's projects, by message id.
    pub async fn email_of_account(
        &self,
        account_id: i64,
        message_id: &str,
    ) -> sqlx::Result<Option<EmailRow>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT e.id, e.message_id, e.project_id, e.user_id, u.email, e.type_id, e.category, e.data, e.meta,
                   e.status, e.first_status, e.created_at, e.updated_at
                 FROM emails e JOIN projects p ON p.id = e.project_id JOIN users u ON u.id = e.user_id
                 WHERE e.message_id = $1 AND p.account_id = $2",
            )
            .bind(message_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// The events of an email, oldest first: the status it was stored with, kept in its row, then the
    /// changes stored in `email_events`.
    pub async fn email_events(&self, email: &EmailRow) -> sqlx::Result<Vec<EventRow>> {
        let changes: Vec<EventRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT status, detail, at FROM email_events WHERE email_id = $1 ORDER BY id",
            )
            .bind(email.id)
            .fetch_all(pool)
            .await
        })?;
        let first = EventRow {
            status: email.first_status.clone(),
            detail: None,
            at: email.created_at,
        };
        Ok(std::iter::once(first).chain(changes).collect())
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
