use super::{Db, now_ms, with_pool};

impl Db {
    pub async fn insert_login_failure(&self, email: &str, ip: &str) -> sqlx::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("INSERT INTO login_failures (email, ip, at) VALUES ($1, $2, $3)")
                .bind(email)
                .bind(ip)
                .bind(now_ms())
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// Failed logins since `since` (ms) for this email and for this IP, and the oldest of them.
    pub async fn login_failures_since(
        &self,
        email: &str,
        ip: &str,
        since: i64,
    ) -> sqlx::Result<(i64, i64, Option<i64>)> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT
                   (SELECT COUNT(*) FROM login_failures WHERE email = $1 AND at >= $3),
                   (SELECT COUNT(*) FROM login_failures WHERE ip = $2 AND at >= $3),
                   (SELECT MIN(at) FROM login_failures WHERE (email = $1 OR ip = $2) AND at >= $3)",
            )
            .bind(email)
            .bind(ip)
            .bind(since)
            .fetch_one(pool)
            .await
        })
    }

    /// A successful login clears that email's failures.
    pub async fn clear_login_failures(&self, email: &str) -> sqlx::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE email = $1")
                .bind(email)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// Forgets failures older than `before` (run periodically).
    pub async fn prune_login_failures(&self, before: i64) -> sqlx::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE at < $1")
                .bind(before)
                .execute(pool)
                .await
                .map(drop)
        })
    }
}
