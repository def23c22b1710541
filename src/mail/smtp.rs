//! Pooled SMTP client transport: hands finished messages to the relay named by `MAILROOM_SMTP_URL`.
//!
//! The SMTP protocol itself (greeting, EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA, dot-stuffing, QUIT) is
//! spoken by lettre's [`AsyncSmtpConnection`]. This module only opens the TCP connection, keeps a small
//! pool of open connections, and turns lettre's results into an [`SmtpOutcome`].
//!
//! # Why we open the socket ourselves (TCP_NODELAY)
//!
//! lettre 0.11 never sets `TCP_NODELAY`, and it writes a message body and the closing `"\r\n.\r\n"`
//! as two separate writes. With Nagle's algorithm on, the kernel holds back that second, small write
//! until the relay has acknowledged the body, and relays delay their ACK by up to ~40 ms hoping to
//! piggyback it on a reply that cannot come before the dot arrives. Every message therefore stalls
//! ~40 ms, capping one connection at about 25 messages per second. (Fixed upstream in lettre PR
//! #1159, not released yet.) We open the [`TcpStream`] ourselves, call `set_nodelay(true)`, and hand
//! it to lettre through [`AsyncSmtpConnection::connect_with_transport`]; STARTTLS and implicit TLS
//! sit on top of that same socket, so the option holds for every security mode.
//!
//! # Timeouts
//!
//! Connecting (DNS and TCP) is limited to [`CONNECT_TIMEOUT`]. Every read or write on the socket
//! that makes no progress for [`COMMAND_TIMEOUT`] fails with a timeout error, which bounds the wait
//! for each SMTP reply (greeting, EHLO, MAIL, RCPT, DATA, the final dot, ...). Both give
//! [`SmtpOutcome::Deferred`].

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use lettre::address::{Address, Envelope};
use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use percent_encoding::percent_decode_str;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::Sleep;
use tokio_rustls::rustls;
use url::{Host, Url};

/// Limit for resolving the relay's name and opening the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Limit for each step of the conversation: a read or write that makes no progress for this long fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// A pooled connection idle for longer than this is probed with NOOP before it is reused, because
/// the relay may have closed it in the meantime.
const PROBE_AFTER_IDLE: Duration = Duration::from_secs(2);
/// A pooled connection idle for longer than this is closed instead of reused: relays drop idle
/// clients after a few minutes anyway (Postfix after 300 s), often without telling us.
const MAX_IDLE: Duration = Duration::from_secs(60);

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
    /// rustls configuration for implicit TLS, built on first use.
    implicit_tls: OnceLock<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
    command_timeout: Duration,
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
            implicit_tls: OnceLock::new(),
            connect_timeout: CONNECT_TIMEOUT,
            command_timeout: COMMAND_TIMEOUT,
        }
    }

    /// Replaces the default timeouts ([`CONNECT_TIMEOUT`] and [`COMMAND_TIMEOUT`]).
    pub fn with_timeouts(mut self, connect: Duration, command: Duration) -> SmtpPool {
        self.connect_timeout = connect;
        self.command_timeout = command;
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

        let tcp = match tokio::time::timeout(
            self.connect_timeout,
            TcpStream::connect((host.as_str(), *port)),
        )
        .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(e)) => {
                return Err(deferred(format!("cannot connect to {host}:{port}: {e}")));
            }
            Err(_) => {
                return Err(deferred(format!(
                    "cannot connect to {host}:{port}: no connection within {:?}",
                    self.connect_timeout
                )));
            }
        };
        // The reason for this module: see the module documentation.
        tcp.set_nodelay(true).map_err(|e| {
            deferred(format!(
                "cannot set TCP_NODELAY on the connection to {host}:{port}: {e}"
            ))
        })?;
        let tcp = Timed::new(WriteBehind::new(tcp), self.command_timeout);

        let stream: Box<dyn AsyncTokioStream> = match security {
            Security::Tls => {
                let server_name =
                    rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| {
                        deferred(format!("`{host}` cannot be used as a TLS server name: {e}"))
                    })?;
                let connector =
                    tokio_rustls::TlsConnector::from(Arc::clone(self.implicit_tls_config()));
                let tls = connector.connect(server_name, tcp).await.map_err(|e| {
                    deferred(format!("TLS handshake with {host}:{port} failed: {e}"))
                })?;
                Box::new(ImplicitTls(tls))
            }
            Security::StartTls | Security::None => Box::new(tcp),
        };

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

    fn implicit_tls_config(&self) -> &Arc<rustls::ClientConfig> {
        self.implicit_tls.get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            // Name the provider explicitly, so this works whether or not the application installed
            // a process-wide default rustls provider.
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
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

/// A stream whose reads and writes fail with `TimedOut` after making no progress for `limit`.
///
/// lettre's `send` runs MAIL, RCPT, DATA and the message as one future; putting the limit on the
/// socket gives every single command (and the wait for its reply) its own timeout. Any progress,
/// in either direction, restarts both clocks, so a timer left over from an earlier wait never
/// fires later by mistake.
#[derive(Debug)]
struct Timed<S> {
    inner: S,
    limit: Duration,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

impl<S> Timed<S> {
    fn new(inner: S, limit: Duration) -> Self {
        Timed {
            inner,
            limit,
            read_timer: None,
            write_timer: None,
        }
    }

    /// Passes a ready result through (stopping both timers); if the inner stream is not ready,
    /// starts this direction's timer if needed and fails once it has fired.
    fn check<T>(
        &mut self,
        poll: Poll<io::Result<T>>,
        direction: Direction,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        if poll.is_ready() {
            self.read_timer = None;
            self.write_timer = None;
            return poll;
        }
        let timer = match direction {
            Direction::Read => &mut self.read_timer,
            Direction::Write => &mut self.write_timer,
        };
        let limit = self.limit;
        let sleep = timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                *timer = None;
                Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the SMTP server did not respond within {limit:?}"),
                )))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Timed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        this.check(poll, Direction::Read, cx)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Timed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        this.check(poll, Direction::Write, cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.check(poll, Direction::Write, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_flush(cx);
        this.check(poll, Direction::Write, cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_shutdown(cx);
        this.check(poll, Direction::Write, cx)
    }
}

impl AsyncTokioStream for Timed<WriteBehind<TcpStream>> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.inner.peer_addr()
    }
}

