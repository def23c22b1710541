//! Reading stored emails and their events. (Storing sends is `sends`'.)
use super::{Db, with_pool};

/// An email as stored, with its current status.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EmailRow {
    pub id: i64,
    pub message_id: String,
    pub project_id: i64,
    pub user_id: i64,
    pub email: String,
    pub type_id: i64,
    pub category: String,
    pub data: String,
    pub meta: String,
    pub status: String,
    /// The status it was stored with (`queued` or `suppressed`): its first event, at `created_at`.
    pub first_status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One status change of an email.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub status: String,
    pub detail: Option<String>,
    pub at: i64,
}

impl Db {
    /// The email type's category, if the type belongs to the project.
    pub async fn email_type_category(
        &self,
        project_id: i64,
        type_id: i64,
    ) -> sqlx::Result<Option<String>> {
        with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT category FROM email_types WHERE id = $1 AND project_id = $2")
                .bind(type_id)
                .bind(project_id)
                .fetch_optional(pool)
                .await
        })
    }

    /// An email of one of the account's projects, by message id.
    pub async fn email_of_account(
        &self,
        account_id: i64,
        message_id: &str,
    ) -> sqlx::Result<Option<EmailRow>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT e.id, e.message_id, e.project_id, e.user_id, u.email, e.type_id, e.category, e.data, e.meta,
                   e.status, e.first_status, e.created_at, e.updated_at
                 FROM emails e JOIN projects p ON p.id = e.project_id JOIN users u ON u.id = e.user_id
                 WHERE e.message_id = $1 AND p.account_id = $2",
            )
            .bind(message_id)
            .bind(account_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// The events of an email, oldest first: the status it was stored with, kept in its row, then the
    /// changes stored in `email_events`.
    pub async fn email_events(&self, email: &EmailRow) -> sqlx::Result<Vec<EventRow>> {
        let changes: Vec<EventRow> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT status, detail, at FROM email_events WHERE email_id = $1 ORDER BY id",
            )
            .bind(email.id)
            .fetch_all(pool)
            .await
        })?;
        let first = EventRow {
            status: email.first_status.clone(),
            detail: None,
            at: email.created_at,
        };
        Ok(std::iter::once(first).chain(changes).collect())
    }

    /// The message ids of all stored emails (for tests and audits of durability).
    pub async fn all_message_ids(&self) -> sqlx::Result<Vec<String>> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT message_id FROM emails ORDER BY id"
        )
        .fetch_all(pool)
        .await)
    }
}
