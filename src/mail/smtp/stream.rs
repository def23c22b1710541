//! The socket lettre talks over: TCP with TCP_NODELAY, per-step timeouts, writes held back until the
//! next read, and implicit TLS on top.
//!
//! # Why the connector is our own (TCP_NODELAY)
//!
//! lettre 0.11.23, the newest release, still never sets `TCP_NODELAY` (lettre PR #1159 sets it, but
//! is not released yet), and it writes a message body and the closing `"\r\n.\r\n"` as two separate
//! writes. With Nagle's algorithm on, the kernel holds back that second, small write until the relay
//! has acknowledged the body, and relays delay their ACK by up to ~40 ms hoping to piggyback it on a
//! reply that cannot come before the dot arrives. Every message therefore stalls ~40 ms, capping one
//! connection at about 25 messages per second. We open the [`TcpStream`] ourselves, call
//! `set_nodelay(true)`, and hand it to lettre through `AsyncSmtpConnection::connect_with_transport`;
//! STARTTLS and implicit TLS sit on top of that same socket, so the option holds for every security
//! mode.
//!
//! # Timeouts
//!
//! Connecting (DNS and TCP) is limited to [`CONNECT_TIMEOUT`]. Every read or write on the socket
//! that makes no progress for [`COMMAND_TIMEOUT`] fails with a timeout error, which bounds the wait
//! for each SMTP reply (greeting, EHLO, MAIL, RCPT, DATA, the final dot, ...). Both give
//! [`SmtpOutcome::Deferred`].

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;
use tokio_rustls::rustls;

use super::{Security, SmtpOutcome};

/// Limit for resolving the relay's name and opening the TCP connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Limit for each step of the conversation: a read or write that makes no progress for this long fails.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the sockets of one pool: its timeouts, and its rustls configuration for implicit TLS.
#[derive(Debug)]
pub(super) struct Connector {
    /// rustls configuration for implicit TLS, built on first use.
    implicit_tls: OnceLock<Arc<rustls::ClientConfig>>,
    pub(super) connect_timeout: Duration,
    pub(super) command_timeout: Duration,
}

impl Connector {
    pub(super) fn new() -> Connector {
        Connector {
            implicit_tls: OnceLock::new(),
            connect_timeout: CONNECT_TIMEOUT,
            command_timeout: COMMAND_TIMEOUT,
        }
    }

    /// TCP with TCP_NODELAY, then the TLS handshake if `security` is implicit TLS: the stream that
    /// lettre reads the greeting from.
    pub(super) async fn connect(
        &self,
        host: &str,
        port: u16,
        security: Security,
    ) -> Result<Box<dyn AsyncTokioStream>, SmtpOutcome> {
        let deferred = |reason: String| SmtpOutcome::Deferred { reason };

        let tcp = match tokio::time::timeout(self.connect_timeout, TcpStream::connect((host, port)))
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
                let server_name = rustls::pki_types::ServerName::try_from(host.to_owned())
                    .map_err(|e| {
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
        Ok(stream)
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
    use crate::mail::smtp::SmtpPool;
    use crate::mail::smtp::smtp_peer::{Script, SmtpPeer};
    use crate::mail::smtp::test_support::{SIMPLE, plain_pool, settings};
    use std::time::Instant;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn write_behind_holds_writes_until_the_next_read() {
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

    #[tokio::test]
    async fn unreachable_relay_is_deferred() {
        // Bind and drop a listener to get a port that (almost certainly) nobody listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let pool = SmtpPool::new(
            settings("127.0.0.1", port, Security::None),
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
    async fn implicit_tls_against_a_plain_server_is_deferred() {
        let peer = SmtpPeer::accepting().await;
        let settings = settings("localhost", peer.addr.port(), Security::Tls);
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
        let peer = SmtpPeer::scripted(script).await;
        let pool =
            plain_pool(&peer, 1).with_timeouts(Duration::from_secs(1), Duration::from_millis(300));
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

    /// The point of the own connector: with Nagle's algorithm on, every message waits ~40 ms for the
    /// relay's delayed ACK before the final "\r\n.\r\n" leaves, so 200 messages would take ~8 s.
    #[tokio::test]
    async fn sequential_messages_do_not_stall_on_delayed_acks() {
        let peer = SmtpPeer::accepting().await;
        let pool = plain_pool(&peer, 1);
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
        assert_eq!(peer.accepted(), 1);
        assert!(
            elapsed < Duration::from_secs(2),
            "200 messages took {elapsed:?}"
        );
    }
}
