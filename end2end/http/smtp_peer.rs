//! A scripted SMTP server for the delivery tests: it accepts or refuses each recipient as the test says
//! and keeps every message it accepted, with dot-stuffing undone.
use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// What the peer answers to `RCPT TO:<address>`, given how many RCPTs it has seen before (from 0).
pub type Script = Arc<dyn Fn(&str, usize) -> &'static str + Send + Sync>;

/// A message the peer accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub data: String,
}

pub struct SmtpPeer {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpPeer {
    /// Accepts every recipient.
    pub async fn accepting() -> SmtpPeer {
        SmtpPeer::start(Arc::new(|_, _| "250 2.1.5 Ok")).await
    }

    /// Accepts every recipient, taking `delay` to accept each message.
    pub async fn slow(delay: std::time::Duration) -> SmtpPeer {
        SmtpPeer::start_with(Arc::new(|_, _| "250 2.1.5 Ok"), delay).await
    }

    pub async fn start(script: Script) -> SmtpPeer {
        SmtpPeer::start_with(script, std::time::Duration::ZERO).await
    }

    async fn start_with(script: Script, delay: std::time::Duration) -> SmtpPeer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}?tls=none", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let rcpts = Arc::new(Mutex::new(0usize));
        let kept = received.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (script, kept, rcpts) = (script.clone(), kept.clone(), rcpts.clone());
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read);
                    let _ = write.write_all(b"220 peer ESMTP\r\n").await;
                    let (mut to, mut line) = (String::new(), String::new());
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let command = line.trim_end().to_ascii_uppercase();
                        let answer: String = if command.starts_with("EHLO") {
                            "250-peer\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760".into()
                        } else if command.starts_with("RCPT TO:") {
                            to = line.trim_end()[8..]
                                .trim_matches(['<', '>', ' '])
                                .to_owned();
                            let n = {
                                let mut seen = rcpts.lock().unwrap();
                                *seen += 1;
                                *seen - 1
                            };
                            script(&to, n).into()
                        } else if command == "DATA" {
                            let _ = write.write_all(b"354 go ahead\r\n").await;
                            let mut data = String::new();
                            loop {
                                line.clear();
                                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                                    return;
                                }
                                if line == ".\r\n" {
                                    break;
                                }
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                            }
                            if !delay.is_zero() {
                                tokio::time::sleep(delay).await;
                            }
                            kept.lock().unwrap().push(Received {
                                to: to.clone(),
                                data,
                            });
                            "250 2.0.0 Ok: queued".into()
                        } else if command == "QUIT" {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            "250 Ok".into()
                        };
                        if write
                            .write_all(format!("{answer}\r\n").as_bytes())
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        SmtpPeer { url, received }
    }

    pub fn messages(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// How many times each message (by Mailroom's message id, from its Message-ID) arrived.
    pub fn arrivals(&self) -> std::collections::HashMap<String, usize> {
        let mut seen = std::collections::HashMap::new();
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
}
