//! Settings from the environment (see the operator contract); every one has a default.
use std::{borrow::Cow, env, fmt, net::SocketAddr};

use anyhow::Context;

/// The settings. Its `Debug` hides the secrets: the admin password, the secret key and the passwords
/// in the database and SMTP URLs.
#[derive(Clone)]
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

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |secret: &Option<String>| secret.as_ref().map(|_| REDACTED);
        f.debug_struct("Config")
            .field("site_addr", &self.site_addr)
            .field("database_url", &redact_url(&self.database_url))
            .field("base_url", &self.base_url)
            .field("admin_email", &self.admin_email)
            .field("admin_password", &hidden(&self.admin_password))
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("webhook_allow_private", &self.webhook_allow_private)
            .field("secret_key", &hidden(&self.secret_key))
            .field("delivery_workers", &self.delivery_workers)
            .finish()
    }
}

/// What stands for a secret in logs and messages.
const REDACTED: &str = "***";

/// `url` with the password of its user part replaced (`postgres://app:***@db/mail`), for messages and
/// logs. Also for text that does not parse (a mistyped setting): everything between the first `:` of
/// the user part (after `scheme://`, or from the start without one) and the last `@` is hidden, which
/// may hide more than the password but never less.
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let Some(at) = url.rfind('@').filter(|at| *at >= start) else {
        return Cow::Borrowed(url);
    };
    match url[start..at].find(':') {
        Some(colon) => Cow::Owned(format!(
            "{}:{REDACTED}{}",
            &url[..start + colon],
            &url[at..]
        )),
        None => Cow::Borrowed(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_prints_no_secret() {
        let config = Config {
            site_addr: "127.0.0.1:3000".parse().unwrap(),
            database_url: "postgres://mailroom:db-pass-1@db.internal/mail".into(),
            base_url: "https://mail.example".into(),
            admin_email: Some("csm@example.com".into()),
            admin_password: Some("admin-pass-2".into()),
            smtp_url: Some("smtp://relay:smtp-pass-3@relay.example:587?tls=starttls".into()),
            webhook_allow_private: false,
            secret_key: Some("secret-key-4".into()),
            delivery_workers: 2,
        };
        let debug = format!("{config:?}");
        for secret in ["db-pass-1", "admin-pass-2", "smtp-pass-3", "secret-key-4"] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        // The rest is still there to help an operator.
        for shown in [
            "postgres://mailroom:***@db.internal/mail",
            "smtp://relay:***@relay.example:587?tls=starttls",
            "csm@example.com",
            "admin_password: Some(\"***\")",
            "secret_key: Some(\"***\")",
        ] {
            assert!(debug.contains(shown), "{shown} not in {debug}");
        }
        let unset = Config {
            admin_password: None,
            secret_key: None,
            smtp_url: None,
            ..config
        };
        assert!(format!("{unset:?}").contains("admin_password: None"));
    }

    #[test]
    fn urls_lose_their_passwords() {
        for (url, redacted) in [
            (
                "postgres://app:s3cret@db:5432/mail",
                "postgres://app:***@db:5432/mail",
            ),
            (
                "postgresql://app:p%40ss@db/mail",
                "postgresql://app:***@db/mail",
            ),
            // Mistyped: a raw `@` and `/` in the password, a space in the host.
            (
                "postgres://app:p@s/s@db host/mail",
                "postgres://app:***@db host/mail",
            ),
            (
                "smtps://user:pw@relay.example",
                "smtps://user:***@relay.example",
            ),
            ("postgres://app@db/mail", "postgres://app@db/mail"),
            ("postgres://db/mail", "postgres://db/mail"),
            ("sqlite://mailroom.db", "sqlite://mailroom.db"),
            ("mysql:app:pw@db", "mysql:***@db"),
            ("app:pw@db/mail", "app:***@db/mail"),
        ] {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }
}
