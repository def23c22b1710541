//! What support reads about users: the Users list (filters, email-prefix search, keyset pages), a
//! user's timeline of emails with their events and webhooks, and an email's context.
use std::{collections::HashMap, sync::LazyLock};

use sqlx::QueryBuilder;

use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::{
    ActivityEmail, EmailEvent, ProjectChoice, SuppressionCause, UserChangeEntry, UserSummary,
    WebhookDelivery,
};

/// Which users a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserFilter {
    /// Only this account's (a client's scope).
    pub account_id: Option<i64>,
    pub project_id: Option<i64>,
    /// `subscribed`, `unsubscribed` or `suppressed`.
    pub state: Option<&'static str>,
    /// Addresses that start with this (lowercase): the list is then in address order.
    pub email_prefix: Option<String>,
    /// Only users whose latest email is in this status.
    pub last_status: Option<String>,
}

/// Where a keyset page starts: after or before the row with this key, in the list's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCursor {
    After(UserKey),
    Before(UserKey),
}

/// A row's place in a list: its id (newest first), and its address when the list is in address order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserKey {
    pub id: i64,
    pub email: Option<String>,
}

const SUMMARY_COLUMNS: &str = "u.id, u.project_id, p.name AS project_name, p.account_id,
    a.name AS account_name, u.email, u.name, u.client_user_id, u.subscribed <> 0 AS subscribed,
    u.suppressed_reason, u.created_at, u.updated_at";

/// A user's latest email (`le`) on SQLite: an index seek on `emails (user_id, id)` and a row by id.
const LATEST_EMAIL_SQLITE: &str =
    "LEFT JOIN emails le ON le.id = (SELECT MAX(e.id) FROM emails e WHERE e.user_id = u.id)";

/// The same on PostgreSQL, a lateral read down `emails (user_id, id)`: the planner plans it in under
/// half the time of the `MAX` subquery joined by id (these pages plan each execution: their cursors
/// and prefixes make a generic plan costlier), and runs it in half the time.
const LATEST_EMAIL_POSTGRES: &str = "LEFT JOIN LATERAL (SELECT e.id, e.status, e.created_at
    FROM emails e WHERE e.user_id = u.id ORDER BY e.id DESC LIMIT 1) le ON true";

/// Users with their latest email, for SQLite and for PostgreSQL.
static SUMMARY_SELECT: LazyLock<[String; 2]> = LazyLock::new(|| {
    [LATEST_EMAIL_SQLITE, LATEST_EMAIL_POSTGRES].map(|latest| {
        format!(
            "SELECT {SUMMARY_COLUMNS}, le.id AS last_email_id, le.status AS last_status,
                le.created_at AS last_email_at
             FROM users u JOIN projects p ON p.id = u.project_id JOIN accounts a ON a.id = p.account_id
             {latest}"
        )
    })
});

fn summary_select(postgres: bool) -> &'static str {
    &SUMMARY_SELECT[usize::from(postgres)]
}

/// Users by their latest email, newest first: each user's latest email (`e`, the one with no newer
/// email of the same user), read down the emails' primary key.
static ACTIVITY_SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {SUMMARY_COLUMNS}, e.id AS last_email_id, e.status AS last_status,
            e.created_at AS last_email_at
         FROM emails e JOIN users u ON u.id = e.user_id JOIN projects p ON p.id = u.project_id
         JOIN accounts a ON a.id = p.account_id
         WHERE NOT EXISTS (SELECT 1 FROM emails n WHERE n.user_id = e.user_id AND n.id > e.id)"
    )
});

/// One email of a user's timeline, as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TimelineRow {
    pub id: i64,
    pub message_id: String,
    pub type_name: String,
    pub category: String,
    pub status: String,
    pub first_status: String,
    pub created_at: i64,
    pub type_id: i64,
    pub data: String,
}

/// Where an email belongs, for its detail page.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct EmailContext {
    pub type_name: String,
    pub project_name: String,
    pub outbox_id: Option<i64>,
}

/// Which emails a project's activity list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityFilter {
    pub status: Option<String>,
    pub type_id: Option<i64>,
    /// Exactly this message id.
    pub message_id: Option<String>,
    /// Recipients whose address starts with this (lowercase).
    pub recipient_prefix: Option<String>,
    /// Created at or after (unix ms).
    pub from: Option<i64>,
    /// Created before (unix ms).
    pub until: Option<i64>,
}

