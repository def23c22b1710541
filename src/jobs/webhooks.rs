//! The webhook sender: claims due webhooks under a lease (several processes on one PostgreSQL share the
//! queue), posts each one signed, and records every attempt. Each receiver URL has its own bounded
//! concurrency and its own cap on claimed webhooks, so a slow or dead receiver holds only its own
//! share; the claim keeps the events of one email in order.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use rand::Rng;
use serde_json::{Value, json};
use tokio::{
    sync::{Notify, Semaphore, mpsc, watch},
    task::JoinHandle,
};

use super::webhook_client::{Answer, WebhookClient};
use crate::{
    db::{Db, WebhookJob, WebhookNext, WebhookOutcome, now_ms},
    domain::TEST_EVENT,
    metrics::Metrics,
};

/// How the sender behaves.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// Webhooks claimed at once.
    pub batch: i64,
    /// How long a claim is held before another sender may take the webhook over (after a crash).
    pub lease: Duration,
    /// Waits before the 1st, 2nd, … retry; after the last one the webhook is given up as failed.
    pub retry_delays: Vec<Duration>,
    /// Concurrent requests per receiver URL.
    pub per_url: usize,
    /// Webhooks in flight in this process, all URLs together.
    pub max_in_flight: usize,
    /// How often an idle sender looks for due webhooks.
    pub poll: Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        WebhookOptions {
            batch: 500,
            lease: minutes(1),
            // The contract's schedule: about 30 s, 2 min, 10 min, 1 h, 4 h, 12 h, 24 h.
            retry_delays: vec![
                Duration::from_secs(30),
                minutes(2),
                minutes(10),
                minutes(60),
                minutes(4 * 60),
                minutes(12 * 60),
                minutes(24 * 60),
            ],
            per_url: 32,
            max_in_flight: 2048,
            poll: Duration::from_millis(200),
        }
    }
}

/// A receiver URL's share of the sender.
struct Receiver {
    /// Requests in flight to it.
    permits: Arc<Semaphore>,
    /// Webhooks claimed for it and not yet recorded.
    claimed: AtomicUsize,
}

pub struct WebhookSender {
    db: Db,
    client: Arc<WebhookClient>,
    options: WebhookOptions,
    metrics: Arc<Metrics>,
    receivers: Mutex<HashMap<String, Arc<Receiver>>>,
    in_flight: AtomicUsize,
    /// Told when outcomes were recorded: room for the next claim.
    freed: Notify,
}

/// A running sender.
pub struct SenderHandle {
    stop: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl SenderHandle {
    /// Stops claiming, lets the webhooks in flight finish (up to 15 s) and records them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(Duration::from_secs(15), self.handle)
            .await
            .is_err()
        {
            tracing::warn!(
                "webhook sender did not finish in time; its webhooks are retried after the lease"
            );
        }
    }
}

impl WebhookSender {
    pub fn new(
        db: Db,
        client: Arc<WebhookClient>,
        options: WebhookOptions,
        metrics: Arc<Metrics>,
    ) -> Arc<WebhookSender> {
        Arc::new(WebhookSender {
            db,
            client,
            options,
            metrics,
            receivers: Mutex::default(),
            in_flight: AtomicUsize::new(0),
            freed: Notify::new(),
        })
    }

    /// Runs until stopped.
    pub fn spawn(self: &Arc<Self>) -> SenderHandle {
        let (stop, stopped) = watch::channel(false);
        let sender = self.clone();
        let handle = tokio::spawn(async move { sender.run(stopped, false).await });
        SenderHandle { stop, handle }
    }

