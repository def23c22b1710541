//! Webhooks as values: the event types a project can receive, the rules of a receiver's URL, and the
//! Standard Webhooks signature (`v1,` base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`).

/// The email events that become webhooks: (status recorded on the email, webhook type, label). The
/// position is the event's bit in a project's `webhook_events` set.
pub const WEBHOOK_EVENTS: [(&str, &str, &str); 8] = [
    ("sent", "email.sent", "Sent"),
    ("deferred", "email.deferred", "Deferred"),
    ("failed", "email.failed", "Failed"),
    ("bounced", "email.bounced", "Bounced"),
    ("opened", "email.opened", "Opened"),
    ("clicked", "email.clicked", "Clicked"),
    ("unsubscribed", "email.unsubscribed", "Unsubscribed"),
    ("complained", "email.complained", "Complained"),
];

/// The set with every event type.
pub const ALL_EVENTS: i64 = (1 << WEBHOOK_EVENTS.len()) - 1;

/// The bit of an email status in an event set, when the status is a webhook event.
pub fn event_bit(status: &str) -> Option<i64> {
    WEBHOOK_EVENTS
        .iter()
        .position(|(s, _, _)| *s == status)
        .map(|i| 1 << i)
}

/// `email.opened` for `opened`.
pub fn event_type(status: &str) -> Option<&'static str> {
    WEBHOOK_EVENTS
        .iter()
        .find(|(s, _, _)| *s == status)
        .map(|(_, t, _)| *t)
}

/// The type of the test event sent from the panel.
pub const TEST_EVENT: &str = "webhook.test";

#[cfg(feature = "ssr")]
pub use server::*;

#[cfg(feature = "ssr")]
mod server {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use base64::{Engine, engine::general_purpose::STANDARD};
    use hmac::{Hmac, Mac};
    use rand::RngCore;
    use sha2::Sha256;

    use crate::domain::Invalid;

    /// Longest URL accepted.
    pub const MAX_URL_LEN: usize = 2000;

    /// A receiver's URL that passed the rules that need no lookup: absolute, `https://` (or `http://`
    /// when private addresses are allowed), a host, no credentials, not too long, and not an address
    /// literal in a refused range. A host name's addresses are checked by the caller (`check_resolved`)
    /// when saving and by the delivery's resolver when connecting.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WebhookUrl(url::Url);

    impl WebhookUrl {
        pub fn parse(
            field: &'static str,
            text: &str,
            allow_private: bool,
        ) -> Result<WebhookUrl, Invalid> {
            let text = text.trim();
            if text.len() > MAX_URL_LEN {
                return Err(Invalid::new(
                    field,
                    format!("is too long: at most {MAX_URL_LEN} characters"),
                ));
            }
            let url = url::Url::parse(text).map_err(|_| {
                Invalid::new(
                    field,
                    "must be an absolute URL such as https://hooks.example.com/mailroom",
                )
            })?;
            match url.scheme() {
                "https" => {}
                "http" if allow_private => {}
                "http" => {
                    return Err(Invalid::new(
                        field,
                        "must use https:// (http:// is allowed only for local testing)",
                    ));
                }
                other => {
                    return Err(Invalid::new(
                        field,
                        format!("must use https://, not {other}://"),
                    ));
                }
            }
            if !url.username().is_empty() || url.password().is_some() {
                return Err(Invalid::new(
                    field,
                    "must not contain a user name or password; verify the signature instead",
                ));
            }
            let Some(host) = url.host() else {
                return Err(Invalid::new(field, "must name a host"));
            };
            if host.to_string().is_empty() {
                return Err(Invalid::new(field, "must name a host"));
            }
            if !allow_private {
                let literal = match host {
                    url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
                    url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
                    url::Host::Domain(name) => {
                        let name = name.trim_end_matches('.').to_ascii_lowercase();
                        if name == "localhost" || name.ends_with(".localhost") {
                            return Err(Invalid::new(field, private_message("localhost")));
                        }
                        None
                    }
                };
                if let Some(ip) = literal
                    && is_refused(ip)
                {
                    return Err(Invalid::new(field, private_message(&ip.to_string())));
                }
            }
            Ok(WebhookUrl(url))
        }

        /// The host name to look up, when the host is a name rather than an address.
        pub fn domain(&self) -> Option<&str> {
            self.0.domain()
        }

        pub fn as_str(&self) -> &str {
            self.0.as_str()
        }
    }

    /// Refuses a URL whose host resolved to `addresses` when one of them is in a refused range.
    pub fn check_resolved(
        field: &'static str,
        host: &str,
        addresses: &[IpAddr],
    ) -> Result<(), Invalid> {
        match addresses.iter().find(|ip| is_refused(**ip)) {
            Some(ip) => Err(Invalid::new(
                field,
                private_message(&format!("{host} ({ip})")),
            )),
            None => Ok(()),
        }
    }

