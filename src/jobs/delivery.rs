//! The delivery workers. Each one loops: claim a batch of due emails under a lease, render each and start
//! its send, and record the outcomes in transactions as the relay's answers come in. Several workers
//! (and several processes on one PostgreSQL) share the queue; a worker that dies mid-batch leaves its
//! lease to run out, and the next claim records the interruption and tries again.
use std::{
    collections::{HashMap, hash_map::Entry},
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::{Map, Value};
use tokio::{
    sync::{Notify, watch},
    task::{JoinHandle, JoinSet},
};

use crate::{
    db::{Captured, ClaimedEmail, Db, Outcome, OutcomeStatus, SenderRow, now_ms},
    mail::{
        EmailTemplate,
        links::Links,
        message::{MessageParts, build_message},
        smtp::{SmtpOutcome, SmtpPool},
        template_context,
    },
    metrics::Metrics,
    model::User,
};

/// Where emails go.
#[derive(Clone)]
pub enum Transport {
    /// Kept in the database and shown in the panel's Outbox (no SMTP relay configured).
    Outbox,
    /// Sent through the relay of `MAILROOM_SMTP_URL`.
    Smtp(Arc<SmtpPool>),
}

/// How the workers behave.
#[derive(Debug, Clone)]
pub struct DeliveryOptions {
    /// Emails claimed at once.
    pub batch: i64,
    /// How long a claim is held before another worker may take the email over.
    pub lease: Duration,
    /// Waits before the 1st, 2nd, … retry of a deferred email; the last one repeats.
    pub retry_delays: Vec<Duration>,
    /// Attempts before a deferred email is given up as failed.
    pub max_attempts: i64,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(60 * m);
        DeliveryOptions {
            batch: 500,
            lease: minutes(10),
            retry_delays: vec![
                minutes(1),
                minutes(5),
                minutes(15),
                minutes(60),
                minutes(180),
            ],
            max_attempts: 10,
        }
    }
}

/// How many relay answers, or how long, before they are recorded.
const RECORD_EVERY: usize = 64;
const RECORD_AFTER: Duration = Duration::from_millis(50);
/// Emails rendered in a row before the worker yields to the sends it started.
const RENDER_STRETCH: usize = 16;

/// Running workers.
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Lets each worker finish its batch (up to a minute), then returns.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let all = futures_join(self.handles);
        if tokio::time::timeout(Duration::from_secs(60), all)
            .await
            .is_err()
        {
            tracing::warn!(
                "delivery workers did not finish in time; their emails are retried after the lease"
            );
        }
    }
}

async fn futures_join(handles: Vec<JoinHandle<()>>) {
    for handle in handles {
        let _ = handle.await;
    }
}

/// Renders and sends claimed emails.
pub struct Deliverer {
    db: Db,
    transport: Transport,
    options: DeliveryOptions,
    /// Host of the public URL: the default sender's domain.
    default_domain: String,
    /// The public URL (links in emails) and the key that signs them.
    base_url: String,
    secret_key: Arc<[u8]>,
    metrics: Arc<Metrics>,
    /// Compiled templates by email type, with the `updated_at` they were compiled from.
    templates: Mutex<HashMap<i64, (i64, Arc<EmailTemplate>)>>,
}

/// What rendering a claimed batch needs, read once per batch.
struct BatchContext {
    users: HashMap<i64, User>,
    templates: HashMap<i64, Option<Arc<EmailTemplate>>>,
    senders: HashMap<i64, SenderRow>,
}

/// Why a claimed email is not sent.
enum Skip {
    /// It cannot be made (the reason is recorded as the failure).
    Failed(String),
    /// The user unsubscribed or was suppressed after the email was queued.
    Suppressed,
}

struct Message {
    /// The envelope sender (a bare address).
    from: String,
    /// The From header as people read it (`Name <address>`).
    from_header: String,
    to: String,
    subject: String,
    raw: Vec<u8>,
}

impl Deliverer {
    pub fn new(
        db: Db,
        transport: Transport,
        options: DeliveryOptions,
        base_url: &str,
        secret_key: Arc<[u8]>,
        metrics: Arc<Metrics>,
    ) -> Deliverer {
        let host = url::Url::parse(base_url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .filter(|h| h.contains('.') && h.parse::<std::net::IpAddr>().is_err())
            .unwrap_or_else(|| "mailroom.localhost".into());
        Deliverer {
            db,
            transport,
            options,
            default_domain: host,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key,
            metrics,
            templates: Mutex::default(),
        }
    }

    /// Starts `count` workers; each waits for `wake` (a send was stored) or a second (retries fall due).
    pub fn spawn_workers(self: Arc<Self>, count: usize, wake: Arc<Notify>) -> Workers {
        let (stop, stopped) = watch::channel(false);
        let handles = (0..count)
            .map(|_| {
                let (deliverer, wake, mut stopped) = (self.clone(), wake.clone(), stopped.clone());
                tokio::spawn(async move {
                    while !*stopped.borrow() {
                        let idle = match deliverer.run_once().await {
                            Ok(0) => Duration::from_secs(1),
                            Ok(_) => continue,
                            Err(e) => {
                                tracing::error!(error = %e, "delivery batch failed; retrying in 5 s");
                                Duration::from_secs(5)
                            }
                        };
                        tokio::select! {
                            _ = tokio::time::sleep(idle) => {}
                            _ = wake.notified() => {}
                            _ = stopped.changed() => {}
                        }
                    }
                })
            })
            .collect();
        Workers { stop, handles }
    }

    /// Delivers until nothing is due (tests and operators use it to run the queue to completion).
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Claims one batch, delivers it and records the outcomes; returns how many emails were claimed.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let lease_until = now_ms() + self.options.lease.as_millis() as i64;
        let claimed = self
            .db
            .claim_due_emails(self.options.batch, lease_until)
            .await?;
        let count = claimed.len();
        if count == 0 {
            return Ok(0);
        }
        let context = self.batch_context(&claimed).await?;
        self.send(claimed, &context, lease_until).await?;
        Ok(count)
    }

