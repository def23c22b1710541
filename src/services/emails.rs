//! Sending an email: the user is created on the first send or updated, and the email is stored as
//! queued (durably) before the caller hears back.
//!
//! Sends are written by one writer task per process (a group commit): each request hands its validated
//! email to the writer and waits; the writer commits whatever is waiting as one transaction, without
//! waiting for more, then answers them all. One transaction per batch instead of one per request is what
//! lets SQLite (one writer at a time) and PostgreSQL (one flush per commit) keep up with many clients.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde::Serialize;
use tokio::sync::{Notify, mpsc, oneshot};

/// What a send asks for, as the API builds it (the store's batch type: moved in, not copied).
pub use crate::db::{IdempotencyKey, NewEmail};
use crate::{
    db::{Db, EnqueueOutcome, IdempotencyRecord, SendStore},
    domain::push_random_token,
    error::AppError,
};

/// The answer to a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendOutcome {
    pub message_id: String,
    pub user_id: i64,
    pub user_created: bool,
    pub email: String,
    pub status: String,
}

/// A new message id: `msg_`, the time in milliseconds (9 base-36 digits) and 15 random letters and
/// digits (~89 bits). Ids of one moment sort together, so the database's index of message ids grows at
/// its end instead of at a random page per email. Written into one string of its final size.
pub(crate) fn message_id() -> String {
    let mut id = String::with_capacity(4 + 9 + 15);
    id.push_str("msg_");
    id.extend(base36_millis(crate::db::now_ms()).map(char::from));
    push_random_token(&mut id, 15);
    id
}

/// `ms` as 9 base-36 digits (enough until the year 5000).
fn base36_millis(ms: i64) -> [u8; 9] {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut n = u64::try_from(ms).unwrap_or(0);
    let mut out = [b'0'; 9];
    for slot in out.iter_mut().rev() {
        *slot = DIGITS[(n % 36) as usize];
        n /= 36;
    }
    out
}

type Reply = oneshot::Sender<Result<EnqueueOutcome, AppError>>;

/// The handle of the process's send writer (cheap to clone).
#[derive(Clone)]
pub struct SendWriter {
    sender: mpsc::Sender<(NewEmail, Reply)>,
}

impl SendWriter {
    /// Most emails committed in one transaction.
    pub const MAX_BATCH: usize = 1000;

    /// Starts the writer; `stored` is notified after each commit. How many writers run, and where
    /// (a thread of its own for SQLite, tasks for PostgreSQL), is the store's choice
    /// (`SendStore::spawn_writers`).
    pub fn start(db: &Db, stored: Arc<Notify>) -> anyhow::Result<SendWriter> {
        let (sender, receiver) = mpsc::channel(4 * Self::MAX_BATCH);
        let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
        db.send_store()?.spawn_writers(move |store, own_thread| {
            write_batches(store, receiver.clone(), stored.clone(), own_thread)
        })?;
        Ok(SendWriter { sender })
    }

    /// Stores the email and returns once it is committed.
    pub async fn enqueue(&self, email: NewEmail) -> Result<EnqueueOutcome, AppError> {
        let (reply, outcome) = oneshot::channel();
        self.sender
            .send((email, reply))
            .await
            .map_err(|_| AppError::Internal)?;
        outcome.await.map_err(|_| AppError::Internal)?
    }
}

type Jobs = Arc<tokio::sync::Mutex<mpsc::Receiver<(NewEmail, Reply)>>>;

/// How long the SQLite writer's thread looks for the next send before it sleeps. Under light load the
/// next send usually arrives within this time, and waking a sleeping thread costs about as much again.
const WRITER_SPIN: Duration = Duration::from_micros(200);

