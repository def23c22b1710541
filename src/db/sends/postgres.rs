//! The PostgreSQL side of storing sends: one transaction per batch on the pool, each statement's rows
//! as one JSON array.
use std::{
    collections::{HashMap, HashSet},
    sync::LazyLock,
};

use sqlx::PgPool;

use super::batch::{
    BatchUser, EnqueueOutcome, IDEMPOTENCY_CLAIM_SQL, IDEMPOTENCY_USER_CREATED_SQL,
    IDEMPOTENCY_WINDOW_MS, NewEmail, keys_of_created_users, place_emails, wanted_users,
};
use crate::db::{
    now_ms,
    users::{UPDATE_USER_SQL, param_columns},
};
use crate::domain::UserParams;

fn users_from_json(text: &str) -> sqlx::Result<Vec<StoredUser>> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// PostgreSQL takes each statement's rows as one JSON array. `$1`: `[[project_id, email, {the user
/// parameters by name}], …]`, `$2`: now. Returns the (project_id, email) of the users created.
static PG_INSERT_USERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO users (project_id, email, {}, created_at, updated_at)
        SELECT (j ->> 0)::bigint, j ->> 1, {}, $2, $2
        FROM jsonb_array_elements($1::jsonb) AS j, jsonb_populate_record(NULL::users, j -> 2) AS p
        ON CONFLICT (project_id, email) DO NOTHING RETURNING project_id, email",
        param_columns(""),
        param_columns("p."),
    )
});

/// `$1`: as above (only the first two of each row are read). Returns one JSON text: the users as arrays
/// in `StoredUser`'s field order, the parameters an array in the order of `UserParams::NAMES`.
static PG_SELECT_USERS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT COALESCE(json_agg(json_build_array(u.id, u.project_id, u.email,
          u.subscribed <> 0 AND u.suppressed_reason IS NULL, json_build_array({}))), '[]')::text
        FROM jsonb_array_elements($1::jsonb) AS j
        CROSS JOIN LATERAL (SELECT * FROM users
          WHERE project_id = (j ->> 0)::bigint AND email = j ->> 1 LIMIT 1) AS u",
        param_columns("u.")
    )
});

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
    params: UserParams,
}

/// `SendStore::enqueue_emails` on PostgreSQL. The rows go to the database as one JSON array per
/// statement and come back as one JSON value: the SQL text is the same for every batch.
pub(super) async fn enqueue_emails(
    pool: &PgPool,
    batch: &[NewEmail],
) -> sqlx::Result<Vec<EnqueueOutcome>> {
    let now = now_ms();
    let mut tx = pool.begin().await?;
    // This transaction's statements planned with their values and the tables as they are (one round
    // trip a batch). sqlx prepares each statement once per connection, and after five runs PostgreSQL
    // may keep one generic plan; a plan made while `users` was small (a new project, the first minute
    // of a campaign's import) scans it for each address looked up, until the next ANALYZE. Seen: the
    // user lookup took 13 s a batch during a 1,000,000-row import, and trigger sends waited seconds.
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
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
        .map(|((project_id, email), params)| (project_id, email, params))
        .collect();
    let user_json = to_json(&user_rows)?;
    let mut created: HashSet<(i64, String)> = sqlx::query_as(&PG_INSERT_USERS)
        .bind(&user_json)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
    let found: String = sqlx::query_scalar(&PG_SELECT_USERS)
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
        if !created && params.would_change(&user.params) {
            params
                .bind_to(sqlx::query(&UPDATE_USER_SQL).bind(user.id).bind(now))
                .execute(&mut *tx)
                .await?;
        }
        users.insert(
            (project_id, email),
            BatchUser {
                id: user.id,
                sendable: user.sendable,
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