    /// Delivers until nothing is due and nothing is in flight (tests and benchmarks).
    pub async fn drain(self: &Arc<Self>) {
        let (_stop, stopped) = watch::channel(false);
        self.clone().run(stopped, true).await;
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>, until_idle: bool) {
        let (outcomes, received) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(record(
            self.db.clone(),
            self.metrics.clone(),
            self.clone(),
            received,
        ));
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            if *stopped.borrow() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            // Read before the claim: a claim that finds nothing while nothing was in flight means idle
            // (outcomes recorded during the claim may have freed a URL the claim left out as busy).
            let nothing_in_flight = self.in_flight.load(Ordering::Acquire) == 0;
            let room = self
                .options
                .max_in_flight
                .saturating_sub(self.in_flight.load(Ordering::Acquire));
            let claimed = if room == 0 {
                Ok(Vec::new())
            } else {
                let busy = self.busy_urls();
                let lease_until = now_ms() + self.options.lease.as_millis() as i64;
                self.db
                    .claim_webhooks(self.options.batch.min(room as i64), lease_until, &busy)
                    .await
            };
            let jobs = match claimed {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::error!(error = %e, "claiming webhooks failed; retrying in 5 s");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stopped.changed() => {}
                    }
                    continue;
                }
            };
            if jobs.is_empty() {
                if until_idle && nothing_in_flight {
                    break;
                }
                // Claim again once outcomes are recorded (a busy receiver has room again, the next
                // event of an email may go), or after the poll for webhooks that fall due.
                let idle = if until_idle {
                    Duration::from_millis(10)
                } else {
                    self.options.poll
                };
                tokio::select! {
                    _ = tokio::time::sleep(idle) => {}
                    _ = self.freed.notified() => {}
                    _ = stopped.changed() => {}
                }
                continue;
            }
            for job in jobs {
                let receiver = self.receiver(job.url.as_deref().unwrap_or_default());
                receiver.claimed.fetch_add(1, Ordering::AcqRel);
                self.in_flight.fetch_add(1, Ordering::AcqRel);
                let (sender, outcomes) = (self.clone(), outcomes.clone());
                tasks.spawn(async move {
                    let outcome = sender.attempt(&job, &receiver).await;
                    // The recorder releases the claim once the outcome is stored.
                    let _ = outcomes.send((outcome, receiver));
                });
            }
        }
        while tasks.join_next().await.is_some() {}
        drop(outcomes);
        let _ = recorder.await;
    }

    /// URLs with as many webhooks claimed as two rounds of their concurrency: not claimed for now.
    fn busy_urls(&self) -> Vec<String> {
        let limit = self.options.per_url * 2;
        self.receivers
            .lock()
            .expect("receivers lock")
            .iter()
            .filter(|(_, r)| r.claimed.load(Ordering::Acquire) >= limit)
            .map(|(url, _)| url.clone())
            .collect()
    }

    fn receiver(&self, url: &str) -> Arc<Receiver> {
        let mut receivers = self.receivers.lock().expect("receivers lock");
        if let Some(r) = receivers.get(url) {
            return r.clone();
        }
        // Forget receivers with nothing claimed (URLs that changed) before adding one.
        if receivers.len() > 1024 {
            receivers.retain(|_, r| r.claimed.load(Ordering::Acquire) > 0);
        }
        let receiver = Arc::new(Receiver {
            permits: Arc::new(Semaphore::new(self.options.per_url)),
            claimed: AtomicUsize::new(0),
        });
        receivers.insert(url.to_owned(), receiver.clone());
        receiver
    }

    /// One attempt of a claimed webhook, and what follows from its answer.
    async fn attempt(&self, job: &WebhookJob, receiver: &Receiver) -> WebhookOutcome {
        let answer = match job.url.as_deref() {
            None => Answer {
                status: None,
                latency_ms: 0,
                text: "No webhook URL is set for the project or its account.".into(),
            },
            Some(url) => match self.secrets(job).await {
                Err(e) => Answer {
                    status: None,
                    latency_ms: 0,
                    text: format!("Could not read the signing secret: {e}"),
                },
                Ok(secrets) => {
                    let _permit = receiver.permits.acquire().await;
                    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
                    self.client
                        .post(url, &job.message_id, &secrets, body(job))
                        .await
                }
            },
        };
        let next = if answer.is_success() {
            WebhookNext::Delivered
        } else if answer.status == Some(410) || job.url.is_none() || job.event_type == TEST_EVENT {
            WebhookNext::Failed
        } else {
            match self
                .options
                .retry_delays
                .get(job.attempts.max(1) as usize - 1)
            {
                Some(delay) => {
                    let jitter = rand::thread_rng().gen_range(0.9..1.1);
                    WebhookNext::Retry(now_ms() + (delay.as_millis() as f64 * jitter) as i64)
                }
                None => WebhookNext::Failed,
            }
        };
        WebhookOutcome {
            id: job.id,
            project_id: job.project_id,
            lease_until: job.lease_until,
            url: job.url.clone().unwrap_or_default(),
            status_code: answer.status.map(i64::from),
            latency_ms: answer.latency_ms,
            response: answer.text,
            at: now_ms(),
            next,
        }
    }

    /// The secrets that sign a project's webhooks now: the current one, and the previous one during the
    /// day after a rotation.
    async fn secrets(&self, job: &WebhookJob) -> sqlx::Result<Vec<String>> {
        let (current, previous, until) = match &job.webhook_secret {
            Some(current) => (
                current.clone(),
                job.webhook_secret_previous.clone(),
                job.webhook_secret_previous_until,
            ),
            None => {
                let stored = self.db.webhook_secrets(job.project_id).await?;
                let stored = stored.ok_or(sqlx::Error::RowNotFound)?;
                (
                    stored.webhook_secret.ok_or(sqlx::Error::RowNotFound)?,
                    stored.webhook_secret_previous,
                    stored.webhook_secret_previous_until,
                )
            }
        };
        let mut secrets = vec![current];
        if let (Some(previous), Some(until)) = (previous, until)
            && until > now_ms()
        {
            secrets.push(previous);
        }
        Ok(secrets)
    }
}

