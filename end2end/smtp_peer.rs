//! A scripted SMTP server for tests, shared by the SMTP client's unit tests (src/mail/smtp, included
//! with `#[path]`) and the HTTP delivery tests. It answers each command as its [`Script`] says, keeps
//! every message it accepted (dot-stuffing undone) and counts connections.
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

/// What the peer answers to `RCPT TO:<address>`, given how many RCPTs it has seen before (from 0,
/// over all connections).
pub type Rcpt = Arc<dyn Fn(&str, usize) -> &'static str + Send + Sync>;

/// The peer's replies. Each is written followed by CRLF (the lines of a multi-line reply are joined
/// by CRLF); an empty reply writes nothing, like a relay that does not answer.
pub struct Script {
    pub ehlo: &'static str,
    pub mail: &'static str,
    pub rcpt: Rcpt,
    /// A 3xx reply takes the message; any other refuses DATA.
    pub data: &'static str,
    /// The reply after the final dot.
    pub dot: &'static str,
    /// How long the peer takes to accept a message after the final dot (before it keeps it).
    pub dot_delay: Duration,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            ehlo: "250-test.local greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760",
            mail: "250 2.1.0 Ok",
            rcpt: Arc::new(|_, _| "250 2.1.5 Ok"),
            data: "354 End data with <CR><LF>.<CR><LF>",
            dot: "250 2.0.0 Ok: queued as ABC",
            dot_delay: Duration::ZERO,
        }
    }
}

/// A message the peer accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub data: String,
}

pub struct SmtpPeer {
    pub addr: SocketAddr,
    /// `smtp://127.0.0.1:port?tls=none`
    pub url: String,
    seen: Arc<Seen>,
}

#[derive(Default)]
struct Seen {
    received: Mutex<Vec<Received>>,
    auth_lines: Mutex<Vec<String>>,
    rcpts: AtomicUsize,
    accepted: AtomicUsize,
    open: AtomicUsize,
    max_open: AtomicUsize,
}

impl SmtpPeer {
    /// Accepts every recipient.
    pub async fn accepting() -> SmtpPeer {
        SmtpPeer::scripted(Script::default()).await
    }

    /// Accepts every recipient, taking `delay` to accept each message.
    pub async fn slow(delay: Duration) -> SmtpPeer {
        SmtpPeer::scripted(Script {
            dot_delay: delay,
            ..Script::default()
        })
        .await
    }

    /// Answers RCPT as `rcpt` says, everything else as [`Script::default`].
    pub async fn start(rcpt: Rcpt) -> SmtpPeer {
        SmtpPeer::scripted(Script {
            rcpt,
            ..Script::default()
        })
        .await
    }

    pub async fn scripted(script: Script) -> SmtpPeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("smtp://{addr}?tls=none");
        let seen = Arc::new(Seen::default());
        let shared = Arc::clone(&seen);
        let script = Arc::new(script);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                shared.accepted.fetch_add(1, Ordering::SeqCst);
                let now_open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
                shared.max_open.fetch_max(now_open, Ordering::SeqCst);
                let (script, seen) = (Arc::clone(&script), Arc::clone(&shared));
                tokio::spawn(async move {
                    let _ = serve(socket, &script, &seen).await;
                    seen.open.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        SmtpPeer { addr, url, seen }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.seen.received.lock().unwrap().clone()
    }

    /// How many times each message (by Mailroom's message id, from its Message-ID) arrived.
    pub fn arrivals(&self) -> HashMap<String, usize> {
        let mut seen = HashMap::new();
        for message in self.messages() {
            let id = message
                .data
                .split("Message-ID: <")
                .nth(1)
                .and_then(|rest| rest.split('@').next())
                .unwrap_or_default()
                .to_owned();
            *seen.entry(id).or_default() += 1;
        }
        seen
    }

    /// The AUTH commands received, as sent.
    pub fn auth_lines(&self) -> Vec<String> {
        self.seen.auth_lines.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.seen.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.seen.open.load(Ordering::SeqCst)
    }

    /// The most connections that were open at once.
    pub fn max_open(&self) -> usize {
        self.seen.max_open.load(Ordering::SeqCst)
    }
}

/// One connection: reads command lines and answers from `script`.
async fn serve(socket: TcpStream, script: &Script, seen: &Seen) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut read = BufReader::new(read);
    write.write_all(b"220 test.local ESMTP ready\r\n").await?;
    let (mut to, mut line) = (String::new(), Vec::new());
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).into_owned();
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" => script.ehlo,
            "HELO" => "250 test.local",
            "MAIL" => script.mail,
            "RCPT" => {
                // "RCPT TO:<address>"
                to = text
                    .trim_end()
                    .get(8..)
                    .unwrap_or("")
                    .trim_matches(['<', '>', ' '])
                    .to_owned();
                let n = seen.rcpts.fetch_add(1, Ordering::SeqCst);
                (script.rcpt)(&to, n)
            }
            "AUTH" => {
                seen.auth_lines
                    .lock()
                    .unwrap()
                    .push(text.trim_end().to_owned());
                "235 2.7.0 Authentication successful"
            }
            "NOOP" | "RSET" => "250 2.0.0 Ok",
            "QUIT" => {
                write.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            "DATA" if script.data.starts_with('3') => {
                write
                    .write_all(format!("{}\r\n", script.data).as_bytes())
                    .await?;
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
                if !script.dot_delay.is_zero() {
                    tokio::time::sleep(script.dot_delay).await;
                }
                seen.received.lock().unwrap().push(Received {
                    to: to.clone(),
                    data: String::from_utf8_lossy(&message).into_owned(),
                });
                script.dot
            }
            "DATA" => script.data,
            _ => "502 5.5.2 Error: command not recognized",
        };
        if !reply.is_empty() {
            write.write_all(format!("{reply}\r\n").as_bytes()).await?;
        }
    }
}
