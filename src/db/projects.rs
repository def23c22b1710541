use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::ProjectInfo;

const PROJECT_SELECT: &str =
    "SELECT p.id, p.account_id, a.name AS account_name, p.name, p.webhook_url, p.sender_email,
    p.sender_name, p.created_at
    FROM projects p JOIN accounts a ON a.id = p.account_id";

impl Db {
    pub async fn project(&self, id: i64) -> sqlx::Result<Option<ProjectInfo>> {
        let sql = format!("{PROJECT_SELECT} WHERE p.id = $1");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)
    }

    pub async fn projects_of_account(&self, account_id: i64) -> sqlx::Result<Vec<ProjectInfo>> {
        let sql = format!("{PROJECT_SELECT} WHERE p.account_id = $1 ORDER BY p.name, p.id");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(account_id)
            .fetch_all(pool)
            .await)
    }

    /// All projects, for staff, newest first, with the total count.
    pub async fn all_projects(
        &self,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<ProjectInfo>, i64)> {
        let sql = format!("{PROJECT_SELECT} ORDER BY p.id DESC LIMIT $1 OFFSET $2");
        with_pool!(self, |pool| {
            let items = sqlx::query_as(&sql)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar("SELECT COUNT(*) FROM projects")
                .fetch_one(pool)
                .await?;
            Ok((items, total))
        })
    }
}

impl Tx {
    pub async fn insert_project(&mut self, account_id: i64, name: &str) -> sqlx::Result<i64> {
        with_tx!(self, |conn| {
            sqlx::query_scalar("INSERT INTO projects (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(account_id)
                .bind(name)
                .bind(now_ms())
                .fetch_one(conn)
                .await
        })
    }

    /// Sets (or with `None`, clears) the sender of a project's emails.
    pub async fn set_project_sender(
        &mut self,
        id: i64,
        email: Option<&str>,
        name: Option<&str>,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE projects SET sender_email = $1, sender_name = $2 WHERE id = $3"
        )
        .bind(email)
        .bind(name)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
    }
}
