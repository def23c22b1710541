//! Pooled SMTP client transport: hands finished messages to the relay named by `MAILROOM_SMTP_URL`.
//!
//! The SMTP protocol itself (greeting, EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA, dot-stuffing, QUIT) is
//! spoken by lettre's `AsyncSmtpConnection`. This module only opens the TCP connection, keeps a small
//! pool of open connections, and turns lettre's results into an [`SmtpOutcome`].
//!
//! - `settings`: MAILROOM_SMTP_URL parsed into [`SmtpSettings`].
//! - `pool`: the [`SmtpPool`] of open connections, and lettre's results mapped to outcomes.
//! - `stream`: the socket under lettre, opened by us because lettre does not set TCP_NODELAY (see
//!   there), with the timeouts ([`CONNECT_TIMEOUT`], [`COMMAND_TIMEOUT`]) and implicit TLS.

mod pool;
mod settings;
mod stream;

pub use pool::SmtpPool;
pub use settings::{Security, SmtpSettings};
pub use stream::{COMMAND_TIMEOUT, CONNECT_TIMEOUT};

/// The test SMTP server, shared with the HTTP tests.
#[cfg(test)]
#[path = "../../../end2end/smtp_peer.rs"]
#[allow(dead_code)] // The HTTP tests use the rest of it.
mod smtp_peer;

/// What the relay said about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpOutcome {
    /// 2xx after the final dot; `response` is the server's answer text (e.g. "250 2.0.0 Ok: queued as ABC").
    Sent { response: String },
    /// 4xx at any step, or a connection/timeout/TLS problem: try again later. `reason` is the server's answer or the error.
    ///
    /// Careful: a connection that breaks after the final dot was written but before the relay's
    /// answer was read also gives `Deferred`. In that case the relay may well have accepted the
    /// message, so trying again can deliver it twice; SMTP offers no way to find out.
    Deferred { reason: String },
    /// 5xx at any step: permanent. `reason` is the server's full answer, e.g. "550 5.1.1 <x@y>: Recipient address rejected".
    ///
    /// Also used for addresses that cannot be sent at all (unparsable, or non-ASCII when the relay
    /// lacks SMTPUTF8) and for non-ASCII messages when the relay lacks 8BITMIME.
    Failed { reason: String },
}

/// What the pool's and the stream's tests both build: settings, a pool on the test peer, a message.
#[cfg(test)]
mod test_support {
    use super::{Security, SmtpPool, SmtpSettings, smtp_peer::SmtpPeer};

    pub fn settings(host: &str, port: u16, security: Security) -> SmtpSettings {
        SmtpSettings {
            host: host.to_owned(),
            port,
            security,
            credentials: None,
        }
    }

    pub fn plain_pool(peer: &SmtpPeer, size: usize) -> SmtpPool {
        SmtpPool::new(
            SmtpSettings::from_url(&peer.url).unwrap(),
            size,
            "client.test",
        )
    }

    pub const SIMPLE: &[u8] =
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";
}
