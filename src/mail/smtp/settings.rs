//! Where the relay is and how to reach it: parsing MAILROOM_SMTP_URL.

use anyhow::{Context as _, anyhow, bail};
use percent_encoding::percent_decode_str;
use url::{Host, Url};

/// How to reach the relay, from MAILROOM_SMTP_URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub credentials: Option<(String, String)>,
}

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Plain TCP, then the STARTTLS command; sending fails (Deferred) if the relay does not offer it.
    StartTls,
    /// TLS from the first byte ("implicit TLS", usually port 465).
    Tls,
    /// Plain text, no encryption at all (only for a relay on the same host or a trusted network).
    None,
}

impl SmtpSettings {
    /// `smtp://user:pass@host:port` (STARTTLS, required; default port 587), `smtps://user:pass@host:port`
    /// (implicit TLS; default 465), `smtp://host:port?tls=none` (plain; default port 25). User and password are
    /// percent-decoded. Anything else is an error with a clear message (unknown scheme, missing host, bad tls value).
    ///
    /// `?tls=starttls` is also accepted on `smtp://` and means the default. The error messages never
    /// repeat the URL, since it may hold a password.
    pub fn from_url(url: &str) -> anyhow::Result<SmtpSettings> {
        let parsed = Url::parse(url.trim()).map_err(|e| {
            anyhow!(
                "MAILROOM_SMTP_URL is not a valid URL ({e}); expected smtp://user:pass@host:port, \
                 smtps://user:pass@host:port or smtp://host:port?tls=none"
            )
        })?;

        let implicit_tls = match parsed.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => bail!(
                "MAILROOM_SMTP_URL has the unknown scheme `{other}`: use smtp:// (STARTTLS, or plain \
                 text with ?tls=none) or smtps:// (implicit TLS)"
            ),
        };

        let host = match parsed.host() {
            Some(Host::Domain(name)) if !name.is_empty() => {
                percent_decode_str(name).decode_utf8()?.into_owned()
            }
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            _ => bail!(
                "MAILROOM_SMTP_URL has no host name, e.g. smtp://user:pass@mail.example.com:587"
            ),
        };

        if !matches!(parsed.path(), "" | "/") {
            bail!("MAILROOM_SMTP_URL must not have a path after the host and port");
        }
        if parsed.fragment().is_some() {
            bail!("MAILROOM_SMTP_URL must not have a #fragment");
        }

        let mut tls_param: Option<String> = None;
        for (key, value) in parsed.query_pairs() {
            match key.as_ref() {
                "tls" if tls_param.is_none() => tls_param = Some(value.into_owned()),
                "tls" => bail!("MAILROOM_SMTP_URL has the `tls` parameter twice"),
                other => bail!(
                    "MAILROOM_SMTP_URL has the unknown parameter `{other}`; the only one is tls=none"
                ),
            }
        }

        let security = match (implicit_tls, tls_param.as_deref()) {
            (true, None) => Security::Tls,
            (true, Some(_)) => bail!(
                "MAILROOM_SMTP_URL: smtps:// always uses implicit TLS and takes no tls parameter \
                 (use smtp://...?tls=none for plain text)"
            ),
            (false, None | Some("starttls")) => Security::StartTls,
            (false, Some("none")) => Security::None,
            (false, Some(other)) => bail!(
                "MAILROOM_SMTP_URL has the bad value tls={other}; use tls=none for plain text, \
                 leave it out for STARTTLS, or use smtps:// for implicit TLS"
            ),
        };

        let port = parsed.port().unwrap_or(match security {
            Security::StartTls => 587,
            Security::Tls => 465,
            Security::None => 25,
        });

        let user = percent_decode_str(parsed.username())
            .decode_utf8()
            .context("MAILROOM_SMTP_URL: the user name is not valid UTF-8 once percent-decoded")?;
        let password = match parsed.password() {
            Some(p) => Some(percent_decode_str(p).decode_utf8().context(
                "MAILROOM_SMTP_URL: the password is not valid UTF-8 once percent-decoded",
            )?),
            None => None,
        };
        let credentials = match (user.is_empty(), password) {
            (true, None) => None,
            (false, Some(password)) => Some((user.into_owned(), password.into_owned())),
            (false, None) => {
                bail!("MAILROOM_SMTP_URL has a user name but no password (smtp://user:pass@host)")
            }
            (true, Some(_)) => {
                bail!("MAILROOM_SMTP_URL has a password but no user name (smtp://user:pass@host)")
            }
        };

        Ok(SmtpSettings {
            host,
            port,
            security,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(
        host: &str,
        port: u16,
        security: Security,
        credentials: Option<(&str, &str)>,
    ) -> SmtpSettings {
        SmtpSettings {
            host: host.to_owned(),
            port,
            security,
            credentials: credentials.map(|(u, p)| (u.to_owned(), p.to_owned())),
        }
    }

    #[test]
    fn parses_urls() {
        let ok = [
            (
                "smtp://user:pass@mail.example.com:2525",
                settings(
                    "mail.example.com",
                    2525,
                    Security::StartTls,
                    Some(("user", "pass")),
                ),
            ),
            (
                "smtp://user:pass@mail.example.com",
                settings(
                    "mail.example.com",
                    587,
                    Security::StartTls,
                    Some(("user", "pass")),
                ),
            ),
            (
                "smtp://mail.example.com/?tls=starttls",
                settings("mail.example.com", 587, Security::StartTls, None),
            ),
            (
                "smtps://us%40er%2Bx:p%40ss%3Aw%2Frd%20%25@smtp.example.org",
                settings(
                    "smtp.example.org",
                    465,
                    Security::Tls,
                    Some(("us@er+x", "p@ss:w/rd %")),
                ),
            ),
            (
                "smtps://a:b@smtp.example.org:4650",
                settings("smtp.example.org", 4650, Security::Tls, Some(("a", "b"))),
            ),
            (
                "smtp://localhost?tls=none",
                settings("localhost", 25, Security::None, None),
            ),
            (
                "smtp://127.0.0.1:1025?tls=none",
                settings("127.0.0.1", 1025, Security::None, None),
            ),
            (
                "smtp://[::1]:26?tls=none",
                settings("::1", 26, Security::None, None),
            ),
            (
                "smtp://u:p@relay:2587?tls=none",
                settings("relay", 2587, Security::None, Some(("u", "p"))),
            ),
        ];
        for (url, expected) in ok {
            let parsed = SmtpSettings::from_url(url).unwrap_or_else(|e| panic!("{url}: {e:#}"));
            assert_eq!(parsed, expected, "{url}");
        }

        let bad = [
            ("http://x", "scheme"),
            ("smtp://", "no host"),
            ("smtp://h?tls=maybe", "tls=maybe"),
            ("smtps://h?tls=none", "no tls parameter"),
            ("smtp://h?foo=1", "unknown parameter"),
            ("smtp://user@h", "no password"),
            ("smtp://:pw@h", "no user name"),
            ("smtp://h/path", "path"),
            ("not a url", "not a valid URL"),
        ];
        for (url, needle) in bad {
            let error = SmtpSettings::from_url(url).expect_err(url);
            let text = format!("{error:#}");
            assert!(text.contains(needle), "{url}: `{text}` lacks `{needle}`");
            assert!(
                !text.contains("pw"),
                "error text must not echo the password: {text}"
            );
        }
    }
}
