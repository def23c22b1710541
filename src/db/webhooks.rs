//! The webhook queue: rows written in the same transaction as the email events they report (a
//! transactional outbox), claimed under a lease by the senders of any process, and every attempt logged.
use std::{collections::HashMap, sync::LazyLock};

use sqlx::QueryBuilder;

use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::{
    domain::{ALL_EVENTS, WEBHOOK_EVENTS},
    model::{WebhookAttempt, WebhookDelivery},
};

/// Rows per multi-row statement.
const ROWS: usize = 500;

/// `CASE ev.status WHEN 'sent' THEN 1 … ELSE 0 END`: an event's bit in a project's event set.
fn event_bit_case() -> String {
    let mut case = String::from("CASE ev.status");
    for (i, (status, _, _)) in WEBHOOK_EVENTS.iter().enumerate() {
        case.push_str(&format!(" WHEN '{status}' THEN {}", 1 << i));
    }
    case.push_str(" ELSE 0 END");
    case
}

/// The start of the statement that queues the webhooks of stored events (followed by their ids and `)`):
/// one row per event whose project (or account) has a URL and takes that event type.
fn enqueue_sql(random_id: &str) -> String {
    format!(
        "INSERT INTO webhooks (message_id, project_id, email_id, event_id, type, status, next_attempt_at,
           created_at, updated_at)
         SELECT {random_id}, e.project_id, e.id, ev.id, 'email.' || ev.status, 'pending', ev.at, ev.at, ev.at
         FROM email_events ev JOIN emails e ON e.id = ev.email_id JOIN projects p ON p.id = e.project_id
           JOIN accounts a ON a.id = p.account_id
         WHERE COALESCE(p.webhook_url, a.webhook_url) IS NOT NULL
           AND (COALESCE(p.webhook_events, {ALL_EVENTS}) & ({case})) <> 0
           AND ev.id IN (",
        case = event_bit_case()
    )
}

static ENQUEUE_SQLITE: LazyLock<String> =
    LazyLock::new(|| enqueue_sql("'msg_' || lower(hex(randomblob(16)))"));
static ENQUEUE_POSTGRES: LazyLock<String> =
    LazyLock::new(|| enqueue_sql("'msg_' || replace(gen_random_uuid()::text, '-', '')"));

impl Db {
    /// The statement prefix that queues webhooks for events (see `enqueue_webhooks!`).
    pub(super) fn enqueue_webhooks_sql(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => ENQUEUE_SQLITE.as_str(),
            Db::Postgres(_) => ENQUEUE_POSTGRES.as_str(),
        }
    }
}