/// Most bytes held back before a write goes to the socket anyway.
const WRITE_BEHIND_LIMIT: usize = 64 * 1024;

/// A stream that holds what is written until the connection next reads (or shuts down), then sends
/// it all in one write.
///
/// SMTP is request and reply: whatever the client writes, it then waits for the relay's answer, so
/// nothing is held longer than until that wait starts. lettre writes a message's body and the final
/// `"\r\n.\r\n"` as two writes, each flushed; held back together, they leave as one `send` and one
/// TCP segment instead of two (a syscall and a wake-up of the relay less per message). `poll_flush`
/// therefore sends nothing: the next read (or shutdown) does.
#[derive(Debug)]
struct WriteBehind<S> {
    inner: S,
    pending: Vec<u8>,
    /// How much of `pending` the socket has taken.
    written: usize,
}

impl<S> WriteBehind<S> {
    fn new(inner: S) -> Self {
        WriteBehind {
            inner,
            pending: Vec::new(),
            written: 0,
        }
    }
}

impl<S: AsyncWrite + Unpin> WriteBehind<S> {
    /// Writes out everything held back.
    fn poll_send_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            match ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))? {
                0 => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                n => self.written += n,
            }
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WriteBehind<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_pending(cx))?;
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteBehind<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.pending.len() >= WRITE_BEHIND_LIMIT {
            ready!(this.poll_send_pending(cx))?;
        }
        this.pending.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Sent by the next read or shutdown: see the type's documentation.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_send_pending(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Implicit TLS (smtps://) over our own TCP_NODELAY socket. lettre can only add TLS before the
/// greeting when it opens the socket itself, so we do the handshake with tokio-rustls and hand
/// lettre the encrypted stream.
#[derive(Debug)]
struct ImplicitTls(tokio_rustls::client::TlsStream<Timed<WriteBehind<TcpStream>>>);

impl AsyncRead for ImplicitTls {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ImplicitTls {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for ImplicitTls {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.inner.inner.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

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

