//! What every request handler and server function can reach.
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::{config::Config, db::Db, domain::random_token, services::api_keys::KeyCache};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// Key of the keyed hashes (API keys) and of signed links.
    pub secret_key: Arc<[u8]>,
    /// Recently checked API credentials.
    pub key_cache: Arc<KeyCache>,
}

impl AppState {
    pub async fn new(
        db: Db,
        config: Config,
        leptos_options: LeptosOptions,
    ) -> anyhow::Result<AppState> {
        let secret_key = secret_key(&db, &config).await?;
        Ok(AppState {
            db,
            config: Arc::new(config),
            leptos_options,
            secret_key,
            key_cache: Arc::default(),
        })
    }
}

/// `MAILROOM_SECRET_KEY`, or else a key generated on the first start and kept in the database, so that
/// every process on one database shares it.
pub async fn secret_key(db: &Db, config: &Config) -> anyhow::Result<Arc<[u8]>> {
    let key = match &config.secret_key {
        Some(key) => key.clone(),
        None => {
            db.setting_or_insert("secret_key", || random_token(64))
                .await?
        }
    };
    Ok(key.into_bytes().into())
}