/// Waits for one email, then takes whatever else is already waiting (the receiver is held only while
/// taking, so that another writer can take the next batch while this one commits). `spin`: first look for
/// up to `WRITER_SPIN`, giving way to other threads meanwhile (only on a thread of the writer's own).
async fn next_batch(receiver: &Jobs, jobs: &mut Vec<(NewEmail, Reply)>, spin: bool) -> usize {
    let mut receiver = receiver.lock().await;
    if spin && receiver.is_empty() {
        let until = Instant::now() + WRITER_SPIN;
        while receiver.is_empty() && !receiver.is_closed() && Instant::now() < until {
            std::thread::yield_now();
        }
    }
    receiver.recv_many(jobs, SendWriter::MAX_BATCH).await
}

async fn write_batches(mut store: SendStore, receiver: Jobs, stored: Arc<Notify>, spin: bool) {
    let mut jobs = Vec::with_capacity(SendWriter::MAX_BATCH);
    while next_batch(&receiver, &mut jobs, spin).await > 0 {
        let (emails, replies): (Vec<NewEmail>, Vec<Reply>) = jobs.drain(..).unzip();
        match store.enqueue_emails(&emails).await {
            Ok(outcomes) => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
                stored.notify_waiters();
            }
            Err(e) if emails.len() > 1 => {
                // One bad email must not fail the others: each is tried alone.
                tracing::warn!(error = %e, size = emails.len(), "a batch of sends failed; storing them one by one");
                for (email, reply) in emails.into_iter().zip(replies) {
                    let outcome = store
                        .enqueue_emails(std::slice::from_ref(&email))
                        .await
                        .map_err(AppError::from)
                        .and_then(|mut o| o.pop().ok_or(AppError::Internal));
                    let _ = reply.send(outcome);
                }
                stored.notify_waiters();
            }
            Err(e) => {
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(AppError::from(e)));
                }
            }
        }
    }
}

/// Recent answers to "is this project the account's, and this email type the project's?", so that a
/// send does not read them from the database each time: one lookup, under one lock. Only positive
/// answers are kept, for `SendScopes::TTL` (projects and email types are not deleted, so a kept answer
/// stays true).
#[derive(Default)]
pub struct SendScopes {
    /// (account, project, type) → when both were found.
    found: Mutex<HashMap<(i64, i64, i64), Instant>>,
}

/// Where a send's project and email type stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The project is the account's and the type the project's.
    Found,
    NotTheAccountsProject,
    NotTheProjectsType,
}

impl SendScopes {
    pub const TTL: Duration = Duration::from_secs(30);
    const MAX_ENTRIES: usize = 50_000;