    #[tokio::test]
    async fn write_behind_holds_writes_until_the_next_read() {
        use tokio::io::AsyncReadExt;
        let (client, mut relay) = tokio::io::duplex(1024);
        let mut stream = WriteBehind::new(client);
        stream.write_all(b"body").await.unwrap();
        stream.flush().await.unwrap();
        stream.write_all(b"\r\n.\r\n").await.unwrap();
        stream.flush().await.unwrap();
        let mut early = [0u8; 16];
        assert!(
            tokio::time::timeout(Duration::from_millis(50), relay.read(&mut early))
                .await
                .is_err(),
            "nothing reaches the peer before the client reads"
        );
        let peer = tokio::spawn(async move {
            let mut got = [0u8; 9];
            relay.read_exact(&mut got).await.unwrap();
            relay.write_all(b"250 ok\r\n").await.unwrap();
            (got, relay)
        });
        let mut reply = [0u8; 8];
        stream.read_exact(&mut reply).await.unwrap();
        assert_eq!(&reply, b"250 ok\r\n");
        let (got, mut relay) = peer.await.unwrap();
        assert_eq!(&got, b"body\r\n.\r\n");

        // Shutting down sends what is still held, then ends the stream.
        stream.write_all(b"QUIT\r\n").await.unwrap();
        stream.shutdown().await.unwrap();
        let mut rest = Vec::new();
        relay.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[tokio::test]
    async fn write_behind_sends_large_writes_without_waiting_for_a_read() {
        use tokio::io::AsyncReadExt;
        let (client, mut relay) = tokio::io::duplex(4 * WRITE_BEHIND_LIMIT);
        let mut stream = WriteBehind::new(client);
        let chunk = vec![b'x'; WRITE_BEHIND_LIMIT];
        stream.write_all(&chunk).await.unwrap();
        stream.write_all(b"y").await.unwrap();
        let mut got = vec![0u8; WRITE_BEHIND_LIMIT];
        tokio::time::timeout(Duration::from_secs(5), relay.read_exact(&mut got))
            .await
            .expect("the first 64 KiB were sent when the buffer was full")
            .unwrap();
        assert_eq!(got, chunk);
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

    #[test]
    fn pool_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SmtpPool>();
    }

    /// Replies of the scripted server; each is written as is (so it may hold several lines).
    #[derive(Clone)]
    struct Script {
        ehlo: &'static str,
        mail: &'static str,
        rcpt: &'static str,
        data: &'static str,
        dot: &'static str,
        dot_delay: Duration,
    }

    impl Default for Script {
        fn default() -> Self {
            Script {
                ehlo: "250-test.local greets you\r\n250-8BITMIME\r\n250-SIZE 10240000\r\n250 PIPELINING\r\n",
                mail: "250 2.1.0 Ok\r\n",
                rcpt: "250 2.1.5 Ok\r\n",
                data: "354 End data with <CR><LF>.<CR><LF>\r\n",
                dot: "250 2.0.0 Ok: queued as ABC\r\n",
                dot_delay: Duration::ZERO,
            }
        }
    }

    #[derive(Default)]
    struct Stats {
        accepted: AtomicUsize,
        open: AtomicUsize,
        max_open: AtomicUsize,
        messages: Mutex<Vec<Vec<u8>>>,
        auth_lines: Mutex<Vec<String>>,
    }

    /// A tiny SMTP server: a plain tokio listener that reads lines and answers from `script`.
    async fn start_server(script: Script) -> (SocketAddr, Arc<Stats>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stats = Arc::new(Stats::default());
        let shared = Arc::clone(&stats);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let now_open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
                shared.max_open.fetch_max(now_open, Ordering::SeqCst);
                let stats = Arc::clone(&shared);
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve(socket, &script, &stats).await;
                    stats.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        (addr, stats)
    }

    async fn serve(socket: TcpStream, script: &Script, stats: &Stats) -> io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut read = BufReader::new(read);
        write.write_all(b"220 test.local ESMTP ready\r\n").await?;
        let mut line = Vec::new();
        loop {
            line.clear();
            if read.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line).to_string();
            let verb = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            let reply = match verb.as_str() {
                "EHLO" => script.ehlo,
                "HELO" => "250 test.local\r\n",
                "MAIL" => script.mail,
                "RCPT" => script.rcpt,
                "AUTH" => {
                    stats
                        .auth_lines
                        .lock()
                        .unwrap()
                        .push(text.trim_end().to_owned());
                    "235 2.7.0 Authentication successful\r\n"
                }
                "NOOP" | "RSET" => "250 2.0.0 Ok\r\n",
                "QUIT" => {
                    write.write_all(b"221 2.0.0 Bye\r\n").await?;
                    return Ok(());
                }
                "DATA" if script.data.starts_with('3') => {
                    write.write_all(script.data.as_bytes()).await?;
                    let mut message = Vec::new();
                    loop {
                        line.clear();
                        if read.read_until(b'\n', &mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == b".\r\n" {
                            break;
                        }
                        // Undo dot-stuffing.
                        let start = usize::from(line.starts_with(b"."));
                        message.extend_from_slice(&line[start..]);
                    }
                    stats.messages.lock().unwrap().push(message);
                    if !script.dot_delay.is_zero() {
                        tokio::time::sleep(script.dot_delay).await;
                    }
                    script.dot
                }
                "DATA" => script.data,
                _ => "502 5.5.2 Error: command not recognized\r\n",
            };
            write.write_all(reply.as_bytes()).await?;
        }
    }

