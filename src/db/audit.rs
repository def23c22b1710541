use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::AuditEntry;

impl Db {
    /// The newest `limit` audit entries of an account.
    pub async fn audit_of_account(
        &self,
        account_id: i64,
        limit: i64,
    ) -> sqlx::Result<Vec<AuditEntry>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, actor_email, action, detail, at FROM audit_events WHERE account_id = $1
                 ORDER BY id DESC LIMIT $2",
            )
            .bind(account_id)
            .bind(limit)
            .fetch_all(pool)
            .await
        })
    }
}

impl Tx {
    /// Appends to the audit trail. `actor_id` is `None` for the operator CLI.
    pub async fn insert_audit(
        &mut self,
        account_id: Option<i64>,
        actor_id: Option<i64>,
        actor_email: &str,
        action: &str,
        detail: &str,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO audit_events (account_id, actor_id, actor_email, action, detail, at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(account_id)
            .bind(actor_id)
            .bind(actor_email)
            .bind(action)
            .bind(detail)
            .bind(now_ms())
            .execute(conn)
            .await
            .map(drop)
        })
    }
}
