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

/// The templates of an email type as they were from a time on.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TemplateVersion {
    pub subject: String,
    pub html_body: String,
    pub text_body: String,
    pub created_at: i64,
}

impl Db {
    /// The version of a type's templates in effect at `at`; `false` with it when `at` is older than
    /// every kept version (the oldest kept is given).
    pub async fn template_version_at(
        &self,
        type_id: i64,
        at: i64,
    ) -> sqlx::Result<Option<(TemplateVersion, bool)>> {
        let in_effect: Option<TemplateVersion> = with_pool!(self, |pool| sqlx::query_as(
            "SELECT subject, html_body, text_body, created_at FROM email_type_versions
             WHERE type_id = $1 AND created_at <= $2 ORDER BY created_at DESC, id DESC LIMIT 1"
        )
        .bind(type_id)
        .bind(at)
        .fetch_optional(pool)
        .await)?;
        if let Some(version) = in_effect {
            return Ok(Some((version, true)));
        }
        let oldest: Option<TemplateVersion> = with_pool!(self, |pool| sqlx::query_as(
            "SELECT subject, html_body, text_body, created_at FROM email_type_versions
             WHERE type_id = $1 ORDER BY created_at, id LIMIT 1"
        )
        .bind(type_id)
        .fetch_optional(pool)
        .await)?;
        Ok(oldest.map(|v| (v, false)))
    }
}

impl Db {
    /// Every kept version of these email types' templates: (type, version), oldest first.
    pub async fn template_versions(
        &self,
        type_ids: &[i64],
    ) -> sqlx::Result<Vec<(i64, TemplateVersion)>> {
        let mut versions = Vec::new();
        for type_id in type_ids {
            let rows: Vec<TemplateVersion> = with_pool!(self, |pool| sqlx::query_as(
                "SELECT subject, html_body, text_body, created_at FROM email_type_versions
                 WHERE type_id = $1 ORDER BY created_at, id"
            )
            .bind(type_id)
            .fetch_all(pool)
            .await)?;
            versions.extend(rows.into_iter().map(|v| (*type_id, v)));
        }
        Ok(versions)
    }
}

impl Tx {
    /// Keeps the type's templates as its version from now on.
    async fn insert_template_version(
        &mut self,
        type_id: i64,
        t: &NewEmailType<'_>,
        at: i64,
    ) -> sqlx::Result<()> {
        with_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO email_type_versions (type_id, subject, html_body, text_body, created_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(type_id)
            .bind(t.subject)
            .bind(t.html_body)
            .bind(t.text_body)
            .bind(at)
            .execute(conn)
            .await
            .map(drop)
        })
    }

    pub async fn insert_email_type(&mut self, t: NewEmailType<'_>) -> sqlx::Result<i64> {
        let now = now_ms();
        let id = with_tx!(&mut *self, |conn| {
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
            .bind(now)
            .fetch_one(conn)
            .await
        })?;
        self.insert_template_version(id, &t, now).await?;
        Ok(id)
    }

    /// Replaces the name, category and templates of an email type (the templates are kept as a new
    /// version).
    pub async fn update_email_type(&mut self, id: i64, t: NewEmailType<'_>) -> sqlx::Result<()> {
        let now = now_ms();
        with_tx!(&mut *self, |conn| {
            sqlx::query(
            "UPDATE email_types SET name = $1, category = $2, subject = $3, html_body = $4, text_body = $5,
               updated_at = $6 WHERE id = $7"
        )
        .bind(t.name)
        .bind(t.category)
        .bind(t.subject)
        .bind(t.html_body)
        .bind(t.text_body)
        .bind(now)
        .bind(id)
        .execute(conn)
        .await
        .map(drop)
        })?;
        self.insert_template_version(id, &t, now).await
    }
}