    /// Checks the project against the account and, when given, the type against the project (a send
    /// without a valid type_id is refused anyway; its project is still checked, to report both).
    pub async fn check(
        &self,
        db: &Db,
        account_id: i64,
        project_id: i64,
        type_id: Option<i64>,
    ) -> Result<Scope, AppError> {
        let key = type_id.map(|type_id| (account_id, project_id, type_id));
        if let Some(key) = key
            && lock(&self.found)
                .get(&key)
                .is_some_and(|at| at.elapsed() < Self::TTL)
        {
            return Ok(Scope::Found);
        }
        if !db.project_of_account(account_id, project_id).await? {
            return Ok(Scope::NotTheAccountsProject);
        }
        let Some(key) = key else {
            return Ok(Scope::Found);
        };
        if db.email_type_category(project_id, key.2).await?.is_none() {
            return Ok(Scope::NotTheProjectsType);
        }
        let mut found = lock(&self.found);
        if found.len() >= Self::MAX_ENTRIES {
            found.retain(|_, at| at.elapsed() < Self::TTL);
            if found.len() >= Self::MAX_ENTRIES {
                found.clear();
            }
        }
        found.insert(key, Instant::now());
        Ok(Scope::Found)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Stores the email (creating or updating its user) and answers once it is durable. With an
/// Idempotency-Key, a repeat within 24 h answers as the first time and stores nothing new.
pub async fn send(
    db: &Db,
    writer: &SendWriter,
    mut email: NewEmail,
) -> Result<SendOutcome, AppError> {
    if let Some(idem) = &email.idempotency
        && let Some(record) = db.idempotency_record(idem.account_id, &idem.key).await?
    {
        return replay(db, idem.account_id, record, &idem.request_hash).await;
    }
    email.message_id = message_id();
    let message_id = email.message_id.clone();
    let address = email.email.clone();
    let idempotency = email.idempotency.clone();
    let outcome = writer.enqueue(email).await?;
    let enqueued = match (outcome, &idempotency) {
        (EnqueueOutcome::Stored(enqueued), _) => enqueued,
        (EnqueueOutcome::KeyTaken, Some(idem)) => {
            let record = db
                .idempotency_record(idem.account_id, &idem.key)
                .await?
                .ok_or(AppError::Internal)?;
            return replay(db, idem.account_id, record, &idem.request_hash).await;
        }
        (EnqueueOutcome::KeyTaken, None) => return Err(AppError::Internal),
    };
    Ok(SendOutcome {
        message_id,
        user_id: enqueued.user_id,
        user_created: enqueued.user_created,
        email: address,
        status: enqueued.status.to_owned(),
    })
}

/// The first answer to an idempotent request, rebuilt from what was stored.
async fn replay(
    db: &Db,
    account_id: i64,
    record: IdempotencyRecord,
    request_hash: &str,
) -> Result<SendOutcome, AppError> {
    if record.request_hash != request_hash {
        return Err(AppError::Conflict(
            "This Idempotency-Key was already used with a different request body.".into(),
        ));
    }
    let email = db
        .email_of_account(account_id, &record.message_id)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(SendOutcome {
        message_id: email.message_id,
        user_id: email.user_id,
        user_created: record.user_created,
        email: email.email,
        status: email.first_status,
    })
}

/// An email with its events, for whoever may read its account: staff, or a client of the account (a
/// client's key never reads another account's email: it is "not found").
pub async fn get(
    db: &Db,
    actor: &crate::services::Actor,
    message_id: &str,
) -> Result<crate::model::Email, AppError> {
    Ok(stored(db, actor, message_id).await?.2)
}

/// An email with its context (type, project, the outbox's copy) and the webhooks about it, for the
/// panel's email page.
pub async fn detail(
    db: &Db,
    actor: &crate::services::Actor,
    message_id: &str,
) -> Result<crate::model::EmailDetail, AppError> {
    let (account_id, row, email) = stored(db, actor, message_id.trim()).await?;
    let context = db.email_context(row.id).await?.ok_or(AppError::NotFound)?;
    let webhooks = db.webhooks_of_email(row.id).await?;
    let content = match context.outbox_id {
        Some(id) => Some(crate::services::outbox::get(db, actor, id).await?),
        None => None,
    };
    let rerendered = match &content {
        Some(_) => None,
        None => rerender(db, &email).await?,
    };
    Ok(crate::model::EmailDetail {
        content,
        rerendered,
        email,
        type_name: context.type_name,
        project_name: context.project_name,
        account_id,
        outbox_id: context.outbox_id,
        webhooks,
    })
}

/// An email rendered again from the version of its templates in effect when it was created, its data
/// and its user as stored now (links are not tracked; the unsubscribe link points nowhere, so that
/// staff reading it change nothing).
async fn rerender(
    db: &Db,
    email: &crate::model::Email,
) -> Result<Option<crate::model::Rerendered>, AppError> {
    use serde_json::{Map, Value};
    let Some((version, matches)) = db
        .template_version_at(email.type_id, email.created_at)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = db.user(None, email.user_id).await? else {
        return Ok(None);
    };
    let data = match serde_json::from_str::<Value>(&email.data) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    let mut context =
        crate::mail::template_context(&crate::jobs::delivery::user_fields(&user), &data);
    if let Value::Object(top) = &mut context {
        top.insert("unsubscribe_url".into(), "#unsubscribe".into());
    }
    let rendered = crate::mail::EmailTemplate::compile(
        &version.subject,
        &version.html_body,
        &version.text_body,
    )
    .and_then(|t| t.render(&context));
    let (subject, html, text, error) = match rendered {
        Ok(r) => (r.subject, r.html, r.text, None),
        Err(e) => (
            String::new(),
            String::new(),
            String::new(),
            Some(format!("{}: {}", e.part, e.message)),
        ),
    };
    Ok(Some(crate::model::Rerendered {
        subject,
        html,
        text,
        version_at: version.created_at,
        version_matches: matches,
        error,
    }))
}

/// The subjects of a page of a user's emails, each rendered from the template version in effect when
/// the email was created (one read of the types' versions, each version compiled once).
pub struct Subjects {
    user: serde_json::Map<String, serde_json::Value>,
    versions: Vec<(i64, crate::db::TemplateVersion)>,
    compiled: std::collections::HashMap<(i64, i64), Option<crate::mail::EmailTemplate>>,
}

impl Subjects {
    pub async fn of(
        db: &Db,
        user: &crate::model::User,
        rows: &[crate::db::TimelineRow],
    ) -> Result<Subjects, AppError> {
        let mut type_ids: Vec<i64> = rows.iter().map(|r| r.type_id).collect();
        type_ids.sort_unstable();
        type_ids.dedup();
        Ok(Subjects {
            user: crate::jobs::delivery::user_fields(user),
            versions: db.template_versions(&type_ids).await?,
            compiled: std::collections::HashMap::new(),
        })
    }

    /// The row's subject, or `None` when its templates do not render.
    pub fn of_row(&mut self, row: &crate::db::TimelineRow) -> Option<String> {
        let of_type = self.versions.iter().filter(|(t, _)| *t == row.type_id);
        let version = of_type
            .clone()
            .rfind(|(_, v)| v.created_at <= row.created_at)
            .or_else(|| of_type.clone().next())
            .map(|(_, v)| v)?;
        let template = self
            .compiled
            .entry((row.type_id, version.created_at))
            .or_insert_with(|| crate::mail::EmailTemplate::compile(&version.subject, "", "").ok())
            .as_ref()?;
        let data = match serde_json::from_str::<serde_json::Value>(&row.data) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        let context = crate::mail::template_context(&self.user, &data);
        template.render(&context).ok().map(|r| r.subject)
    }
}

/// Emails shown on one page of a project's activity list.
pub const ACTIVITY_PER_PAGE: i64 = 50;

/// What a project's activity list asks for (as the page's form sends it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ActivityQuery {
    /// A message id (`msg_…`), or a recipient's address or its beginning.
    pub q: String,
    pub status: String,
    /// `0`: every type.
    pub type_id: i64,
    /// Days (`2026-12-07`, UTC), both included; empty: open.
    pub from: String,
    pub until: String,
    /// A `next` cursor.
    pub before: String,
}

/// Midnight UTC of a `YYYY-MM-DD` day, in unix ms; a malformed day is a field error.
fn day_start(field: &'static str, day: &str) -> Result<Option<i64>, AppError> {
    let day = day.trim();
    if day.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp_millis()))
        .ok_or_else(|| AppError::Invalid {
            field: field.to_owned(),
            message: "must be a day (YYYY-MM-DD).".to_owned(),
        })
}