/// The body of a webhook: the contract's `type`, `timestamp` and `data`.
pub fn body(job: &WebhookJob) -> Vec<u8> {
    let at = job.event_at.unwrap_or(job.created_at);
    let timestamp = chrono::DateTime::from_timestamp_millis(at)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let data = if job.event_type == TEST_EVENT {
        json!({
            "project_id": job.project_id,
            "message": "A test event sent from the Mailroom panel.",
        })
    } else {
        let meta: Value = job
            .meta
            .as_deref()
            .and_then(|m| serde_json::from_str(m).ok())
            .unwrap_or_else(|| json!({}));
        let mut data = json!({
            "message_id": job.email_message_id,
            "project_id": job.project_id,
            "user_id": job.user_id,
            "email": job.recipient,
            "type_id": job.type_id,
            "category": job.category,
            "status": job.email_status,
            "meta": meta,
        });
        if job.email_status.as_deref() == Some("clicked") {
            data["url"] = json!(job.detail);
        }
        data
    };
    serde_json::to_vec(&json!({
        "type": job.event_type,
        "timestamp": timestamp,
        "data": data,
    }))
    .expect("JSON values serialize")
}

/// Most outcomes stored in one transaction.
const RECORD_EVERY: usize = 512;

/// Stores outcomes in batches: whatever arrived while the previous transaction ran, with no waiting
/// (a group commit). A batch that cannot be stored is kept and tried again (the leases keep other
/// senders off meanwhile), so that no attempt's outcome is dropped while the database is open.
async fn record(
    db: Db,
    metrics: Arc<Metrics>,
    sender: Arc<WebhookSender>,
    mut received: mpsc::UnboundedReceiver<(WebhookOutcome, Arc<Receiver>)>,
) {
    let mut batch: Vec<(WebhookOutcome, Arc<Receiver>)> = Vec::new();
    loop {
        match received.recv().await {
            Some(first) => batch.push(first),
            None => break,
        }
        while batch.len() < RECORD_EVERY {
            match received.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let outcomes: Vec<WebhookOutcome> = batch.iter().map(|(o, _)| o.clone()).collect();
        let started = std::time::Instant::now();
        loop {
            match db.record_webhook_outcomes(&outcomes).await {
                Ok(()) => break,
                // Shutting down: the leases run out and another sender tries these webhooks again.
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::error!(error = %e, "recording webhook attempts failed; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
        metrics.count_webhook_recording(started.elapsed());
        for (outcome, receiver) in batch.drain(..) {
            metrics.count_webhook(outcome.next);
            receiver.claimed.fetch_sub(1, Ordering::AcqRel);
            sender.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
        sender.freed.notify_one();
    }
}
