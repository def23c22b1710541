use super::{Db, now_ms, with_pool};
use crate::model::EmailTypeInfo;

/// A new email type (template) of a project.
pub struct NewEmailType<'a> {
    pub project_id: i64,
    pub name: &'a str,
    pub category: &'a str,
    pub subject: &'a str,
    pub html_body: &'a str,
    pub text_body: &'a str,
}

impl Db {
    pub async fn insert_email_type(&self, t: NewEmailType<'_>) -> sqlx::Result<i64> {
        with_pool!(self, |pool| {
            sqlx::query_scalar(
                "INSERT INTO email_types (project_id, name, category, subject, html_body, text_body, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(t.project_id)
            .bind(t.name)
            .bind(t.category)
            .bind(t.subject)
            .bind(t.html_body)
            .bind(t.text_body)
            .bind(now_ms())
            .fetch_one(pool)
            .await
        })
    }

    /// The email types of a project, oldest first.
    pub async fn email_types_of_project(
        &self,
        project_id: i64,
    ) -> sqlx::Result<Vec<EmailTypeInfo>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, project_id, name, category, subject, created_at FROM email_types
                 WHERE project_id = $1 ORDER BY id",
            )
            .bind(project_id)
            .fetch_all(pool)
            .await
        })
    }
}