    /// Reads what rendering the batch needs: its users, and each of its email types and projects once
    /// (so that edits of a template or a sender reach the next batch in every process).
    async fn batch_context(&self, claimed: &[ClaimedEmail]) -> anyhow::Result<BatchContext> {
        let mut user_ids: Vec<i64> = claimed.iter().map(|e| e.user_id).collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        let users: HashMap<i64, User> = self
            .db
            .users_by_ids(&user_ids)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut templates = HashMap::new();
        let mut senders = HashMap::new();
        for email in claimed {
            if let Entry::Vacant(slot) = templates.entry(email.type_id) {
                slot.insert(self.template(email.type_id).await?);
            }
            if let Entry::Vacant(slot) = senders.entry(email.project_id) {
                slot.insert(self.db.project_sender(email.project_id).await?);
            }
        }
        Ok(BatchContext {
            users,
            templates,
            senders,
        })
    }

    /// The message of one claimed email, or why it is not sent.
    fn prepare(&self, email: &ClaimedEmail, context: &BatchContext) -> Result<Message, Skip> {
        match (
            &context.templates[&email.type_id],
            context.users.get(&email.user_id),
        ) {
            (_, Some(user)) if !user.subscribed || user.suppressed_reason.is_some() => {
                Err(Skip::Suppressed)
            }
            (Some(template), Some(user)) => self
                .render(email, template, user, &context.senders[&email.project_id])
                .map_err(Skip::Failed),
            (None, _) => Err(Skip::Failed("the email type no longer exists".to_owned())),
            (_, None) => Err(Skip::Failed("the user no longer exists".to_owned())),
        }
    }

    fn render(
        &self,
        email: &ClaimedEmail,
        template: &EmailTemplate,
        user: &User,
        sender: &SenderRow,
    ) -> Result<Message, String> {
        let data = match serde_json::from_str::<Value>(&email.data) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let links = Links {
            base_url: &self.base_url,
            secret: &self.secret_key,
            message_id: &email.message_id,
        };
        let unsubscribe_url = links.unsubscribe_url();
        let mut context = template_context(&user_fields(user), &data);
        if let Value::Object(top) = &mut context {
            top.insert("unsubscribe_url".into(), unsubscribe_url.clone().into());
        }
        let rendered = template
            .render(&context)
            .map_err(|e| format!("the template does not render: {e}"))?;
        let html = links.track_html(&rendered.html);
        let from = sender
            .sender_email
            .clone()
            .unwrap_or_else(|| format!("no-reply@{}", self.default_domain));
        let domain = from
            .rsplit_once('@')
            .map_or("mailroom.localhost", |(_, d)| d);
        let raw = build_message(&MessageParts {
            message_id: &email.message_id,
            domain,
            from_email: &from,
            from_name: sender.sender_name.as_deref(),
            to: &user.email,
            subject: &rendered.subject,
            text: &rendered.text,
            html: &html,
            unsubscribe_url: Some(&unsubscribe_url),
        })?;
        let from_header = match &sender.sender_name {
            Some(name) => format!("{name} <{from}>"),
            None => from.clone(),
        };
        Ok(Message {
            from_header,
            from,
            to: user.email.clone(),
            subject: rendered.subject,
            raw,
        })
    }

