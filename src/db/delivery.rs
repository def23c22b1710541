//! The send queue's side of the database: claiming due emails under a lease, reading what rendering
//! needs, and recording the outcomes of a batch (status, event, captured copy) in one transaction.
use sqlx::QueryBuilder;

use super::{Db, now_ms, webhooks::enqueue_webhooks, with_pool};

/// An email claimed by a worker, with what it needs to render and send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedEmail {
    pub id: i64,
    pub message_id: String,
    pub project_id: i64,
    pub user_id: i64,
    pub type_id: i64,
    pub data: String,
    /// This attempt's number, from 1.
    pub attempts: i64,
    /// True when the previous attempt's lease ran out before its outcome was recorded (the process
    /// stopped mid-send): the relay may already have the message.
    pub interrupted: bool,
}

/// The templates of an email type.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateRow {
    pub id: i64,
    pub subject: String,
    pub html_body: String,
    pub text_body: String,
    pub updated_at: i64,
}

/// Who a project's emails come from.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SenderRow {
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
}

/// What happened to one claimed email.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub email_id: i64,
    pub status: OutcomeStatus,
    /// The relay's answer, the error, or where the copy went.
    pub detail: String,
    /// An event to record before the outcome (an interrupted earlier attempt).
    pub note: Option<String>,
    /// The captured copy, when the transport is the outbox.
    pub captured: Option<Captured>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeStatus {
    Sent,
    /// Retry at this time (unix ms).
    Deferred {
        retry_at: i64,
    },
    Failed,
    /// Not sent: the user unsubscribed or was suppressed after the email was queued.
    Suppressed,
}

impl OutcomeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Sent => "sent",
            OutcomeStatus::Deferred { .. } => "deferred",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Suppressed => "suppressed",
        }
    }
}

/// An email as the captured outbox keeps it.
#[derive(Debug, Clone)]
pub struct Captured {
    pub project_id: i64,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub raw: String,
}

/// The queue's priorities, claimed in this order: system and trigger emails, then campaigns.
pub const PRIORITIES: [i64; 2] = [0, CAMPAIGN_PRIORITY];
/// The priority of a campaign's emails.
pub const CAMPAIGN_PRIORITY: i64 = 1;

/// Rows per multi-row statement.
const ROWS: usize = 500;

