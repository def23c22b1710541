use std::sync::LazyLock;

use super::{Db, now_ms, with_pool};
use crate::{domain::UserParams, model::User};

/// The parameters' columns, each after `prefix` (`"u."` or `""`): `name, gender, …`.
pub(super) fn param_columns(prefix: &str) -> String {
    UserParams::NAMES
        .map(|name| format!("{prefix}{name}"))
        .join(", ")
}

static USER_SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT u.id, u.project_id, p.account_id, u.email, {}, u.subscribed <> 0 AS subscribed,
            u.suppressed_reason, u.created_at, u.updated_at FROM users u JOIN projects p ON p.id = u.project_id",
        param_columns("u.")
    )
});

/// `User`'s columns after an update (RETURNING names only the updated table: the account comes from a
/// subquery).
static RETURNING_USER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "RETURNING id, project_id,
            (SELECT account_id FROM projects WHERE projects.id = users.project_id) AS account_id, email,
            {}, subscribed <> 0 AS subscribed, suppressed_reason, created_at, updated_at",
        param_columns("")
    )
});

/// Sets the given parameters where they differ; `updated_at` moves only when something changed, and
/// `change_source` names what changed it (the change log's trigger copies it). `$1` is the user id, `$2`
/// the time, `$3…` the parameters in the order of `UserParams::NAMES` (bound by `UserParams::bind_to`;
/// NULL = leave as is).
fn update_user_sql(source: &str) -> String {
    let params = UserParams::NAMES.iter().zip(3..);
    let set: Vec<String> = params
        .clone()
        .map(|(name, n)| format!("{name} = COALESCE(${n}, {name})"))
        .collect();
    let differs: Vec<String> = params
        .map(|(name, n)| format!("{name} IS DISTINCT FROM COALESCE(${n}, {name})"))
        .collect();
    format!(
        "UPDATE users SET {}, updated_at = $2, change_source = '{source}' WHERE id = $1 AND ({})",
        set.join(", "),
        differs.join(" OR ")
    )
}

/// The update of a send (`POST /v1/emails` with the user's parameters).
pub(super) static UPDATE_USER_SQL: LazyLock<String> = LazyLock::new(|| update_user_sql("send"));
/// The update of `PUT /v1/users/…`.
static UPDATE_USER_BY_API_SQL: LazyLock<String> = LazyLock::new(|| update_user_sql("api"));

impl Db {
    /// A user by id; with `account_id`, only if its project is that account's.
    pub async fn user(&self, account_id: Option<i64>, user_id: i64) -> sqlx::Result<Option<User>> {
        let sql = match account_id {
            Some(_) => format!("{} WHERE u.id = $1 AND p.account_id = $2", *USER_SELECT),
            None => format!("{} WHERE u.id = $1", *USER_SELECT),
        };
        with_pool!(self, |pool| {
            let query = sqlx::query_as(&sql).bind(user_id);
            match account_id {
                Some(account_id) => query.bind(account_id),
                None => query,
            }
            .fetch_optional(pool)
            .await
        })
    }

    /// The users with these ids (for the delivery workers).
    pub async fn users_by_ids(&self, ids: &[i64]) -> sqlx::Result<Vec<User>> {
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            with_pool!(self, |pool| {
                let mut select =
                    sqlx::QueryBuilder::new(format!("{} WHERE u.id IN (", *USER_SELECT));
                let mut list = select.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                select.push(")");
                users.extend(select.build_query_as::<User>().fetch_all(pool).await?);
            })
        }
        Ok(users)
    }

    /// A user by project and normalized email; with `account_id`, only if the project is that account's.
    pub async fn user_by_email(
        &self,
        account_id: Option<i64>,
        project_id: i64,
        email: &str,
    ) -> sqlx::Result<Option<User>> {
        let sql = match account_id {
            Some(_) => format!(
                "{} WHERE u.project_id = $1 AND u.email = $2 AND p.account_id = $3",
                *USER_SELECT
            ),
            None => format!("{} WHERE u.project_id = $1 AND u.email = $2", *USER_SELECT),
        };
        with_pool!(self, |pool| {
            let query = sqlx::query_as(&sql).bind(project_id).bind(email);
            match account_id {
                Some(account_id) => query.bind(account_id),
                None => query,
            }
            .fetch_optional(pool)
            .await
        })
    }

    /// Updates the given parameters of a user (only what differs). Returns the user as stored after the
    /// change, or `None` when nothing differed (nothing was written, `updated_at` did not move).
    pub async fn update_user(
        &self,
        user_id: i64,
        params: &UserParams,
    ) -> sqlx::Result<Option<User>> {
        let sql = format!("{} {}", *UPDATE_USER_BY_API_SQL, *RETURNING_USER);
        with_pool!(self, |pool| {
            params
                .bind_to_as(sqlx::query_as(&sql).bind(user_id).bind(now_ms()))
                .fetch_optional(pool)
                .await
        })
    }

    /// True when the project exists and belongs to the account.
    pub async fn project_of_account(&self, account_id: i64, project_id: i64) -> sqlx::Result<bool> {
        with_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM projects WHERE id = $1 AND account_id = $2",
            )
            .bind(project_id)
            .bind(account_id)
            .fetch_one(pool)
            .await
            .map(|n| n > 0)
        })
    }
}