    /// Sends the batch (through the relay, concurrently up to its pool size) and says what happened.
    /// The relay's answers are recorded as they come (every `RECORD_EVERY` answers or
    /// `RECORD_AFTER`), not at the end of the batch: a process that dies mid-batch then leaves only the
    /// messages in flight without a recorded outcome, and only those can reach the relay twice.
    ///
    /// Each email is rendered just before its send is started, so that the first messages are on their
    /// way while the rest of the batch is still being rendered.
    async fn send(
        &self,
        claimed: Vec<ClaimedEmail>,
        context: &BatchContext,
        lease_until: i64,
    ) -> anyhow::Result<()> {
        let mut outcomes = Vec::with_capacity(claimed.len());
        let mut in_flight = JoinSet::new();
        for (n, email) in claimed.into_iter().enumerate() {
            if n % RENDER_STRETCH == RENDER_STRETCH - 1 {
                // Lets this thread run the sends started so far instead of only rendering.
                tokio::task::yield_now().await;
            }
            let message = self.prepare(&email, context);
            let note = email.interrupted.then(|| {
                format!(
                    "attempt {} was interrupted before its outcome was recorded; the relay may have received it",
                    email.attempts - 1
                )
            });
            let message = match message {
                Ok(message) => message,
                Err(skip) => {
                    let (status, detail) = match skip {
                        Skip::Failed(reason) => (OutcomeStatus::Failed, reason),
                        Skip::Suppressed => (
                            OutcomeStatus::Suppressed,
                            "not sent: the user unsubscribed or is suppressed".to_owned(),
                        ),
                    };
                    outcomes.push(Outcome {
                        email_id: email.id,
                        status,
                        detail,
                        note,
                        captured: None,
                    });
                    continue;
                }
            };
            match &self.transport {
                Transport::Outbox => outcomes.push(Outcome {
                    email_id: email.id,
                    status: OutcomeStatus::Sent,
                    detail: "captured in the outbox".into(),
                    note,
                    captured: Some(Captured {
                        project_id: email.project_id,
                        sender: message.from_header,
                        recipient: message.to,
                        subject: message.subject,
                        raw: String::from_utf8_lossy(&message.raw).into_owned(),
                    }),
                }),
                Transport::Smtp(pool) => {
                    let pool = pool.clone();
                    let retry = self.retry_status(email.attempts);
                    in_flight.spawn(async move {
                        let answer = pool.send(&message.from, &message.to, &message.raw).await;
                        let (status, detail) = match answer {
                            SmtpOutcome::Sent { response } => (OutcomeStatus::Sent, response),
                            SmtpOutcome::Deferred { reason } => retry(reason),
                            SmtpOutcome::Failed { reason } => (OutcomeStatus::Failed, reason),
                        };
                        Outcome {
                            email_id: email.id,
                            status,
                            detail,
                            note,
                            captured: None,
                        }
                    });
                }
            }
        }
        let mut answered = Vec::new();
        let mut since = std::time::Instant::now();
        while let Some(done) = in_flight.join_next().await {
            match done {
                Ok(outcome) => answered.push(outcome),
                // A panicked send leaves its email leased; it is retried when the lease runs out.
                Err(e) => tracing::error!(error = %e, "a send task failed"),
            }
            if answered.len() >= RECORD_EVERY || since.elapsed() >= RECORD_AFTER {
                self.record(lease_until, &answered).await?;
                answered.clear();
                since = std::time::Instant::now();
            }
        }
        outcomes.append(&mut answered);
        self.record(lease_until, &outcomes).await
    }

    async fn record(&self, lease_until: i64, outcomes: &[Outcome]) -> anyhow::Result<()> {
        self.db.record_outcomes(lease_until, outcomes).await?;
        for outcome in outcomes {
            self.metrics.count_outcome(outcome.status.as_str(), 1);
        }
        Ok(())
    }

    /// What a temporary failure of attempt `attempts` becomes: a retry later, or failed at the last one.
    fn retry_status(
        &self,
        attempts: i64,
    ) -> impl Fn(String) -> (OutcomeStatus, String) + Send + 'static {
        let max = self.options.max_attempts;
        let delays = self.options.retry_delays.clone();
        move |reason| {
            if attempts >= max {
                return (
                    OutcomeStatus::Failed,
                    format!("gave up after {attempts} attempts: {reason}"),
                );
            }
            let index = usize::try_from(attempts - 1)
                .unwrap_or(0)
                .min(delays.len().saturating_sub(1));
            let delay = delays
                .get(index)
                .copied()
                .unwrap_or(Duration::from_secs(60));
            (
                OutcomeStatus::Deferred {
                    retry_at: now_ms() + delay.as_millis() as i64,
                },
                reason,
            )
        }
    }

    /// The compiled templates of an email type, recompiled when the type was edited.
    async fn template(&self, type_id: i64) -> anyhow::Result<Option<Arc<EmailTemplate>>> {
        let Some(row) = self.db.email_type_templates(type_id).await? else {
            return Ok(None);
        };
        if let Some((updated_at, template)) = lock(&self.templates).get(&type_id)
            && *updated_at == row.updated_at
        {
            return Ok(Some(template.clone()));
        }
        let template = match EmailTemplate::compile(&row.subject, &row.html_body, &row.text_body) {
            Ok(t) => Arc::new(t),
            // A template that does not compile fails each of its emails with the reason.
            Err(e) => Arc::new(EmailTemplate::failing(e)),
        };
        lock(&self.templates).insert(type_id, (row.updated_at, template.clone()));
        Ok(Some(template))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The user's email and the parameters that are set (a missing one stays undefined in templates).
pub(crate) fn user_fields(user: &User) -> Map<String, Value> {
    let mut fields = Map::new();
    fields.insert("email".into(), user.email.clone().into());
    if let Ok(Value::Object(params)) = serde_json::to_value(&user.params) {
        fields.extend(params.into_iter().filter(|(_, value)| !value.is_null()));
    }
    fields
}
