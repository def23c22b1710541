use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::PanelUserInfo;

const USER_COLUMNS: &str = "id, email, role, account_id, disabled_at, created_at, last_login_at";

pub struct NewPanelUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub account_id: Option<i64>,
}

/// What login needs to check a password.
#[derive(sqlx::FromRow)]
pub struct Credentials {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub account_id: Option<i64>,
    pub disabled_at: Option<i64>,
}

impl Db {
    pub async fn count_panel_users(&self) -> sqlx::Result<i64> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM panel_users"
        )
        .fetch_one(pool)
        .await)
    }

    pub async fn credentials_by_email(&self, email: &str) -> sqlx::Result<Option<Credentials>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, email, password_hash, role, account_id, disabled_at FROM panel_users WHERE email = $1",
            )
            .bind(email)
            .fetch_optional(pool)
            .await
        })
    }

    pub async fn panel_user(&self, id: i64) -> sqlx::Result<Option<PanelUserInfo>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM panel_users WHERE id = $1");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(pool)
            .await)
    }

    pub async fn record_login(&self, id: i64) -> sqlx::Result<()> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE panel_users SET last_login_at = $1 WHERE id = $2")
                .bind(now_ms())
                .bind(id)
                .execute(pool)
                .await
                .map(drop)
        })
    }

    /// Staff logins (CSM and support), oldest first.
    pub async fn staff_users(&self) -> sqlx::Result<Vec<PanelUserInfo>> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM panel_users WHERE role IN ('csm', 'support') ORDER BY id"
        );
        with_pool!(self, |pool| sqlx::query_as(&sql).fetch_all(pool).await)
    }

    pub async fn client_users_of_account(
        &self,
        account_id: i64,
    ) -> sqlx::Result<Vec<PanelUserInfo>> {
        let sql =
            format!("SELECT {USER_COLUMNS} FROM panel_users WHERE account_id = $1 ORDER BY id");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(account_id)
            .fetch_all(pool)
            .await)
    }
}

impl Tx {
    pub async fn insert_panel_user(
        &mut self,
        user: NewPanelUser<'_>,
    ) -> sqlx::Result<PanelUserInfo> {
        let sql = format!(
            "INSERT INTO panel_users (email, password_hash, role, account_id, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING {USER_COLUMNS}"
        );
        with_tx!(self, |conn| {
            sqlx::query_as(&sql)
                .bind(user.email)
                .bind(user.password_hash)
                .bind(user.role)
                .bind(user.account_id)
                .bind(now_ms())
                .fetch_one(conn)
                .await
        })
    }

    /// Disables or re-enables a login. Never disables the last active CSM: the check and the change are one
    /// statement. Returns the updated login, or `None` when nothing changed.
    pub async fn set_panel_user_disabled(
        &mut self,
        id: i64,
        disabled: bool,
    ) -> sqlx::Result<Option<PanelUserInfo>> {
        let sql = format!(
            "UPDATE panel_users SET disabled_at = $1 WHERE id = $2 AND ($3 = 0 OR role <> 'csm'
               OR (SELECT COUNT(*) FROM panel_users c WHERE c.role = 'csm' AND c.disabled_at IS NULL AND c.id <> $2) > 0)
             RETURNING {USER_COLUMNS}"
        );
        let at = disabled.then(now_ms);
        with_tx!(self, |conn| {
            sqlx::query_as(&sql)
                .bind(at)
                .bind(id)
                .bind(i64::from(disabled))
                .fetch_optional(conn)
                .await
        })
    }
}
