use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::{EmailTypeDetail, EmailTypeInfo};

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
    /// An email type with its templates.
    pub async fn email_type(&self, id: i64) -> sqlx::Result<Option<EmailTypeDetail>> {
        with_pool!(self, |pool| sqlx::query_as(
            "SELECT id, project_id, name, category, subject, html_body, text_body, updated_at
             FROM email_types WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)
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

impl Tx {
    pub async fn insert_email_type(&mut self, t: NewEmailType<'_>) -> sqlx::Result<i64> {
        with_tx!(self, |conn| {
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
            .fetch_one(conn)
            .await
        })
    }

    /// Replaces the name, category and templates of an email type.
    pub async fn update_email_type(&mut self, id: i64, t: NewEmailType<'_>) -> sqlx::Result<()> {
        with_tx!(self, |conn| {
            sqlx::query(
            "UPDATE email_types SET name = $1, category = $2, subject = $3, html_body = $4, text_body = $5,
               updated_at = $6 WHERE id = $7"
        )
        .bind(t.name)
        .bind(t.category)
        .bind(t.subject)
        .bind(t.html_body)
        .bind(t.text_body)
        .bind(now_ms())
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
        })
    }
}
