use super::{Db, Tx, now_ms, with_pool, with_tx};
use crate::model::ApiKeyInfo;

const KEY_COLUMNS: &str = "id, label, prefix, created_at, last_used_at, revoked_at";

/// The account behind an API key, as the API's authentication needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyOwner {
    pub account_id: i64,
    pub key_id: i64,
    pub suspended: bool,
}

/// What is stored of a new key: never the key itself.
pub struct NewApiKey<'a> {
    pub account_id: i64,
    pub label: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub created_by: Option<i64>,
}

impl Db {
    pub async fn api_keys_of_account(&self, account_id: i64) -> sqlx::Result<Vec<ApiKeyInfo>> {
        let sql =
            format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY id DESC");
        with_pool!(self, |pool| sqlx::query_as(&sql)
            .bind(account_id)
            .fetch_all(pool)
            .await)
    }

    /// The owner of an active key with this hash under this client_id.
    pub async fn active_key_by_hash(
        &self,
        client_id: &str,
        key_hash: &str,
    ) -> sqlx::Result<Option<KeyOwner>> {
        with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT a.id AS account_id, k.id AS key_id, a.suspended_at IS NOT NULL AS suspended
                 FROM api_keys k JOIN accounts a ON a.id = k.account_id
                 WHERE k.key_hash = $1 AND a.client_id = $2 AND k.revoked_at IS NULL",
            )
            .bind(key_hash)
            .bind(client_id)
            .fetch_optional(pool)
            .await
        })
    }

    /// Records that keys were used; one statement for a batch of key ids (called from a periodic flush).
    pub async fn touch_api_keys(&self, key_ids: &[i64], at: i64) -> sqlx::Result<()> {
        with_pool!(self, |pool| {
            for id in key_ids {
                sqlx::query("UPDATE api_keys SET last_used_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(pool)
                    .await?;
            }
            Ok(())
        })
    }
}

impl Tx {
    pub async fn insert_api_key(&mut self, key: NewApiKey<'_>) -> sqlx::Result<ApiKeyInfo> {
        let sql = format!(
            "INSERT INTO api_keys (account_id, label, prefix, key_hash, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {KEY_COLUMNS}"
        );
        with_tx!(self, |conn| {
            sqlx::query_as(&sql)
                .bind(key.account_id)
                .bind(key.label)
                .bind(key.prefix)
                .bind(key.key_hash)
                .bind(key.created_by)
                .bind(now_ms())
                .fetch_one(conn)
                .await
        })
    }

    /// Revokes an active key of the account; returns the key, or `None` if there is no such active key.
    pub async fn revoke_api_key(
        &mut self,
        account_id: i64,
        key_id: i64,
    ) -> sqlx::Result<Option<ApiKeyInfo>> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL
             RETURNING {KEY_COLUMNS}"
        );
        with_tx!(self, |conn| {
            sqlx::query_as(&sql)
                .bind(now_ms())
                .bind(key_id)
                .bind(account_id)
                .fetch_optional(conn)
                .await
        })
    }
}