    fn private_message(what: &str) -> String {
        format!(
            "points to {what}, a private, loopback, link-local or metadata address; webhooks go to public addresses only"
        )
    }

    /// True for addresses a webhook may not reach unless the operator allows private addresses:
    /// unspecified, loopback, private (RFC 1918, unique local), carrier-grade NAT, link-local (which holds
    /// the cloud metadata address 169.254.169.254), multicast, broadcast, documentation and reserved ranges,
    /// and IPv4 addresses mapped or embedded in IPv6.
    pub fn is_refused(ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(ip) => is_refused_v4(ip),
            IpAddr::V6(ip) => {
                if let Some(v4) = ip.to_ipv4_mapped() {
                    return is_refused_v4(v4);
                }
                let s = ip.segments();
                ip.is_unspecified()
                    || ip.is_loopback()
                    || ip.is_multicast()
                    || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                    || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                    || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                    || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                    || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64 (embeds IPv4)
                    || s[0] == 0x2002 // 6to4 (embeds IPv4)
                    || (s[0..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible ::a.b.c.d
                    || ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) // AWS metadata (IPv6)
            }
        }
    }

    fn is_refused_v4(ip: Ipv4Addr) -> bool {
        let [a, b, ..] = ip.octets();
        ip.is_unspecified()
            || ip.is_loopback()
            || ip.is_private()
            || ip.is_link_local()
            || ip.is_broadcast()
            || ip.is_multicast()
            || ip.is_documentation()
            || a == 0
            || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
            || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
            || (a == 198 && (b == 18 || b == 19)) // benchmarking
            || a >= 240 // reserved
    }

    /// A new signing secret: `whsec_` and the base64 of 32 random bytes.
    pub fn new_secret() -> String {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        format!("whsec_{}", STANDARD.encode(key))
    }

    /// The Standard Webhooks signature of one attempt: `v1,` and the base64 HMAC-SHA256, keyed by the
    /// secret's decoded bytes, of `{id}.{timestamp}.{body}`.
    pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
        let key = secret.strip_prefix("whsec_").unwrap_or(secret);
        let key = STANDARD
            .decode(key)
            .unwrap_or_else(|_| key.as_bytes().to_vec());
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// The `webhook-signature` header: one signature per secret in use, space-separated.
    pub fn signature_header<'a>(
        secrets: impl IntoIterator<Item = &'a str>,
        id: &str,
        timestamp: i64,
        body: &[u8],
    ) -> String {
        secrets
            .into_iter()
            .map(|s| sign(s, id, timestamp, body))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn event_bits_and_types() {
        assert_eq!(event_bit("sent"), Some(1));
        assert_eq!(event_bit("complained"), Some(128));
        assert_eq!(event_bit("queued"), None);
        assert_eq!(event_type("clicked"), Some("email.clicked"));
        assert_eq!(ALL_EVENTS, 255);
    }

    /// The example of the Standard Webhooks specification (its reference libraries' test vector).
    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn refuses_bad_urls() {
        let bad = [
            ("not a url", "absolute URL"),
            ("ftp://hooks.example.com/x", "not ftp://"),
            ("https://", "absolute URL"),
            (
                "https://user:pw@hooks.example.com/",
                "user name or password",
            ),
            ("http://hooks.example.com/", "must use https://"),
            ("https://169.254.169.254/latest", "private"),
            ("https://[::1]/", "private"),
            ("https://127.0.0.1:8443/", "private"),
            ("https://10.0.0.7/", "private"),
            ("https://[::ffff:192.168.1.1]/", "private"),
            ("https://localhost/", "localhost"),
            ("https://0x7f000001/", "private"),
        ];
        for (url, message) in bad {
            let error = WebhookUrl::parse("webhook_url", url, false).unwrap_err();
            assert!(error.message.contains(message), "{url}: {}", error.message);
        }
        let long = format!("https://hooks.example.com/{}", "a".repeat(10_000));
        assert!(
            WebhookUrl::parse("webhook_url", &long, false)
                .unwrap_err()
                .message
                .contains("too long")
        );
        for url in [
            "https://hooks.example.com/mailroom?x=1",
            "https://93.184.216.34/hook",
        ] {
            assert!(
                WebhookUrl::parse("webhook_url", url, false).is_ok(),
                "{url}"
            );
        }
        // Local testing: http:// and loopback allowed.
        assert!(WebhookUrl::parse("webhook_url", "http://127.0.0.1:9/x", true).is_ok());
    }

    #[test]
    fn a_name_resolving_to_a_private_address_is_refused() {
        let private: std::net::IpAddr = "10.1.2.3".parse().unwrap();
        let public: std::net::IpAddr = "93.184.216.34".parse().unwrap();
        assert!(check_resolved("webhook_url", "intranet.example", &[public, private]).is_err());
        assert!(check_resolved("webhook_url", "hooks.example", &[public]).is_ok());
    }
}
