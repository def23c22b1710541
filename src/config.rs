//! Settings from the environment (see the operator contract); every one has a default.
use std::{env, net::SocketAddr};

use anyhow::Context;

#[derive(Debug, Clone)]
pub struct Config {
    pub site_addr: SocketAddr,
    pub database_url: String,
    pub base_url: String,
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    pub smtp_url: Option<String>,
    pub webhook_allow_private: bool,
    pub secret_key: Option<String>,
    /// Delivery workers of this process (`MAILROOM_DELIVERY_WORKERS`, default 2). 0 makes an API-only
    /// process: with several processes on one PostgreSQL, some may accept sends while others deliver.
    pub delivery_workers: usize,
}

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> anyhow::Result<Config> {
        let site_addr: SocketAddr = var("LEPTOS_SITE_ADDR")
            .unwrap_or_else(|| "127.0.0.1:3000".into())
            .parse()
            .context("LEPTOS_SITE_ADDR must be an address such as 127.0.0.1:3000")?;
        Ok(Config {
            site_addr,
            database_url: var("MAILROOM_DATABASE_URL")
                .unwrap_or_else(|| "sqlite://mailroom.db".into()),
            base_url: var("MAILROOM_BASE_URL").unwrap_or_else(|| format!("http://{site_addr}")),
            admin_email: var("MAILROOM_ADMIN_EMAIL"),
            admin_password: var("MAILROOM_ADMIN_PASSWORD"),
            smtp_url: var("MAILROOM_SMTP_URL"),
            webhook_allow_private: var("MAILROOM_WEBHOOK_ALLOW_PRIVATE")
                .is_some_and(|v| v == "1" || v == "true"),
            secret_key: var("MAILROOM_SECRET_KEY"),
            delivery_workers: match var("MAILROOM_DELIVERY_WORKERS") {
                None => 2,
                Some(n) => n
                    .parse()
                    .context("MAILROOM_DELIVERY_WORKERS must be a number such as 2 (0: none)")?,
            },
        })
    }

    /// Cookies get the `Secure` flag when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}
