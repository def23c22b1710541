//! What happens to an email after it was sent: opens, clicks, unsubscribes, bounces and complaints,
//! each stored as an event; and the suppressions of a project's users that follow from them.
use std::sync::LazyLock;

use super::{Db, Tx, now_ms, webhooks::enqueue_webhooks, with_pool, with_tx};
use crate::model::SuppressedUser;

/// An email found by its message id, with whose it is.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EmailRef {
    pub id: i64,
    pub user_id: i64,
    pub project_id: i64,
    pub account_id: i64,
    pub email: String,
    pub project_name: String,
}

/// Statuses by how far an email got: an event moves the status only forward (a late open does not undo
/// a click; a bounce report after "sent" does).
pub fn status_rank(status: &str) -> u8 {
    match status {
        "queued" | "suppressed" => 0,
        "deferred" => 1,
        "sent" => 2,
        "delivered" => 3,
        "opened" => 4,
        "clicked" => 5,
        "unsubscribed" => 6,
        "failed" | "bounced" => 7,
        "complained" => 8,
        _ => 0,
    }
}

/// Moves an email's status to `$1` when `$1` ranks higher (`$4`) than its current status.
static RANKED_STATUS_UPDATE: LazyLock<String> = LazyLock::new(|| {
    let mut case = String::from("CASE status");
    for status in [
        "queued",
        "suppressed",
        "deferred",
        "sent",
        "delivered",
        "opened",
        "clicked",
        "unsubscribed",
        "failed",
        "bounced",
        "complained",
    ] {
        case.push_str(&format!(" WHEN '{status}' THEN {}", status_rank(status)));
    }
    case.push_str(" ELSE 0 END");
    format!("UPDATE emails SET status = $1, updated_at = $2 WHERE id = $3 AND ({case}) < $4")
});

impl Db {
    /// The email with this message id.
    pub async fn email_ref(&self, message_id: &str) -> sqlx::Result<Option<EmailRef>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT e.id, e.user_id, e.project_id, p.account_id, u.email, p.name AS project_name
             FROM emails e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = e.project_id
             WHERE e.message_id = $1"
        )
        .bind(message_id)
        .fetch_optional(pool)
        .await)
    }

    /// Stores an event of an email (with its webhook) and moves its status forward. With `once`, nothing is
    /// stored when the email already has an event of that status (the first open counts). Returns whether
    /// it stored. Each statement is a write, the first one included, so that on SQLite the transaction
    /// takes the write lock at once (waiting for it) instead of failing to upgrade a read lock when
    /// events of several emails are recorded at the same time.
    pub async fn record_email_event(
        &self,
        email_id: i64,
        status: &str,
        detail: Option<&str>,
        once: bool,
    ) -> sqlx::Result<bool> {
        let now = now_ms();
        let insert = if once {
            "INSERT INTO email_events (email_id, status, detail, at)
             SELECT $1, $2, $3, $4 WHERE NOT EXISTS
               (SELECT 1 FROM email_events WHERE email_id = $1 AND status = $2)
             RETURNING id"
        } else {
            "INSERT INTO email_events (email_id, status, detail, at) VALUES ($1, $2, $3, $4) RETURNING id"
        };
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let Some(event_id): Option<i64> = sqlx::query_scalar(insert)
                .bind(email_id)
                .bind(status)
                .bind(detail)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?
            else {
                return Ok(false);
            };
            // Its webhook, in the same transaction.
            enqueue_webhooks!(self, tx, [event_id]);
            sqlx::query(&RANKED_STATUS_UPDATE)
                .bind(status)
                .bind(now)
                .bind(email_id)
                .bind(i64::from(status_rank(status)))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The user asked to receive no more emails of the project.
    pub async fn unsubscribe_user(&self, user_id: i64) -> sqlx::Result<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE users SET subscribed = 0, updated_at = $1, change_source = 'unsubscribe link'
             WHERE id = $2"
        )
        .bind(now_ms())
        .bind(user_id)
        .execute(pool)
        .await
        .map(drop))
    }

    /// The project no longer sends to the user (`bounced` or `complained`).
    pub async fn suppress_user(&self, user_id: i64, reason: &str) -> sqlx::Result<()> {
        let now = now_ms();
        with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE users SET suppressed_reason = $1, suppressed_at = $2, updated_at = $2,
               change_source = CASE $1 WHEN 'bounced' THEN 'bounce report' ELSE 'complaint report' END
             WHERE id = $3"
        )
        .bind(reason)
        .bind(now)
        .bind(user_id)
        .execute(pool)
        .await
        .map(drop)
        })
    }

    /// The project's users it does not send to, newest first, with the total count.
    pub async fn suppressed_users(
        &self,
        project_id: i64,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<SuppressedUser>, i64)> {
        let filter = "WHERE project_id = $1 AND (subscribed = 0 OR suppressed_reason IS NOT NULL)";
        let list_sql = format!(
            "SELECT id, email, CASE WHEN suppressed_reason IS NOT NULL THEN suppressed_reason ELSE 'unsubscribed' END AS reason,
               COALESCE(suppressed_at, updated_at) AS since FROM users {filter}
             ORDER BY COALESCE(suppressed_at, updated_at) DESC, id DESC LIMIT $2 OFFSET $3"
        );
        let count_sql = format!("SELECT COUNT(*) FROM users {filter}");
        with_pool!(self, |pool| {
            let items = sqlx::query_as(&list_sql)
                .bind(project_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count_sql)
                .bind(project_id)
                .fetch_one(pool)
                .await?;
            Ok((items, total))
        })
    }
}

impl Tx {
    /// Sends to the user again (subscribed, not suppressed); false when no such user of the project.
    /// `source`: who, for the user's change log (`panel: <email>`).
    pub async fn lift_suppression(
        &mut self,
        project_id: i64,
        user_id: i64,
        source: &str,
    ) -> sqlx::Result<bool> {
        with_tx!(self, |conn| {
            sqlx::query(
            "UPDATE users SET subscribed = 1, suppressed_reason = NULL, suppressed_at = NULL, updated_at = $1,
               change_source = $4
             WHERE id = $2 AND project_id = $3"
        )
        .bind(now_ms())
        .bind(user_id)
        .bind(project_id)
        .bind(source)
        .execute(conn)
        .await
        .map(|done| done.rows_affected() > 0)
        })
    }
}