/// A project's emails, newest first (keyset pages), searchable by message id or recipient and
/// filterable by status, type and days: whoever may read the project.
pub async fn activity(
    db: &Db,
    actor: &crate::services::Actor,
    project_id: i64,
    query: &ActivityQuery,
) -> Result<crate::model::KeysetPage<crate::model::ActivityEmail>, AppError> {
    crate::services::projects::get(db, actor, project_id).await?;
    let q = query.q.trim();
    let (message_id, recipient_prefix) = if q.is_empty() {
        (None, None)
    } else if q.starts_with("msg_") {
        (Some(q.to_owned()), None)
    } else {
        let checked = crate::domain::check_email(q);
        let prefix = if checked.valid {
            checked.email
        } else {
            q.to_lowercase()
        };
        (None, Some(prefix))
    };
    const DAY_MS: i64 = 24 * 60 * 60 * 1000;
    let filter = crate::db::ActivityFilter {
        status: Some(query.status.trim().to_owned()).filter(|s| !s.is_empty()),
        type_id: (query.type_id > 0).then_some(query.type_id),
        message_id,
        recipient_prefix,
        from: day_start("from", &query.from)?,
        until: day_start("until", &query.until)?.map(|start| start + DAY_MS),
    };
    let before = query.before.trim().parse::<i64>().ok();
    let mut rows = db
        .project_activity(project_id, &filter, before, ACTIVITY_PER_PAGE)
        .await?;
    let more = crate::services::trim_to_page(&mut rows, ACTIVITY_PER_PAGE);
    Ok(crate::model::KeysetPage {
        next: rows.last().filter(|_| more).map(|r| r.id.to_string()),
        prev: None,
        items: rows,
    })
}