/// Queues the webhooks of the events with these ids, on the transaction `$tx` that stored them:
/// `enqueue_webhooks!(db, tx, &event_ids)`.
macro_rules! enqueue_webhooks {
    ($db:expr, $tx:expr, $ids:expr) => {{
        for chunk in $ids.chunks(500) {
            let mut insert = sqlx::QueryBuilder::new($db.enqueue_webhooks_sql());
            let mut ids = insert.separated(", ");
            for id in chunk {
                ids.push_bind(*id);
            }
            insert.push(")");
            insert.build().execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use enqueue_webhooks;

/// A claimed webhook with what its body and signature need.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookJob {
    pub id: i64,
    pub message_id: String,
    pub project_id: i64,
    pub event_type: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    pub lease_until: i64,
    /// The project's URL, else the account's (none: both were cleared since the event).
    pub url: Option<String>,
    pub webhook_secret: Option<String>,
    pub webhook_secret_previous: Option<String>,
    pub webhook_secret_previous_until: Option<i64>,
    pub email_message_id: Option<String>,
    pub user_id: Option<i64>,
    pub recipient: Option<String>,
    pub type_id: Option<i64>,
    pub category: Option<String>,
    pub meta: Option<String>,
    pub email_status: Option<String>,
    pub detail: Option<String>,
    pub event_at: Option<i64>,
    pub created_at: i64,
}

/// What one attempt of a claimed webhook came to.
#[derive(Debug, Clone)]
pub struct WebhookOutcome {
    pub id: i64,
    pub project_id: i64,
    /// The lease of the claim (an outcome of a lease lost to another sender only adds its attempt).
    pub lease_until: i64,
    pub url: String,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response: String,
    pub at: i64,
    pub next: WebhookNext,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookNext {
    Delivered,
    /// Try again at this time (unix ms).
    Retry(i64),
    /// Given up (the last try failed, or the receiver answered 410 Gone).
    Failed,
}

impl WebhookNext {
    pub fn succeeded(self) -> bool {
        self == WebhookNext::Delivered
    }
}

pub(super) const DELIVERY_SELECT: &str =
    "SELECT w.id, w.message_id, w.project_id, w.type AS event_type,
    e.message_id AS email_message_id, u.email AS recipient, w.status, w.attempts, w.last_status,
    w.next_attempt_at, w.created_at, w.updated_at
    FROM webhooks w LEFT JOIN emails e ON e.id = w.email_id LEFT JOIN users u ON u.id = e.user_id";

const ATTEMPT_SELECT: &str =
    "SELECT id, webhook_id, url, status_code, latency_ms, response, at FROM webhook_attempts";

impl Db {
    /// Claims up to `limit` due webhooks until `lease_until`, oldest first, leaving out those whose URL
    /// is in `busy` (receivers with enough claimed already) and those of an email whose earlier webhook
    /// is still to be tried or in flight (events of one email go out in order). A webhook under retry
    /// does not hold back the later ones of its email.
    pub async fn claim_webhooks(
        &self,
        limit: i64,
        lease_until: i64,
        busy: &[String],
    ) -> sqlx::Result<Vec<WebhookJob>> {
        let now = now_ms();
        let lock = match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " FOR UPDATE OF w SKIP LOCKED",
        };
        with_pool!(self, |pool| {
            let mut claim = QueryBuilder::new("UPDATE webhooks SET lease_until = ");
            claim
                .push_bind(lease_until)
                .push(", attempts = attempts + 1 WHERE id IN (SELECT w.id FROM webhooks w")
                .push(" JOIN projects p ON p.id = w.project_id JOIN accounts a ON a.id = p.account_id")
                .push(" WHERE w.status = 'pending' AND w.next_attempt_at <= ")
                .push_bind(now)
                .push(" AND (w.lease_until IS NULL OR w.lease_until < ")
                .push_bind(now)
                .push(
                    ") AND NOT EXISTS (SELECT 1 FROM webhooks o WHERE o.email_id = w.email_id
                       AND o.id < w.id AND o.status = 'pending' AND (o.attempts = 0 OR o.lease_until >= ",
                )
                .push_bind(now)
                .push("))");
            if !busy.is_empty() {
                claim.push(" AND COALESCE(p.webhook_url, a.webhook_url, '') NOT IN (");
                let mut urls = claim.separated(", ");
                for url in busy {
                    urls.push_bind(url.as_str());
                }
                claim.push(")");
            }
            claim
                .push(" ORDER BY w.next_attempt_at, w.id LIMIT ")
                .push_bind(limit)
                .push(lock)
                .push(") RETURNING id");
            let ids: Vec<i64> = claim.build_query_scalar().fetch_all(pool).await?;
            let mut jobs = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(ROWS) {
                let mut select = QueryBuilder::new(
                    "SELECT w.id, w.message_id, w.project_id, w.type AS event_type, w.attempts,
                       w.lease_until, COALESCE(p.webhook_url, a.webhook_url) AS url, p.webhook_secret,
                       p.webhook_secret_previous, p.webhook_secret_previous_until,
                       e.message_id AS email_message_id, e.user_id, u.email AS recipient, e.type_id,
                       e.category, e.meta, ev.status AS email_status, ev.detail, ev.at AS event_at,
                       w.created_at
                     FROM webhooks w JOIN projects p ON p.id = w.project_id
                       JOIN accounts a ON a.id = p.account_id
                       LEFT JOIN emails e ON e.id = w.email_id LEFT JOIN users u ON u.id = e.user_id
                       LEFT JOIN email_events ev ON ev.id = w.event_id
                     WHERE w.id IN (",
                );
                let mut list = select.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                select.push(") ORDER BY w.id");
                jobs.extend(
                    select
                        .build_query_as::<WebhookJob>()
                        .fetch_all(pool)
                        .await?,
                );
            }
            Ok(jobs)
        })
    }

    /// Records the attempts of claimed webhooks and where each one stands now, in one transaction, and
    /// whether each project's deliveries are failing (its last attempt in the batch failed).
    pub async fn record_webhook_outcomes(&self, outcomes: &[WebhookOutcome]) -> sqlx::Result<()> {
        if outcomes.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        // Finished webhooks grouped by what their update sets: (status, lease, HTTP status).
        let mut finished: HashMap<(&str, i64, Option<i64>), Vec<i64>> = HashMap::new();
        let mut retries = Vec::new();
        let mut projects: HashMap<i64, bool> = HashMap::new();
        for o in outcomes {
            match o.next {
                WebhookNext::Delivered => finished
                    .entry(("delivered", o.lease_until, o.status_code))
                    .or_default()
                    .push(o.id),
                WebhookNext::Failed => finished
                    .entry(("failed", o.lease_until, o.status_code))
                    .or_default()
                    .push(o.id),
                WebhookNext::Retry(at) => retries.push((o, at)),
            }
            projects.insert(o.project_id, o.next.succeeded());
        }
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            for chunk in outcomes.chunks(ROWS) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO webhook_attempts (webhook_id, url, status_code, latency_ms, response, at) ",
                );
                insert.push_values(chunk, |mut row, o| {
                    row.push_bind(o.id)
                        .push_bind(o.url.as_str())
                        .push_bind(o.status_code)
                        .push_bind(o.latency_ms)
                        .push_bind(o.response.as_str())
                        .push_bind(o.at);
                });
                insert.build().execute(&mut *tx).await?;
            }
            for ((status, lease, code), ids) in &finished {
                for chunk in ids.chunks(ROWS) {
                    let mut update = QueryBuilder::new("UPDATE webhooks SET status = ");
                    update
                        .push_bind(*status)
                        .push(", lease_until = NULL, next_attempt_at = NULL, last_status = ")
                        .push_bind(*code)
                        .push(", updated_at = ")
                        .push_bind(now)
                        .push(" WHERE lease_until = ")
                        .push_bind(*lease)
                        .push(" AND id IN (");
                    let mut list = update.separated(", ");
                    for id in chunk {
                        list.push_bind(*id);
                    }
                    update.push(")");
                    update.build().execute(&mut *tx).await?;
                }
            }
            for (o, at) in retries {
                sqlx::query(
                    "UPDATE webhooks SET lease_until = NULL, next_attempt_at = $1, last_status = $2,
                       updated_at = $3 WHERE id = $4 AND lease_until = $5",
                )
                .bind(at)
                .bind(o.status_code)
                .bind(now)
                .bind(o.id)
                .bind(o.lease_until)
                .execute(&mut *tx)
                .await?;
            }
            for (ok, since) in [(true, None), (false, Some(now))] {
                let ids: Vec<i64> = projects
                    .iter()
                    .filter(|(_, s)| **s == ok)
                    .map(|(id, _)| *id)
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let mut update = QueryBuilder::new("UPDATE projects SET webhook_failing_since = ");
                if ok {
                    update.push("NULL");
                } else {
                    update
                        .push("COALESCE(webhook_failing_since, ")
                        .push_bind(since)
                        .push(")");
                }
                update.push(" WHERE id IN (");
                let mut list = update.separated(", ");
                for id in &ids {
                    list.push_bind(*id);
                }
                update.push(")");
                if ok {
                    update.push(" AND webhook_failing_since IS NOT NULL");
                }
                update.build().execute(&mut *tx).await?;
            }
            tx.commit().await
        })
    }

    /// Webhooks waiting for an attempt (for `/metrics`).
    pub async fn webhook_queue_depth(&self) -> sqlx::Result<i64> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhooks WHERE status = 'pending'"
        )
        .fetch_one(pool)
        .await)
    }

    /// A project's webhooks, newest first (only the failed ones with `failed_only`; only those about
    /// the email with message id `email`, when given), with the total.
    pub async fn webhooks_of_project(
        &self,
        project_id: i64,
        failed_only: bool,
        email: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<WebhookDelivery>, i64)> {
        with_pool!(self, |pool| {
            let filter = |query: &mut QueryBuilder<_>| {
                query.push(" WHERE w.project_id = ").push_bind(project_id);
                if failed_only {
                    query.push(" AND w.status = 'failed'");
                }
                if let Some(email) = email {
                    query
                        .push(" AND w.email_id = (SELECT id FROM emails WHERE message_id = ")
                        .push_bind(email.to_owned())
                        .push(")");
                }
            };
            let mut list = QueryBuilder::new(DELIVERY_SELECT);
            filter(&mut list);
            list.push(" ORDER BY w.id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
            let items = list.build_query_as().fetch_all(pool).await?;
            let mut count = QueryBuilder::new("SELECT COUNT(*) FROM webhooks w");
            filter(&mut count);
            let total = count.build_query_scalar().fetch_one(pool).await?;
            Ok((items, total))
        })
    }

    /// The webhooks about one email, oldest first.
    pub async fn webhooks_of_email(&self, email_id: i64) -> sqlx::Result<Vec<WebhookDelivery>> {
        let sql = format!("{DELIVERY_SELECT} WHERE w.email_id = $1 ORDER BY w.id");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(email_id)
            .fetch_all(pool)
            .await)
    }

    pub async fn webhook(&self, id: i64) -> sqlx::Result<Option<WebhookDelivery>> {
        let sql = format!("{DELIVERY_SELECT} WHERE w.id = $1");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)
    }

    /// The attempts of a webhook, newest first.
    pub async fn webhook_attempts(&self, webhook_id: i64) -> sqlx::Result<Vec<WebhookAttempt>> {
        let sql = format!("{ATTEMPT_SELECT} WHERE webhook_id = $1 ORDER BY id DESC");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(webhook_id)
            .fetch_all(pool)
            .await)
    }

    /// The latest attempts of a project's webhooks, newest first.
    pub async fn webhook_attempts_of_project(
        &self,
        project_id: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<WebhookAttempt>> {
        let sql = "SELECT t.id, t.webhook_id, t.url, t.status_code, t.latency_ms, t.response, t.at
             FROM webhook_attempts t JOIN webhooks w ON w.id = t.webhook_id
             WHERE w.project_id = $1 ORDER BY t.id DESC LIMIT $2";
        with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(project_id)
            .bind(limit)
            .fetch_all(pool)
            .await)
    }

    /// Queues a test event of a project, claimed at once until `lease_until` by the caller, which
    /// delivers it now; returns its id and `webhook-id`.
    pub async fn insert_test_webhook(
        &self,
        project_id: i64,
        lease_until: i64,
    ) -> sqlx::Result<(i64, String)> {
        let now = now_ms();
        let message_id = format!("msg_{}", crate::domain::random_token(32).to_lowercase());
        with_pool!(self, |pool| sqlx::query_scalar(
            "INSERT INTO webhooks (message_id, project_id, type, status, attempts, next_attempt_at,
               lease_until, created_at, updated_at)
             VALUES ($1, $2, $3, 'pending', 1, $4, $5, $4, $4) RETURNING id"
        )
        .bind(&message_id)
        .bind(project_id)
        .bind(crate::domain::TEST_EVENT)
        .bind(now)
        .bind(lease_until)
        .fetch_one(pool)
        .await
        .map(|id| (id, message_id)))
    }
}

impl Tx {
    /// Queues a webhook for another attempt now, with a fresh retry schedule and the same `webhook-id`;
    /// false when the project has no such webhook.
    pub async fn resend_webhook(&mut self, project_id: i64, id: i64) -> sqlx::Result<bool> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE webhooks SET status = 'pending', attempts = 0, next_attempt_at = $1,
               lease_until = NULL, updated_at = $1 WHERE id = $2 AND project_id = $3"
        )
        .bind(now_ms())
        .bind(id)
        .bind(project_id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected() > 0))
    }

    /// Queues again every failed webhook of a project created since `since` (unix ms); returns how many.
    pub async fn recover_webhooks(&mut self, project_id: i64, since: i64) -> sqlx::Result<u64> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE webhooks SET status = 'pending', attempts = 0, next_attempt_at = $1,
               lease_until = NULL, updated_at = $1
             WHERE project_id = $2 AND status = 'failed' AND created_at >= $3"
        )
        .bind(now_ms())
        .bind(project_id)
        .bind(since)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))
    }
}
