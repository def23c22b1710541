use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::ProjectInfo;

const PROJECT_SELECT: &str =
    "SELECT p.id, p.account_id, a.name AS account_name, p.name, p.webhook_url, p.sender_email,
    p.sender_name, p.created_at, a.webhook_url AS account_webhook_url, p.webhook_events,
    p.webhook_failing_since
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
            sqlx::query_scalar(
                "INSERT INTO projects (account_id, name, created_at, webhook_secret) VALUES ($1, $2, $3, $4)
                 RETURNING id",
            )
            .bind(account_id)
            .bind(name)
            .bind(now_ms())
            .bind(crate::domain::new_secret())
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

impl Tx {
    pub async fn rename_project(&mut self, id: i64, name: &str) -> sqlx::Result<()> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE projects SET name = $1 WHERE id = $2"
        )
        .bind(name)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
    }

    /// Sets (or with `None`, clears) a project's own webhook URL.
    pub async fn set_project_webhook_url(
        &mut self,
        id: i64,
        url: Option<&str>,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE projects SET webhook_url = $1 WHERE id = $2"
        )
        .bind(url)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
    }

    /// Sets the event types a project's webhooks carry (`None`: all).
    pub async fn set_project_webhook_events(
        &mut self,
        id: i64,
        events: Option<i64>,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE projects SET webhook_events = $1 WHERE id = $2"
        )
        .bind(events)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
    }

    /// Replaces a project's signing secret; the one it replaces keeps signing until `previous_until`.
    pub async fn rotate_webhook_secret(
        &mut self,
        id: i64,
        secret: &str,
        previous_until: i64,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| sqlx::query(
            "UPDATE projects SET webhook_secret_previous = webhook_secret,
               webhook_secret_previous_until = $1, webhook_secret = $2 WHERE id = $3"
        )
        .bind(previous_until)
        .bind(secret)
        .bind(id)
        .execute(conn)
        .await
        .map(drop))
    }
}

/// A project's signing secrets: the current one, and the one it replaced while that one still signs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookSecrets {
    pub webhook_secret: Option<String>,
    pub webhook_secret_previous: Option<String>,
    pub webhook_secret_previous_until: Option<i64>,
}

impl Db {
    /// The project's signing secrets; a project made before webhooks existed gets its first one here.
    pub async fn webhook_secrets(&self, project_id: i64) -> sqlx::Result<Option<WebhookSecrets>> {
        let select = "SELECT webhook_secret, webhook_secret_previous, webhook_secret_previous_until
             FROM projects WHERE id = $1";
        with_pool!(self, |pool| {
            let found: Option<WebhookSecrets> = sqlx::query_as(select)
                .bind(project_id)
                .fetch_optional(pool)
                .await?;
            if found.as_ref().is_none_or(|s| s.webhook_secret.is_some()) {
                return Ok(found);
            }
            sqlx::query(
                "UPDATE projects SET webhook_secret = $1 WHERE id = $2 AND webhook_secret IS NULL",
            )
            .bind(crate::domain::new_secret())
            .bind(project_id)
            .execute(pool)
            .await?;
            sqlx::query_as(select)
                .bind(project_id)
                .fetch_optional(pool)
                .await
        })
    }
}
