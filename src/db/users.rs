use super::{Db, now_ms, with_pool};
use crate::{domain::UserParams, model::User};

const USER_SELECT: &str = "SELECT u.id, u.project_id, p.account_id, u.email, u.name, u.gender, u.platform_id, u.country_id,
    u.list_id, u.client_user_id, u.ak, u.age, u.photo, u.language_id, u.subscribed <> 0 AS subscribed,
    u.suppressed_reason, u.created_at, u.updated_at FROM users u JOIN projects p ON p.id = u.project_id";

/// `User`'s columns after an update (RETURNING names only the updated table: the account comes from a
/// subquery).
const RETURNING_USER: &str = "RETURNING id, project_id,
    (SELECT account_id FROM projects WHERE projects.id = users.project_id) AS account_id, email, name,
    gender, platform_id, country_id, list_id, client_user_id, ak, age, photo, language_id,
    subscribed <> 0 AS subscribed, suppressed_reason, created_at, updated_at";

/// Sets the given parameters where they differ; `updated_at` moves only when something changed.
/// `$1` is the user id, `$2` the time, `$3..$12` the parameters (NULL = leave as is).
pub(super) const UPDATE_USER_SQL: &str = "UPDATE users SET
    name = COALESCE($3, name), gender = COALESCE($4, gender), platform_id = COALESCE($5, platform_id),
    country_id = COALESCE($6, country_id), list_id = COALESCE($7, list_id),
    client_user_id = COALESCE($8, client_user_id), ak = COALESCE($9, ak), age = COALESCE($10, age),
    photo = COALESCE($11, photo), language_id = COALESCE($12, language_id), updated_at = $2
    WHERE id = $1 AND (name IS DISTINCT FROM COALESCE($3, name) OR gender IS DISTINCT FROM COALESCE($4, gender)
      OR platform_id IS DISTINCT FROM COALESCE($5, platform_id) OR country_id IS DISTINCT FROM COALESCE($6, country_id)
      OR list_id IS DISTINCT FROM COALESCE($7, list_id) OR client_user_id IS DISTINCT FROM COALESCE($8, client_user_id)
      OR ak IS DISTINCT FROM COALESCE($9, ak) OR age IS DISTINCT FROM COALESCE($10, age)
      OR photo IS DISTINCT FROM COALESCE($11, photo) OR language_id IS DISTINCT FROM COALESCE($12, language_id))";

/// Binds `UpdateUser`'s parameters in order (a macro: the query type differs per database).
macro_rules! bind_params {
    ($query:expr, $p:expr) => {
        $query
            .bind(&$p.name)
            .bind(&$p.gender)
            .bind($p.platform_id)
            .bind(&$p.country_id)
            .bind($p.list_id)
            .bind(&$p.client_user_id)
            .bind(&$p.ak)
            .bind($p.age)
            .bind(&$p.photo)
            .bind(&$p.language_id)
    };
}
pub(super) use bind_params;

impl Db {
    /// A user by id; with `account_id`, only if its project is that account's.
    pub async fn user(&self, account_id: Option<i64>, user_id: i64) -> sqlx::Result<Option<User>> {
        let sql = match account_id {
            Some(_) => format!("{USER_SELECT} WHERE u.id = $1 AND p.account_id = $2"),
            None => format!("{USER_SELECT} WHERE u.id = $1"),
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
                let mut select = sqlx::QueryBuilder::new(format!("{USER_SELECT} WHERE u.id IN ("));
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
                "{USER_SELECT} WHERE u.project_id = $1 AND u.email = $2 AND p.account_id = $3"
            ),
            None => format!("{USER_SELECT} WHERE u.project_id = $1 AND u.email = $2"),
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
        let sql = format!("{UPDATE_USER_SQL} {RETURNING_USER}");
        with_pool!(self, |pool| {
            bind_params!(sqlx::query_as(&sql).bind(user_id).bind(now_ms()), params)
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