/// Adds the filter's conditions (each after ` AND `) to a query that already has a `WHERE`.
macro_rules! push_user_filter {
    ($query:expr, $filter:expr, $postgres:expr) => {{
        let filter: &UserFilter = $filter;
        if let Some(account_id) = filter.account_id {
            $query.push(" AND p.account_id = ").push_bind(account_id);
        }
        if let Some(project_id) = filter.project_id {
            $query.push(" AND u.project_id = ").push_bind(project_id);
        }
        match filter.state {
            Some("subscribed") => {
                $query.push(" AND u.subscribed <> 0 AND u.suppressed_reason IS NULL");
            }
            Some("unsubscribed") => {
                $query.push(" AND u.subscribed = 0 AND u.suppressed_reason IS NULL");
            }
            Some(_) => {
                $query.push(" AND u.suppressed_reason IS NOT NULL");
            }
            None => {}
        }
        if let Some(prefix) = &filter.email_prefix {
            // Every address that starts with the prefix sorts (bytewise) between it and the prefix
            // followed by the greatest character.
            let email = email_column($postgres);
            $query
                .push(format!(" AND {email} >= "))
                .push_bind(prefix.clone());
            $query
                .push(format!(" AND {email} < "))
                .push_bind(format!("{prefix}\u{10FFFF}"));
        }
    }};
}

/// The address column compared bytewise (PostgreSQL's collation may not be; see migration 0008).
fn email_column(postgres: bool) -> &'static str {
    if postgres {
        "(u.email COLLATE \"C\")"
    } else {
        "u.email"
    }
}

