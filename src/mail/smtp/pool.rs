//! The pool of open connections to the relay, and lettre's results turned into [`SmtpOutcome`]s.

use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use tokio::sync::Semaphore;

use super::stream::Connector;
use super::{Security, SmtpOutcome, SmtpSettings};

/// A pooled connection idle for longer than this is probed with NOOP before it is reused, because
/// the relay may have closed it in the meantime.
const PROBE_AFTER_IDLE: Duration = Duration::from_secs(2);
/// A pooled connection idle for longer than this is closed instead of reused: relays drop idle
/// clients after a few minutes anyway (Postfix after 300 s), often without telling us.
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Up to `size` persistent connections, reused across messages; broken ones are dropped and reopened.
///
/// `SmtpPool` is `Send + Sync`: put it behind an `Arc` and call [`SmtpPool::send`] from as many tokio
/// tasks as you like. At most `size` connections are open at once; further callers wait for one.
pub struct SmtpPool {
    settings: SmtpSettings,
    hello: ClientId,
    /// One permit per connection that may be open. A caller holds a permit for as long as it uses
    /// a connection, and puts the connection back into `idle` before giving the permit back, so
    /// `idle.len() + connections in use <= size` at all times.
    permits: Semaphore,
    idle: Mutex<Vec<IdleConnection>>,
    /// Set by [`SmtpPool::close`]: connections handed back afterwards are closed, not kept.
    closed: AtomicBool,
    connector: Connector,
}

struct IdleConnection {
    connection: AsyncSmtpConnection,
    since: Instant,
}