impl Db {
    /// Claims up to `limit` due emails (queued or deferred, retry time reached, no live lease) until
    /// `lease_until`: those of priority 0 (system and trigger emails) first, then campaigns' (priority 1),
    /// each priority one range of the queue's index. SQLite runs one writer at a time, so its `UPDATE …
    /// RETURNING` is the claim; PostgreSQL workers in several processes skip each other's rows with `FOR
    /// UPDATE SKIP LOCKED`.
    pub async fn claim_due_emails(
        &self,
        limit: i64,
        lease_until: i64,
    ) -> sqlx::Result<Vec<ClaimedEmail>> {
        let now = now_ms();
        let lock = match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE emails SET lease_until = $1, attempts = attempts + 1,
               interrupted = CASE WHEN lease_until IS NULL THEN 0 ELSE 1 END
             WHERE id IN (SELECT id FROM emails WHERE status IN ('queued', 'deferred') AND priority = $4
               AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until < $2)
               ORDER BY priority, next_attempt_at LIMIT $3 {lock})
             RETURNING id, message_id, project_id, user_id, type_id, data, attempts, interrupted <> 0 AS interrupted"
        );
        let mut claimed: Vec<ClaimedEmail> = Vec::new();
        for priority in PRIORITIES {
            let wanted = limit - claimed.len() as i64;
            if wanted <= 0 {
                break;
            }
            let more: Vec<ClaimedEmail> = with_pool!(self, |pool| sqlx::query_as(&sql)
                .bind(lease_until)
                .bind(now)
                .bind(wanted)
                .bind(priority)
                .fetch_all(pool)
                .await)?;
            claimed.extend(more);
        }
        Ok(claimed)
    }

    /// How many emails are queued and deferred (for `/metrics`).
    pub async fn queue_depth(&self) -> sqlx::Result<(i64, i64)> {
        with_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE status = 'queued'), COUNT(*) FILTER (WHERE status = 'deferred')
             FROM emails WHERE status IN ('queued', 'deferred')"
        )
        .fetch_one(pool)
        .await
        })
    }

    /// The templates of an email type.
    pub async fn email_type_templates(&self, type_id: i64) -> sqlx::Result<Option<TemplateRow>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT id, subject, html_body, text_body, updated_at FROM email_types WHERE id = $1"
        )
        .bind(type_id)
        .fetch_optional(pool)
        .await)
    }

    /// The sender of a project.
    pub async fn project_sender(&self, project_id: i64) -> sqlx::Result<SenderRow> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT sender_email, sender_name FROM projects WHERE id = $1"
        )
        .bind(project_id)
        .fetch_optional(pool)
        .await
        .map(Option::unwrap_or_default))
    }

    /// Records the outcomes of a batch claimed until `lease_until`, in one transaction: the email's status,
    /// its events with their webhooks and, for the outbox, the captured copy. An email whose lease was lost (taken over by
    /// another worker after it ran out) is left to that worker. Returns how many outcomes were recorded.
    pub async fn record_outcomes(
        &self,
        lease_until: i64,
        outcomes: &[Outcome],
    ) -> sqlx::Result<usize> {
        let now = now_ms();
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let mut kept = Vec::with_capacity(outcomes.len());
            // Sent and failed emails of the batch take one statement each; deferred ones have their own time.
            for status in [
                OutcomeStatus::Sent,
                OutcomeStatus::Failed,
                OutcomeStatus::Suppressed,
            ] {
                let of_status: Vec<&Outcome> =
                    outcomes.iter().filter(|o| o.status == status).collect();
                for chunk in of_status.chunks(ROWS) {
                    let mut update = QueryBuilder::new("UPDATE emails SET status = ");
                    update
                        .push_bind(status.as_str())
                        .push(", lease_until = NULL, interrupted = 0, next_attempt_at = NULL, updated_at = ")
                        .push_bind(now)
                        .push(" WHERE lease_until = ")
                        .push_bind(lease_until)
                        .push(" AND id IN (");
                    let mut ids = update.separated(", ");
                    for o in chunk {
                        ids.push_bind(o.email_id);
                    }
                    update.push(") RETURNING id");
                    let updated: Vec<i64> = update.build_query_scalar().fetch_all(&mut *tx).await?;
                    kept.extend(
                        chunk
                            .iter()
                            .filter(|o| updated.contains(&o.email_id))
                            .copied(),
                    );
                }
            }
            for o in outcomes {
                if let OutcomeStatus::Deferred { retry_at } = o.status {
                    let updated = sqlx::query(
                        "UPDATE emails SET status = 'deferred', lease_until = NULL, interrupted = 0,
                           next_attempt_at = $1, updated_at = $2 WHERE id = $3 AND lease_until = $4",
                    )
                    .bind(retry_at)
                    .bind(now)
                    .bind(o.email_id)
                    .bind(lease_until)
                    .execute(&mut *tx)
                    .await?;
                    if updated.rows_affected() > 0 {
                        kept.push(o);
                    }
                }
            }
            let mut events = Vec::with_capacity(kept.len());
            for o in &kept {
                if let Some(note) = &o.note {
                    events.push((o.email_id, "deferred", note.as_str()));
                }
                events.push((o.email_id, o.status.as_str(), o.detail.as_str()));
            }
            let mut event_ids = Vec::with_capacity(events.len());
            for chunk in events.chunks(ROWS) {
                let mut insert =
                    QueryBuilder::new("INSERT INTO email_events (email_id, status, detail, at) ");
                insert.push_values(chunk, |mut row, (email_id, status, detail)| {
                    row.push_bind(*email_id)
                        .push_bind(*status)
                        .push_bind(*detail)
                        .push_bind(now);
                });
                insert.push(" RETURNING id");
                event_ids.extend(
                    insert
                        .build_query_scalar::<i64>()
                        .fetch_all(&mut *tx)
                        .await?,
                );
            }
            // The events' webhooks, in the same transaction (no event without its webhook, nor the reverse).
            enqueue_webhooks!(self, tx, event_ids);
            let captured: Vec<(i64, &Captured)> = kept
                .iter()
                .filter_map(|o| o.captured.as_ref().map(|c| (o.email_id, c)))
                .collect();
            for chunk in captured.chunks(ROWS) {
                let mut insert = QueryBuilder::new(
                    "INSERT INTO outbox (email_id, project_id, sender, recipient, subject, raw, created_at) ",
                );
                insert.push_values(chunk, |mut row, (email_id, c)| {
                    row.push_bind(*email_id)
                        .push_bind(c.project_id)
                        .push_bind(c.sender.as_str())
                        .push_bind(c.recipient.as_str())
                        .push_bind(c.subject.as_str())
                        .push_bind(c.raw.as_str())
                        .push_bind(now);
                });
                insert.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(kept.len())
        })
    }
}