impl Db {
    /// A keyset page of users: newest first, or in address order when searching by prefix. Reads
    /// `limit + 1` rows to tell whether there are more; the caller trims.
    pub async fn user_page(
        &self,
        filter: &UserFilter,
        cursor: Option<&UserCursor>,
        limit: i64,
    ) -> sqlx::Result<Vec<UserSummary>> {
        let postgres = matches!(self, Db::Postgres(_));
        let by_email = filter.email_prefix.is_some();
        let backward = matches!(cursor, Some(UserCursor::Before(_)));
        // Address order ascends, creation order descends; going backward reverses either.
        let ascending = by_email != backward;
        let email = email_column(postgres);
        with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(format!("{} WHERE 1 = 1", summary_select(postgres)));
            push_user_filter!(query, filter, postgres);
            if let Some(status) = &filter.last_status {
                query.push(" AND le.status = ").push_bind(status.clone());
            }
            if let Some(UserCursor::After(key) | UserCursor::Before(key)) = cursor {
                let op = if ascending { ">" } else { "<" };
                match (&key.email, by_email) {
                    (Some(address), true) => {
                        query.push(format!(" AND ({email}, u.id) {op} ("));
                        query.push_bind(address.clone()).push(", ");
                        query.push_bind(key.id).push(")");
                    }
                    _ => {
                        query.push(format!(" AND u.id {op} ")).push_bind(key.id);
                    }
                }
            }
            let dir = if ascending { "ASC" } else { "DESC" };
            if by_email {
                query.push(format!(" ORDER BY {email} {dir}, u.id {dir}"));
            } else {
                query.push(format!(" ORDER BY u.id {dir}"));
            }
            query.push(" LIMIT ").push_bind(limit + 1);
            // Going backward, the nearest rows come first: the caller puts them in the list's order.
            query.build_query_as().fetch_all(pool).await
        })
    }

    /// A page of users by their latest email, newest first, before the email with id `before` (a
    /// cursor). Reads `limit + 1` rows (the caller trims).
    pub async fn users_by_activity(
        &self,
        filter: &UserFilter,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<UserSummary>> {
        let postgres = matches!(self, Db::Postgres(_));
        with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(ACTIVITY_SELECT.as_str());
            push_user_filter!(query, filter, postgres);
            if let Some(status) = &filter.last_status {
                query.push(" AND e.status = ").push_bind(status.clone());
            }
            if let Some(before) = before {
                query.push(" AND e.id < ").push_bind(before);
            }
            query
                .push(" ORDER BY e.id DESC LIMIT ")
                .push_bind(limit + 1);
            query.build_query_as().fetch_all(pool).await
        })
    }

    /// Users whose id or `client_user_id` is exactly `term` (at most `limit`), within the filter
    /// (the prefix aside).
    pub async fn users_matching(
        &self,
        filter: &UserFilter,
        term: &str,
        limit: i64,
    ) -> sqlx::Result<Vec<UserSummary>> {
        let postgres = matches!(self, Db::Postgres(_));
        let filter = UserFilter {
            email_prefix: None,
            last_status: None,
            ..filter.clone()
        };
        let id = term.parse::<i64>().ok();
        with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(format!(
                "{} WHERE (u.client_user_id = ",
                summary_select(postgres)
            ));
            query.push_bind(term.to_owned());
            if let Some(id) = id {
                query.push(" OR u.id = ").push_bind(id);
            }
            query.push(")");
            push_user_filter!(query, &filter, postgres);
            query.push(" ORDER BY u.id DESC LIMIT ").push_bind(limit);
            query.build_query_as().fetch_all(pool).await
        })
    }

    /// The projects a filter offers: the account's, or every project.
    pub async fn project_choices(
        &self,
        account_id: Option<i64>,
    ) -> sqlx::Result<Vec<ProjectChoice>> {
        let base = "SELECT p.id, p.name, p.account_id, a.name AS account_name FROM projects p
            JOIN accounts a ON a.id = p.account_id";
        with_pool!(self, |pool| match account_id {
            Some(account_id) => {
                sqlx::query_as(&format!(
                    "{base} WHERE p.account_id = $1 ORDER BY p.name, p.id"
                ))
                .bind(account_id)
                .fetch_all(pool)
                .await
            }
            None => {
                sqlx::query_as(&format!("{base} ORDER BY a.name, p.name, p.id"))
                    .fetch_all(pool)
                    .await
            }
        })
    }

    /// When the user was suppressed (bounced, complained) or unsubscribed, and the latest email event
    /// that did it.
    pub async fn suppression_of(
        &self,
        user_id: i64,
    ) -> sqlx::Result<(Option<i64>, Option<SuppressionCause>)> {
        with_pool!(self, |pool| {
            let at: Option<Option<i64>> =
                sqlx::query_scalar("SELECT suppressed_at FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(pool)
                    .await?;
            let cause = sqlx::query_as(
                "SELECT e.message_id, ev.status, ev.detail, ev.at
                 FROM email_events ev JOIN emails e ON e.id = ev.email_id
                 WHERE e.user_id = $1 AND ev.status IN ('unsubscribed', 'bounced', 'complained')
                 ORDER BY ev.at DESC, ev.id DESC LIMIT 1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
            Ok((at.flatten(), cause))
        })
    }

    /// How many emails the user has.
    pub async fn email_count_of_user(&self, user_id: i64) -> sqlx::Result<i64> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM emails WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)
    }

    /// A page of the user's emails, newest first, before the email with id `before`; `status`: only
    /// those whose current status it is. Reads `limit + 1` rows (the caller trims).
    pub async fn timeline_emails(
        &self,
        user_id: i64,
        status: Option<&str>,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<TimelineRow>> {
        with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(
                "SELECT e.id, e.message_id, t.name AS type_name, e.category, e.status, e.first_status,
                    e.created_at, e.type_id, e.data
                 FROM emails e JOIN email_types t ON t.id = e.type_id WHERE e.user_id = ",
            );
            query.push_bind(user_id);
            if let Some(status) = status {
                query.push(" AND e.status = ").push_bind(status.to_owned());
            }
            if let Some(before) = before {
                query.push(" AND e.id < ").push_bind(before);
            }
            query
                .push(" ORDER BY e.id DESC LIMIT ")
                .push_bind(limit + 1);
            query.build_query_as().fetch_all(pool).await
        })
    }

    /// The recorded events (after the first status, which the email's row keeps) of these emails, by
    /// email id, oldest first.
    pub async fn events_of_emails(
        &self,
        email_ids: &[i64],
    ) -> sqlx::Result<HashMap<i64, Vec<EmailEvent>>> {
        let mut by_email: HashMap<i64, Vec<EmailEvent>> = HashMap::new();
        if email_ids.is_empty() {
            return Ok(by_email);
        }
        let rows: Vec<(i64, String, Option<String>, i64)> = with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(
                "SELECT email_id, status, detail, at FROM email_events WHERE email_id IN (",
            );
            let mut ids = query.separated(", ");
            for id in email_ids {
                ids.push_bind(*id);
            }
            query.push(") ORDER BY email_id, id");
            query.build_query_as().fetch_all(pool).await
        })?;
        for (email_id, status, detail, at) in rows {
            by_email
                .entry(email_id)
                .or_default()
                .push(EmailEvent { status, detail, at });
        }
        Ok(by_email)
    }

    /// The webhooks about these emails, by the email's message id, oldest first.
    pub async fn webhooks_of_emails(
        &self,
        email_ids: &[i64],
    ) -> sqlx::Result<HashMap<String, Vec<WebhookDelivery>>> {
        let mut by_email: HashMap<String, Vec<WebhookDelivery>> = HashMap::new();
        if email_ids.is_empty() {
            return Ok(by_email);
        }
        let rows: Vec<WebhookDelivery> = with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(format!(
                "{} WHERE w.email_id IN (",
                super::webhooks::DELIVERY_SELECT
            ));
            let mut ids = query.separated(", ");
            for id in email_ids {
                ids.push_bind(*id);
            }
            query.push(") ORDER BY w.id");
            query.build_query_as().fetch_all(pool).await
        })?;
        for row in rows {
            if let Some(message_id) = row.email_message_id.clone() {
                by_email.entry(message_id).or_default().push(row);
            }
        }
        Ok(by_email)
    }

    /// The webhooks about a user's emails, newest first, before the webhook `before`. Reads
    /// `limit + 1` rows (the caller trims).
    pub async fn webhooks_of_user(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<WebhookDelivery>> {
        let sql = format!(
            "{} WHERE e.user_id = $1 AND ($2 IS NULL OR w.id < $2) ORDER BY w.id DESC LIMIT $3",
            super::webhooks::DELIVERY_SELECT
        );
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(user_id)
            .bind(before)
            .bind(limit + 1)
            .fetch_all(pool)
            .await)
    }

    /// A page of the user's recorded changes, newest first, before the change `before`. Reads
    /// `limit + 1` rows (the caller trims).
    pub async fn user_changes(
        &self,
        user_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<UserChangeEntry>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT id, field, old, new, source, at FROM user_changes WHERE user_id = $1 AND id < $2
             ORDER BY id DESC LIMIT $3"
        )
        .bind(user_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(limit + 1)
        .fetch_all(pool)
        .await
        })
    }

    /// A page of a project's emails, newest first, before the email with id `before`. Reads
    /// `limit + 1` rows (the caller trims).
    pub async fn project_activity(
        &self,
        project_id: i64,
        filter: &ActivityFilter,
        before: Option<i64>,
        limit: i64,
    ) -> sqlx::Result<Vec<ActivityEmail>> {
        let postgres = matches!(self, Db::Postgres(_));
        with_pool!(self, |pool| {
            let mut query = QueryBuilder::new(
                "SELECT e.id, e.message_id, e.user_id, u.email AS recipient, t.name AS type_name,
                    e.category, e.status, e.created_at, e.updated_at
                 FROM emails e JOIN users u ON u.id = e.user_id JOIN email_types t ON t.id = e.type_id
                 WHERE e.project_id = ",
            );
            query.push_bind(project_id);
            if let Some(status) = &filter.status {
                query.push(" AND e.status = ").push_bind(status.clone());
            }
            if let Some(type_id) = filter.type_id {
                query.push(" AND e.type_id = ").push_bind(type_id);
            }
            if let Some(message_id) = &filter.message_id {
                query
                    .push(" AND e.message_id = ")
                    .push_bind(message_id.clone());
            }
            if let Some(prefix) = &filter.recipient_prefix {
                // The matching users first (their project's addresses are indexed), then their emails.
                let email = email_column(postgres);
                query.push(" AND e.user_id IN (SELECT u.id FROM users u WHERE u.project_id = ");
                query.push_bind(project_id);
                query
                    .push(format!(" AND {email} >= "))
                    .push_bind(prefix.clone());
                query
                    .push(format!(" AND {email} < "))
                    .push_bind(format!("{prefix}\u{10FFFF}"));
                query.push(")");
            }
            if let Some(from) = filter.from {
                query.push(" AND e.created_at >= ").push_bind(from);
            }
            if let Some(until) = filter.until {
                query.push(" AND e.created_at < ").push_bind(until);
            }
            if let Some(before) = before {
                query.push(" AND e.id < ").push_bind(before);
            }
            query
                .push(" ORDER BY e.id DESC LIMIT ")
                .push_bind(limit + 1);
            query.build_query_as().fetch_all(pool).await
        })
    }

    /// The email's type and project names, and its captured copy in the outbox if there is one.
    pub async fn email_context(&self, email_id: i64) -> sqlx::Result<Option<EmailContext>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT t.name AS type_name, p.name AS project_name, o.id AS outbox_id
             FROM emails e JOIN email_types t ON t.id = e.type_id JOIN projects p ON p.id = e.project_id
             LEFT JOIN outbox o ON o.email_id = e.id WHERE e.id = $1"
        )
        .bind(email_id)
        .fetch_optional(pool)
        .await
        })
    }
}

impl Tx {
    /// Marks the user unsubscribed (a person's request passed on by support or the client); false when
    /// no such user.
    /// `source`: who, for the user's change log (`panel: <email>`).
    pub async fn unsubscribe_user_by_hand(
        &mut self,
        user_id: i64,
        source: &str,
    ) -> sqlx::Result<bool> {
        with_tx!(self, |conn| {
            sqlx::query(
                "UPDATE users SET subscribed = 0, updated_at = $1, change_source = $3 WHERE id = $2",
            )
                .bind(now_ms())
                .bind(user_id)
                .bind(source)
                .execute(conn)
                .await
                .map(|done| done.rows_affected() > 0)
        })
    }
}