impl fmt::Debug for SmtpPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpPool")
            .field("host", &self.settings.host)
            .field("port", &self.settings.port)
            .field("security", &self.settings.security)
            .field("available", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

impl SmtpPool {
    /// A pool of at most `size` connections (at least 1) to the relay in `settings`, introducing
    /// itself as `hello_name` in EHLO. Nothing is opened until the first [`SmtpPool::send`].
    pub fn new(settings: SmtpSettings, size: usize, hello_name: &str) -> SmtpPool {
        SmtpPool {
            settings,
            hello: ClientId::Domain(hello_name.to_owned()),
            permits: Semaphore::new(size.max(1)),
            idle: Mutex::new(Vec::new()),
            closed: AtomicBool::new(false),
            connector: Connector::new(),
        }
    }

    /// Replaces the default timeouts ([`CONNECT_TIMEOUT`](super::CONNECT_TIMEOUT) and
    /// [`COMMAND_TIMEOUT`](super::COMMAND_TIMEOUT)).
    pub fn with_timeouts(mut self, connect: Duration, command: Duration) -> SmtpPool {
        self.connector.connect_timeout = connect;
        self.connector.command_timeout = command;
        self
    }

    /// Sends one RFC 5322 message (already fully formatted, CRLF line endings) from `from` to `to`
    /// (plain addresses). Takes an idle connection or opens a new one (at most `size` open; callers beyond
    /// that wait), and returns it to the pool afterwards unless it broke. Timeouts on connect (10 s) and on
    /// each command (30 s) give Deferred.
    ///
    /// An empty `from` sends with the null reverse-path `<>` (for bounces). The message goes out
    /// exactly as given: lettre dot-stuffs it, and the relay stores the same bytes (a message that
    /// does not end in CRLF gets one, as SMTP requires).
    ///
    /// If the connection breaks after the final dot was written but before the relay answered, the
    /// result is [`SmtpOutcome::Deferred`] although the relay may have accepted the message.
    pub async fn send(&self, from: &str, to: &str, message: &[u8]) -> SmtpOutcome {
        let envelope = match envelope(from, to) {
            Ok(envelope) => envelope,
            Err(reason) => return SmtpOutcome::Failed { reason },
        };
        // lettre always appends "\r\n.\r\n"; the CRLF in there ends the message's last line, so a
        // message that already ends in CRLF would gain an empty line. Strip that one CRLF.
        let body = message.strip_suffix(b"\r\n").unwrap_or(message);

        let Ok(_permit) = self.permits.acquire().await else {
            unreachable!("the pool's semaphore is never closed");
        };

        // A reused connection may have been closed by the relay with a 421 ("closing channel", e.g.
        // after a per-connection message limit). A 4xx means the message was not taken, so one more
        // try on a fresh connection is safe.
        let mut may_retry = true;
        loop {
            let (mut connection, reused) = match self.checkout().await {
                Ok(found) => found,
                Err(outcome) => return outcome,
            };
            let result = connection.send(&envelope, body).await;
            match result {
                Ok(response) => {
                    self.checkin(connection).await;
                    return SmtpOutcome::Sent {
                        response: response_text(&response),
                    };
                }
                Err(error) => {
                    let outcome = outcome_of(&error, "sending the message");
                    // lettre has sent QUIT and closed the connection after a negative reply or a
                    // network error; any other connection is put back.
                    if connection.has_broken() {
                        tracing::debug!(%error, "dropping SMTP connection after error");
                    } else {
                        self.checkin(connection).await;
                    }
                    let closed_by_relay = error.status().is_some_and(|code| u16::from(code) == 421);
                    if reused && may_retry && closed_by_relay {
                        tracing::debug!(%error, "relay closed a pooled connection; retrying on a new one");
                        may_retry = false;
                        continue;
                    }
                    return outcome;
                }
            }
        }
    }

    /// Sends QUIT on idle connections (for shutdown).
    ///
    /// Connections in use at that moment are closed when their message is done; the pool stays
    /// usable, but keeps no connection open any more.
    pub async fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        let idle = std::mem::take(&mut *self.lock_idle());
        for entry in idle {
            quit(entry.connection).await;
        }
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<IdleConnection>> {
        // The lock is never held across an await or a panic-prone call; recover if poisoned anyway.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An idle connection that still works, or a new one. The flag tells whether it was reused.
    async fn checkout(&self) -> Result<(AsyncSmtpConnection, bool), SmtpOutcome> {
        loop {
            let entry = self.lock_idle().pop();
            let Some(IdleConnection {
                mut connection,
                since,
            }) = entry
            else {
                break;
            };
            let idle_for = since.elapsed();
            if idle_for > MAX_IDLE {
                quit(connection).await;
                continue;
            }
            if idle_for > PROBE_AFTER_IDLE && !connection.test_connected().await {
                tracing::debug!("pooled SMTP connection no longer answers NOOP; dropping it");
                continue;
            }
            return Ok((connection, true));
        }
        self.open().await.map(|connection| (connection, false))
    }

    async fn checkin(&self, connection: AsyncSmtpConnection) {
        if connection.has_broken() {
            return;
        }
        if self.closed.load(Ordering::SeqCst) {
            quit(connection).await;
            return;
        }
        self.lock_idle().push(IdleConnection {
            connection,
            since: Instant::now(),
        });
    }

    /// Opens a connection: TCP with TCP_NODELAY, implicit TLS if asked, greeting and EHLO, STARTTLS
    /// if asked, then AUTH if credentials are set.
    async fn open(&self) -> Result<AsyncSmtpConnection, SmtpOutcome> {
        let SmtpSettings {
            host,
            port,
            security,
            credentials,
        } = &self.settings;
        let deferred = |reason: String| SmtpOutcome::Deferred { reason };

        let stream = self.connector.connect(host, *port, *security).await?;

        let mut connection = AsyncSmtpConnection::connect_with_transport(stream, &self.hello)
            .await
            .map_err(|e| outcome_of(&e, &format!("greeting {host}:{port}")))?;

        if *security == Security::StartTls {
            if !connection.can_starttls() {
                quit(connection).await;
                return Err(deferred(format!(
                    "the relay {host}:{port} does not offer STARTTLS, which MAILROOM_SMTP_URL requires \
                     (use smtps:// for implicit TLS, or ?tls=none to send in plain text)"
                )));
            }
            let parameters = TlsParameters::new(host.clone())
                .map_err(|e| deferred(format!("cannot set up TLS for {host}: {e}")))?;
            connection
                .starttls(parameters, &self.hello)
                .await
                .map_err(|e| outcome_of(&e, &format!("STARTTLS with {host}:{port}")))?;
        }

        if let Some((user, password)) = credentials {
            let credentials = Credentials::new(user.clone(), password.clone());
            if let Err(e) = connection
                .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
            {
                let outcome = outcome_of(&e, &format!("logging in to {host}:{port} as {user}"));
                connection.abort().await;
                return Err(outcome);
            }
        }

        tracing::debug!(%host, port, ?security, "opened SMTP connection");
        Ok(connection)
    }
}

/// Sends QUIT (bounded by the command timeout) and closes the connection.
async fn quit(mut connection: AsyncSmtpConnection) {
    if let Err(e) = connection.quit().await {
        tracing::debug!(error = %e, "QUIT failed");
    }
}

fn envelope(from: &str, to: &str) -> Result<Envelope, String> {
    let from = if from.trim().is_empty() {
        None
    } else {
        Some(
            from.trim()
                .parse::<Address>()
                .map_err(|e| format!("invalid sender address `{from}`: {e}"))?,
        )
    };
    let to = to
        .trim()
        .parse::<Address>()
        .map_err(|e| format!("invalid recipient address `{to}`: {e}"))?;
    Envelope::new(from, vec![to]).map_err(|e| format!("invalid envelope: {e}"))
}

/// "250 2.0.0 Ok: queued as ABC": the code and the text, lines joined by spaces.
fn response_text(response: &Response) -> String {
    let mut text = response.code().to_string();
    for line in response.message() {
        text.push(' ');
        text.push_str(line);
    }
    text
}

/// Maps a lettre error to Failed (5xx reply, or a message/address this relay can never take) or
/// Deferred (4xx reply, network, timeout, TLS, garbled reply).
fn outcome_of(error: &LettreError, doing: &str) -> SmtpOutcome {
    if let Some(code) = error.status() {
        // lettre keeps the server's text as the error's source: rebuild "550 5.1.1 <x@y>: ...".
        let reason = match std::error::Error::source(error) {
            Some(text) => format!("{code} {text}"),
            None => code.to_string(),
        };
        return if error.is_permanent() {
            SmtpOutcome::Failed { reason }
        } else {
            SmtpOutcome::Deferred { reason }
        };
    }
    if error.is_client() {
        // e.g. "Message contains non-ascii chars but server does not support 8BITMIME".
        return SmtpOutcome::Failed {
            reason: format!("{doing}: {error}"),
        };
    }
    SmtpOutcome::Deferred {
        reason: format!("{doing}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::smtp::smtp_peer::{Script, SmtpPeer};
    use crate::mail::smtp::test_support::{SIMPLE, plain_pool, settings};
    use std::sync::Arc;
    use tokio::net::TcpStream;

    #[test]
    fn pool_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SmtpPool>();
    }

    #[tokio::test]
    async fn message_arrives_byte_intact() {
        let peer = SmtpPeer::accepting().await;
        let pool = plain_pool(&peer, 1);
        let message = "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\n\
                       Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
                       Grüße!\r\n.\r\n..two dots\r\n.leading dot\r\nnot . at start\r\n\r\n.\r\nlast line\r\n";
        let outcome = pool
            .send("a@example.com", "b@example.com", message.as_bytes())
            .await;
        assert_eq!(
            outcome,
            SmtpOutcome::Sent {
                response: "250 2.0.0 Ok: queued as ABC".to_owned()
            }
        );
        // SMTP can only carry messages that end in CRLF: one is added if missing.
        let outcome = pool
            .send("", "b@example.com", b"Subject: x\r\n\r\nno final newline")
            .await;
        assert!(matches!(outcome, SmtpOutcome::Sent { .. }), "{outcome:?}");

        let messages = peer.messages();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].data, message);
        assert_eq!(messages[1].data, "Subject: x\r\n\r\nno final newline\r\n");
    }

    #[tokio::test]
    async fn transient_reply_is_deferred() {
        let script = Script {
            rcpt: Arc::new(|_, _| "451 4.3.0 <b@example.com>: Temporary lookup failure"),
            ..Script::default()
        };
        let peer = SmtpPeer::scripted(script).await;
        let pool = plain_pool(&peer, 1);
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("451"), "{reason}");
        assert!(reason.contains("Temporary lookup failure"), "{reason}");
        assert!(peer.messages().is_empty());
    }

    #[tokio::test]
    async fn permanent_reply_is_failed_with_the_server_text() {
        let script = Script {
            rcpt: Arc::new(|_, _| "550 5.1.1 <x@y>: Recipient address rejected"),
            ..Script::default()
        };
        let peer = SmtpPeer::scripted(script).await;
        let pool = plain_pool(&peer, 1);
        for _ in 0..2 {
            let outcome = pool.send("a@example.com", "x@y", SIMPLE).await;
            assert_eq!(
                outcome,
                SmtpOutcome::Failed {
                    reason: "550 5.1.1 <x@y>: Recipient address rejected".to_owned()
                }
            );
        }
        // The broken connection was dropped and a new one opened for the second message.
        assert_eq!(peer.accepted(), 2);
    }

    #[tokio::test]
    async fn permanent_reply_after_the_dot_is_failed() {
        let script = Script {
            dot: "554 5.7.1 Message rejected as spam",
            ..Script::default()
        };
        let peer = SmtpPeer::scripted(script).await;
        let outcome = plain_pool(&peer, 1)
            .send("a@example.com", "b@example.com", SIMPLE)
            .await;
        assert_eq!(
            outcome,
            SmtpOutcome::Failed {
                reason: "554 5.7.1 Message rejected as spam".to_owned()
            }
        );
    }

    #[tokio::test]
    async fn bad_addresses_fail_without_connecting() {
        let peer = SmtpPeer::accepting().await;
        let pool = plain_pool(&peer, 1);
        let outcome = pool.send("a@example.com", "not an address", SIMPLE).await;
        assert!(matches!(outcome, SmtpOutcome::Failed { .. }), "{outcome:?}");
        assert_eq!(peer.accepted(), 0);
    }

    #[tokio::test]
    async fn starttls_is_required_when_asked_for() {
        let peer = SmtpPeer::accepting().await;
        let settings = settings("127.0.0.1", peer.addr.port(), Security::StartTls);
        let pool = SmtpPool::new(settings, 1, "client.test");
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("does not offer STARTTLS"), "{reason}");
        assert!(peer.messages().is_empty());
    }

    #[tokio::test]
    async fn logs_in_with_percent_decoded_credentials() {
        let script = Script {
            ehlo: "250-test.local\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME",
            ..Script::default()
        };
        let peer = SmtpPeer::scripted(script).await;
        let url = format!(
            "smtp://us%20er:p%40ss%3Aw%2Frd@127.0.0.1:{}?tls=none",
            peer.addr.port()
        );
        let pool = SmtpPool::new(SmtpSettings::from_url(&url).unwrap(), 1, "client.test");
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        assert!(matches!(outcome, SmtpOutcome::Sent { .. }), "{outcome:?}");
        // base64("\0us er\0p@ss:w/rd")
        assert_eq!(peer.auth_lines(), ["AUTH PLAIN AHVzIGVyAHBAc3M6dy9yZA=="]);
    }

    #[tokio::test]
    async fn reuses_one_connection_for_sequential_messages() {
        let peer = SmtpPeer::accepting().await;
        let pool = plain_pool(&peer, 4);
        for i in 0..50 {
            let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
            assert!(
                matches!(outcome, SmtpOutcome::Sent { .. }),
                "message {i}: {outcome:?}"
            );
        }
        assert_eq!(peer.accepted(), 1);
        assert_eq!(peer.messages().len(), 50);
        pool.close().await;
        // The server sees QUIT and closes its side.
        for _ in 0..100 {
            if peer.open() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(peer.open(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_opens_more_than_size_connections() {
        let script = Script {
            dot_delay: Duration::from_millis(20),
            ..Script::default()
        };
        let peer = SmtpPeer::scripted(script).await;
        let pool = Arc::new(plain_pool(&peer, 4));
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move {
                    let to = format!("user{i}@example.com");
                    pool.send("a@example.com", &to, SIMPLE).await
                })
            })
            .collect();
        for task in tasks {
            let outcome = task.await.unwrap();
            assert!(matches!(outcome, SmtpOutcome::Sent { .. }), "{outcome:?}");
        }
        assert_eq!(peer.messages().len(), 40);
        let max_open = peer.max_open();
        let accepted = peer.accepted();
        assert!(max_open <= 4, "{max_open} connections open at once");
        assert!(accepted <= 4, "{accepted} connections opened");
        assert!(
            accepted >= 2,
            "expected the 40 sends to share several connections"
        );
    }

    /// Against Postfix's smtp-sink (Debian package `postfix`), if installed. `SMTP_SINK` may name
    /// another copy of the binary.
    #[tokio::test]
    async fn sends_to_postfix_smtp_sink() {
        let sink = std::env::var("SMTP_SINK").unwrap_or_else(|_| "/usr/sbin/smtp-sink".to_owned());
        if !std::path::Path::new(&sink).exists() {
            println!("skipping: {sink} is not installed (apt-get install postfix)");
            return;
        }
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let is_root = std::process::Command::new("id")
            .arg("-u")
            .output()
            .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
            .unwrap_or(false);
        let mut command = std::process::Command::new(&sink);
        if is_root {
            command.args(["-u", "nobody"]);
        }
        command.args([format!("127.0.0.1:{port}"), "100".to_owned()]);
        let _sink = KillOnDrop(command.spawn().expect("start smtp-sink"));

        let ready = async {
            loop {
                if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), ready)
            .await
            .expect("smtp-sink did not start listening");

        let url = format!("smtp://127.0.0.1:{port}?tls=none");
        let pool = SmtpPool::new(SmtpSettings::from_url(&url).unwrap(), 2, "client.test");
        for i in 0..20 {
            let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
            assert!(
                matches!(outcome, SmtpOutcome::Sent { .. }),
                "message {i}: {outcome:?}"
            );
        }
        pool.close().await;
    }

    /// Kills the child process when the test ends, however it ends.
    struct KillOnDrop(std::process::Child);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
