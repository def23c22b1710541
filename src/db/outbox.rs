//! The captured outbox: emails kept instead of sent when no SMTP relay is configured.
use super::{Db, contains_pattern, with_pool};
use crate::model::OutboxEntry;

const ENTRY_COLUMNS: &str =
    "o.id, e.message_id, o.project_id, p.name AS project_name, o.sender, o.recipient,
    o.subject, o.created_at";
const FROM: &str =
    "FROM outbox o JOIN emails e ON e.id = o.email_id JOIN projects p ON p.id = o.project_id";

impl Db {
    /// Captured emails, newest first, of one account's projects (or of all), whose recipient, subject or
    /// message id contains `search`; with the total count.
    pub async fn outbox_entries(
        &self,
        account_id: Option<i64>,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> sqlx::Result<(Vec<OutboxEntry>, i64)> {
        let filter = "WHERE ($1 IS NULL OR p.account_id = $1)
            AND (LOWER(o.recipient) LIKE $2 ESCAPE '\\' OR LOWER(o.subject) LIKE $2 ESCAPE '\\'
                 OR LOWER(e.message_id) LIKE $2 ESCAPE '\\')";
        let list_sql =
            format!("SELECT {ENTRY_COLUMNS} {FROM} {filter} ORDER BY o.id DESC LIMIT $3 OFFSET $4");
        let count_sql = format!("SELECT COUNT(*) {FROM} {filter}");
        let pattern = contains_pattern(search);
        with_pool!(self, |pool| {
            let items = sqlx::query_as(&list_sql)
                .bind(account_id)
                .bind(&pattern)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total = sqlx::query_scalar(&count_sql)
                .bind(account_id)
                .bind(&pattern)
                .fetch_one(pool)
                .await?;
            Ok((items, total))
        })
    }

    /// One captured email with its source, if it is of the account's projects (or any, for `None`).
    pub async fn outbox_message(
        &self,
        id: i64,
        account_id: Option<i64>,
    ) -> sqlx::Result<Option<(OutboxEntry, String)>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS}, o.raw {FROM} WHERE o.id = $1 AND ($2 IS NULL OR p.account_id = $2)"
        );
        with_pool!(self, |pool| {
            let row: Option<OutboxRaw> = sqlx::query_as(&sql)
                .bind(id)
                .bind(account_id)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| (r.entry, r.raw)))
        })
    }
}

#[derive(sqlx::FromRow)]
struct OutboxRaw {
    #[sqlx(flatten)]
    entry: OutboxEntry,
    raw: String,
}