/// An email the actor may read: its account, its stored row, and the email with its events.
async fn stored(
    db: &Db,
    actor: &crate::services::Actor,
    message_id: &str,
) -> Result<(i64, crate::db::EmailRow, crate::model::Email), AppError> {
    let account_id = match actor.account_scope()? {
        Some(own) => own,
        None => db
            .account_of_message(message_id)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let row = db
        .email_of_account(account_id, message_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let events = db.email_events(&row).await?;
    let email = crate::model::Email {
        message_id: row.message_id.clone(),
        project_id: row.project_id,
        user_id: row.user_id,
        email: row.email.clone(),
        type_id: row.type_id,
        category: row.category.clone(),
        status: row.status.clone(),
        data: row.data.clone(),
        meta: row.meta.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
        events: events
            .into_iter()
            .map(|e| crate::model::EmailEvent {
                status: e.status,
                detail: e.detail,
                at: e.at,
            })
            .collect(),
    };
    Ok((account_id, row, email))
}

#[cfg(test)]
mod get_tests {
    use super::*;
    use crate::{
        domain::Role,
        services::{Actor, panel_actor, test_db},
    };

    /// An email with its events, oldest first; a client (a key or a panel login) reads its own account's
    /// emails only, staff every account's.
    #[tokio::test]
    async fn clients_read_their_own_accounts_emails_only() {
        let db = test_db().await;
        let key = Actor::ApiKey {
            account_id: 1,
            key_id: 1,
        };
        let email = get(&db, &key, "msg_1").await.unwrap();
        assert_eq!(
            (
                email.email.as_str(),
                email.status.as_str(),
                email.data.as_str()
            ),
            ("anna@example.com", "sent", r#"{"a":1}"#)
        );
        let events: Vec<_> = email
            .events
            .iter()
            .map(|e| (e.status.as_str(), e.detail.as_deref(), e.at))
            .collect();
        assert_eq!(events, [("queued", None, 10), ("sent", Some("250 ok"), 30)]);
        assert_eq!(get(&db, &key, "msg_2").await, Err(AppError::NotFound));
        let other_client = panel_actor(Role::Client, Some(2));
        assert_eq!(
            get(&db, &other_client, "msg_1").await,
            Err(AppError::NotFound)
        );
        assert_eq!(get(&db, &other_client, "msg_2").await.unwrap().user_id, 2);
        for staff in [panel_actor(Role::Support, None), Actor::Operator] {
            assert_eq!(get(&db, &staff, "msg_1").await.unwrap(), email);
            assert_eq!(get(&db, &staff, "msg_none").await, Err(AppError::NotFound));
        }
        db.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_sort_by_time() {
        assert_eq!(&base36_millis(0), b"000000000");
        assert_eq!(&base36_millis(35), b"00000000z");
        assert!(base36_millis(1_800_000_000_000) < base36_millis(1_800_000_000_001));
        let id = message_id();
        assert_eq!(id.len(), 4 + 24);
        assert!(id[4..].chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
