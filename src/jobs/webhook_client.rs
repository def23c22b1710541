//! The HTTP side of webhooks: one pooled client (keep-alive, rustls, no redirects, 10 s per attempt)
//! whose resolver refuses private addresses where the connection is made, and the signed POST.
use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use reqwest::{
    Client,
    dns::{Addrs, Name, Resolve, Resolving},
    header::{CONTENT_TYPE, HeaderValue},
};

use crate::domain::{is_refused, signature_header};

/// A 2xx within this time is a delivery.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an answer is kept in the log.
pub const ANSWER_BYTES: usize = 1024;

/// What one POST came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The receiver's HTTP status; none when no answer came.
    pub status: Option<u16>,
    pub latency_ms: i64,
    /// The first 1 KiB of the answer's body, or why there was no answer.
    pub text: String,
}

impl Answer {
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    fn refused(text: String) -> Answer {
        Answer {
            status: None,
            latency_ms: 0,
            text,
        }
    }
}

/// Posts signed webhooks.
pub struct WebhookClient {
    client: Client,
    allow_private: bool,
}

/// Resolves host names and keeps only the addresses a webhook may reach: the check is made on the
/// addresses the connection uses, so a name that resolved to a public address when the URL was saved
/// and to a private one now is refused now.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| !is_refused(a.ip()))
                .collect();
            if public.is_empty() {
                let listed: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{host} resolves only to private addresses ({}); refused",
                    listed.join(", ")
                )
                .into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

impl WebhookClient {
    pub fn new(allow_private: bool) -> anyhow::Result<WebhookClient> {
        let mut builder = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .user_agent(concat!("Mailroom-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder
                .dns_resolver(std::sync::Arc::new(PublicOnly))
                .https_only(true);
        }
        Ok(WebhookClient {
            client: builder.build()?,
            allow_private,
        })
    }

    /// POSTs `body` to `url` signed with each of `secrets` (Standard Webhooks headers).
    pub async fn post(&self, url: &str, id: &str, secrets: &[&str], body: Vec<u8>) -> Answer {
        if !self.allow_private {
            if url.starts_with("http://") {
                return Answer::refused(
                    "http:// is refused: webhooks use https:// (http:// only with MAILROOM_WEBHOOK_ALLOW_PRIVATE=1)"
                        .into(),
                );
            }
            if let Some(refusal) = refused_literal(url) {
                return Answer::refused(refusal);
            }
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = signature_header(secrets.iter().copied(), id, timestamp, &body);
        let started = Instant::now();
        let sent = self
            .client
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        let mut answer = match sent {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let mut text = Vec::new();
                while text.len() < ANSWER_BYTES {
                    match response.chunk().await {
                        Ok(Some(chunk)) => text.extend_from_slice(&chunk),
                        _ => break,
                    }
                }
                text.truncate(ANSWER_BYTES);
                Answer {
                    status: Some(status),
                    latency_ms: 0,
                    text: String::from_utf8_lossy(&text).into_owned(),
                }
            }
            Err(e) => Answer::refused(explain(&e)),
        };
        answer.latency_ms = started.elapsed().as_millis() as i64;
        answer
    }
}

/// Why a URL whose host is an address literal in a refused range (which no resolver sees) is refused.
fn refused_literal(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let ip = match parsed.host()? {
        url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
        url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    is_refused(ip)
        .then(|| format!("{ip} is a private, loopback, link-local or metadata address; refused"))
}

/// A request error with its causes, the way an operator wants to read it.
fn explain(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out after 10 s"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirect not followed"
    } else {
        "request failed"
    };
    let mut text = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(ANSWER_BYTES).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn private_addresses_are_refused_unless_allowed() {
        let client = WebhookClient::new(false).unwrap();
        for url in [
            "https://127.0.0.1:9/hook",
            "https://[::1]:9/hook",
            "https://169.254.169.254/latest",
        ] {
            let answer = client
                .post(url, "msg_1", &["whsec_AAAA"], b"{}".to_vec())
                .await;
            assert_eq!(answer.status, None, "{url}");
            assert!(answer.text.contains("refused"), "{url}: {}", answer.text);
        }
        // A name that resolves to loopback is refused by the resolver, at connection time.
        let answer = client
            .post(
                "https://localhost:9/hook",
                "msg_1",
                &["whsec_AAAA"],
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(answer.status, None);
        assert!(answer.text.contains("private addresses"), "{}", answer.text);
    }
}