    fn plain_pool(addr: SocketAddr, size: usize) -> SmtpPool {
        let settings = settings("127.0.0.1", addr.port(), Security::None, None);
        SmtpPool::new(settings, size, "client.test")
    }

    const SIMPLE: &[u8] =
        b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nHello.\r\n";

    #[tokio::test]
    async fn message_arrives_byte_intact() {
        let (addr, stats) = start_server(Script::default()).await;
        let pool = plain_pool(addr, 1);
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

        let messages = stats.messages.lock().unwrap().clone();
        assert_eq!(messages.len(), 2);
        assert_eq!(String::from_utf8(messages[0].clone()).unwrap(), message);
        assert_eq!(messages[0], message.as_bytes());
        assert_eq!(messages[1], b"Subject: x\r\n\r\nno final newline\r\n");
    }

    #[tokio::test]
    async fn transient_reply_is_deferred() {
        let script = Script {
            rcpt: "451 4.3.0 <b@example.com>: Temporary lookup failure\r\n",
            ..Script::default()
        };
        let (addr, stats) = start_server(script).await;
        let pool = plain_pool(addr, 1);
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("451"), "{reason}");
        assert!(reason.contains("Temporary lookup failure"), "{reason}");
        assert!(stats.messages.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn permanent_reply_is_failed_with_the_server_text() {
        let script = Script {
            rcpt: "550 5.1.1 <x@y>: Recipient address rejected\r\n",
            ..Script::default()
        };
        let (addr, stats) = start_server(script).await;
        let pool = plain_pool(addr, 1);
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
        assert_eq!(stats.accepted.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn permanent_reply_after_the_dot_is_failed() {
        let script = Script {
            dot: "554 5.7.1 Message rejected as spam\r\n",
            ..Script::default()
        };
        let (addr, _stats) = start_server(script).await;
        let outcome = plain_pool(addr, 1)
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
        let (addr, stats) = start_server(Script::default()).await;
        let pool = plain_pool(addr, 1);
        let outcome = pool.send("a@example.com", "not an address", SIMPLE).await;
        assert!(matches!(outcome, SmtpOutcome::Failed { .. }), "{outcome:?}");
        assert_eq!(stats.accepted.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn unreachable_relay_is_deferred() {
        // Bind and drop a listener to get a port that (almost certainly) nobody listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let pool = SmtpPool::new(
            settings("127.0.0.1", port, Security::None, None),
            1,
            "client.test",
        );
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("cannot connect"), "{reason}");
    }

    #[tokio::test]
    async fn starttls_is_required_when_asked_for() {
        let (addr, stats) = start_server(Script::default()).await;
        let settings = settings("127.0.0.1", addr.port(), Security::StartTls, None);
        let pool = SmtpPool::new(settings, 1, "client.test");
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("does not offer STARTTLS"), "{reason}");
        assert!(stats.messages.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn implicit_tls_against_a_plain_server_is_deferred() {
        let (addr, _stats) = start_server(Script::default()).await;
        let settings = settings("localhost", addr.port(), Security::Tls, None);
        let pool = SmtpPool::new(settings, 1, "client.test");
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("TLS"), "{reason}");
    }

    #[tokio::test]
    async fn silent_server_times_out_as_deferred() {
        let script = Script {
            // Answers MAIL with nothing: a "reply" of zero bytes.
            mail: "",
            ..Script::default()
        };
        let (addr, _stats) = start_server(script).await;
        let pool =
            plain_pool(addr, 1).with_timeouts(Duration::from_secs(1), Duration::from_millis(300));
        let started = Instant::now();
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        let SmtpOutcome::Deferred { reason } = outcome else {
            panic!("expected Deferred, got {outcome:?}");
        };
        assert!(reason.contains("did not respond within 300ms"), "{reason}");
        println!("timeout reason: {reason}");
        // 300 ms for the unanswered MAIL, then lettre's QUIT, which this server answers at once.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn logs_in_with_percent_decoded_credentials() {
        let script = Script {
            ehlo: "250-test.local\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n",
            ..Script::default()
        };
        let (addr, stats) = start_server(script).await;
        let url = format!(
            "smtp://us%20er:p%40ss%3Aw%2Frd@127.0.0.1:{}?tls=none",
            addr.port()
        );
        let pool = SmtpPool::new(SmtpSettings::from_url(&url).unwrap(), 1, "client.test");
        let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
        assert!(matches!(outcome, SmtpOutcome::Sent { .. }), "{outcome:?}");
        // base64("\0us er\0p@ss:w/rd")
        assert_eq!(
            *stats.auth_lines.lock().unwrap(),
            ["AUTH PLAIN AHVzIGVyAHBAc3M6dy9yZA=="]
        );
    }

    #[tokio::test]
    async fn reuses_one_connection_for_sequential_messages() {
        let (addr, stats) = start_server(Script::default()).await;
        let pool = plain_pool(addr, 4);
        for i in 0..50 {
            let outcome = pool.send("a@example.com", "b@example.com", SIMPLE).await;
            assert!(
                matches!(outcome, SmtpOutcome::Sent { .. }),
                "message {i}: {outcome:?}"
            );
        }
        assert_eq!(stats.accepted.load(Ordering::SeqCst), 1);
        assert_eq!(stats.messages.lock().unwrap().len(), 50);
        pool.close().await;
        // The server sees QUIT and closes its side.
        for _ in 0..100 {
            if stats.open.load(Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(stats.open.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn never_opens_more_than_size_connections() {
        let script = Script {
            dot_delay: Duration::from_millis(20),
            ..Script::default()
        };
        let (addr, stats) = start_server(script).await;
        let pool = Arc::new(plain_pool(addr, 4));
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
        assert_eq!(stats.messages.lock().unwrap().len(), 40);
        let max_open = stats.max_open.load(Ordering::SeqCst);
        let accepted = stats.accepted.load(Ordering::SeqCst);
        assert!(max_open <= 4, "{max_open} connections open at once");
        assert!(accepted <= 4, "{accepted} connections opened");
        assert!(
            accepted >= 2,
            "expected the 40 sends to share several connections"
        );
    }

    /// The point of this module: with Nagle's algorithm on, every message waits ~40 ms for the
    /// relay's delayed ACK before the final "\r\n.\r\n" leaves, so 200 messages would take ~8 s.
    #[tokio::test]
    async fn sequential_messages_do_not_stall_on_delayed_acks() {
        let (addr, stats) = start_server(Script::default()).await;
        let pool = plain_pool(addr, 1);
        let mut message =
            b"From: a@example.com\r\nTo: b@example.com\r\nSubject: speed\r\n\r\n".to_vec();
        for _ in 0..16 {
            message.extend_from_slice(
                b"The quick brown fox jumps over the lazy dog, again and again.\r\n",
            );
        }
        // Warm up: open the connection before the clock starts.
        let outcome = pool.send("a@example.com", "b@example.com", &message).await;
        assert!(matches!(outcome, SmtpOutcome::Sent { .. }), "{outcome:?}");

        let started = Instant::now();
        for i in 0..200 {
            let outcome = pool.send("a@example.com", "b@example.com", &message).await;
            assert!(
                matches!(outcome, SmtpOutcome::Sent { .. }),
                "message {i}: {outcome:?}"
            );
        }
        let elapsed = started.elapsed();
        println!("200 sequential messages over one connection: {elapsed:?}");
        assert_eq!(stats.accepted.load(Ordering::SeqCst), 1);
        assert!(
            elapsed < Duration::from_secs(2),
            "200 messages took {elapsed:?}"
        );
    }

    /// Kills the child process when the test ends, however it ends.
    struct KillOnDrop(std::process::Child);

    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
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
}
