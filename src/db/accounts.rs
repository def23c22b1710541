use super::{Db, Tx, contains_pattern, now_ms, with_pool, with_tx};
use crate::model::{Account, AccountSummary};

const SUMMARY_COLUMNS: &str = "a.id, a.name, a.client_id, a.suspended_at, a.created_at,
    (SELECT COUNT(*) FROM projects p WHERE p.account_id = a.id) AS project_count,
    (SELECT COUNT(*) FROM api_keys k WHERE k.account_id = a.id AND k.revoked_at IS NULL) AS active_key_count";

impl Db {
    pub async fn account(&self, id: i64) -> sqlx::Result<Option<Account>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, name, client_id, suspended_at, webhook_url, created_at FROM accounts WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await
        })
    }

    pub async fn account_by_client_id(&self, client_id: &str) -> sqlx::Result<Option<Account>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, name, client_id, suspended_at, webhook_url, created_at FROM accounts WHERE client_id = $1",
            )
            .bind(client_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// Accounts whose name or client_id contains `search`, newest first, with the total count.
    pub async fn search_accounts(
        &self,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<AccountSummary>, i64)> {
        let pattern = contains_pattern(search);
        let filter = "WHERE LOWER(a.name) LIKE $1 ESCAPE '\\' OR a.client_id LIKE $1 ESCAPE '\\'";
        let list_sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM accounts a {filter} ORDER BY a.id DESC LIMIT $2 OFFSET $3"
        );
        let count_sql = format!("SELECT COUNT(*) FROM accounts a {filter}");
        with_pool!(self, |pool| {
            let items = sqlx::query_as(&list_sql)
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count_sql)
                .bind(&pattern)
                .fetch_one(pool)
                .await?;
            Ok((items, total))
        })
    }

    /// The account of the email with this message id (for staff, who read across accounts).
    pub async fn account_of_message(&self, message_id: &str) -> sqlx::Result<Option<i64>> {
        with_pool!(self, |pool| {
            sqlx::query_scalar(
                "SELECT p.account_id FROM emails e JOIN projects p ON p.id = e.project_id
                 WHERE e.message_id = $1",
            )
            .bind(message_id)
            .fetch_optional(pool)
            .await
        })
    }
}

impl Tx {
    pub async fn insert_account(&mut self, name: &str, client_id: &str) -> sqlx::Result<Account> {
        with_tx!(self, |conn| {
            sqlx::query_as(
                "INSERT INTO accounts (client_id, name, created_at) VALUES ($1, $2, $3)
                 RETURNING id, name, client_id, suspended_at, webhook_url, created_at",
            )
            .bind(client_id)
            .bind(name)
            .bind(now_ms())
            .fetch_one(conn)
            .await
        })
    }

    /// Sets or clears the suspension; returns false when the account does not exist.
    pub async fn set_account_suspended(&mut self, id: i64, suspended: bool) -> sqlx::Result<bool> {
        let at = suspended.then(now_ms);
        with_tx!(self, |conn| {
            let done = sqlx::query("UPDATE accounts SET suspended_at = $1 WHERE id = $2")
                .bind(at)
                .bind(id)
                .execute(conn)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Sets (or with `None`, clears) the account-wide webhook URL.
    pub async fn set_account_webhook_url(
        &mut self,
        id: i64,
        url: Option<&str>,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE accounts SET webhook_url = $1 WHERE id = $2"
        )
        .bind(url)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
    }
}
