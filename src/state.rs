//! What every request handler and server function can reach.
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use tokio::sync::Notify;

use crate::{
    config::Config,
    db::Db,
    domain::random_token,
    jobs::{Transport, WebhookClient},
    mail::smtp::{SmtpPool, SmtpSettings},
    metrics::Metrics,
    services::{
        api_keys::KeyCache,
        emails::{SendScopes, SendWriter},
    },
};

/// The state of the process, shared: a clone (one per request and extractor) is one reference count.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl FromRef<AppState> for Db {
    fn from_ref(state: &AppState) -> Db {
        state.db.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        state.leptos_options.clone()
    }
}

pub struct Shared {
    pub db: Db,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// Key of the keyed hashes (API keys) and of signed links.
    pub secret_key: Arc<[u8]>,
    /// Recently checked API credentials.
    pub key_cache: Arc<KeyCache>,
    /// The group-commit writer of `POST /v1/emails`.
    pub send_writer: SendWriter,
    /// Recently checked projects and email types of sends.
    pub send_scopes: Arc<SendScopes>,
    /// Wakes the delivery workers when sends were stored.
    pub delivery_wake: Arc<Notify>,
    /// Wakes this process's campaign importer when a campaign was launched or resumed (it also
    /// looks every second, for scheduled campaigns and other processes' launches).
    pub import_wake: Arc<Notify>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Posts signed webhooks (the sender's and the panel's test events).
    pub webhook_client: Arc<WebhookClient>,
    /// Where campaign uploads are kept until imported (`services::campaigns::upload_dir`).
    pub upload_dir: std::path::PathBuf,
}

impl AppState {
    pub async fn new(
        db: Db,
        config: Config,
        leptos_options: LeptosOptions,
    ) -> anyhow::Result<AppState> {
        let secret_key = secret_key(&db, &config).await?;
        let delivery_wake = Arc::new(Notify::new());
        let key_cache = Arc::new(KeyCache::new(&secret_key));
        let webhook_client = Arc::new(WebhookClient::new(config.webhook_allow_private)?);
        let upload_dir = crate::services::campaigns::upload_dir(&config);
        std::fs::create_dir_all(&upload_dir).map_err(|e| {
            anyhow::anyhow!(
                "cannot create the upload folder {}: {e}",
                upload_dir.display()
            )
        })?;
        Ok(AppState(Arc::new(Shared {
            config: Arc::new(config),
            leptos_options,
            secret_key,
            key_cache,
            send_writer: SendWriter::start(&db, delivery_wake.clone())?,
            send_scopes: Arc::default(),
            delivery_wake,
            import_wake: Arc::new(Notify::new()),
            metrics: Arc::default(),
            webhook_client,
            upload_dir,
            db,
        })))
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

impl AppState {
    /// The transport of outgoing email: the relay of `MAILROOM_SMTP_URL`, or else the captured outbox.
    pub fn transport(&self) -> anyhow::Result<Transport> {
        let Some(url) = &self.config.smtp_url else {
            return Ok(Transport::Outbox);
        };
        let settings = SmtpSettings::from_url(url)?;
        let hello = url::Url::parse(&self.config.base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "localhost".into());
        Ok(Transport::Smtp(Arc::new(SmtpPool::new(
            settings,
            SMTP_CONNECTIONS,
            &hello,
        ))))
    }
}

/// Connections to the SMTP relay per process.
pub const SMTP_CONNECTIONS: usize = 32;
