//! Sending an email: the user is created on the first send or updated, and the email is stored as
//! queued (durably) before the caller hears back.
use serde::Serialize;
use serde_json::{Map, Value};

use crate::{
    db::{Db, EnqueueOutcome, IdempotencyKey, IdempotencyRecord, NewEmail},
    domain::{UserParams, random_token},
    error::AppError,
};

/// A validated send request of an account.
pub struct SendRequest {
    pub project_id: i64,
    pub type_id: i64,
    pub category: String,
    /// The normalized address.
    pub email: String,
    pub params: UserParams,
    pub data: Map<String, Value>,
    pub meta: Map<String, Value>,
}

/// The answer to a send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SendOutcome {
    pub message_id: String,
    pub user_id: i64,
    pub user_created: bool,
    pub email: String,
    pub status: String,
}

/// A new message id: `msg_` and 24 random letters and digits.
fn message_id() -> String {
    format!("msg_{}", random_token(24))
}

/// An `Idempotency-Key` and the hash of its request's body.
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// Stores the email (creating or updating its user) and answers once it is durable. With an
/// Idempotency-Key, a repeat within 24 h answers as the first time and stores nothing new.
pub async fn send(
    db: &Db,
    account_id: i64,
    request: SendRequest,
    idempotency: Option<Idempotency>,
) -> Result<SendOutcome, AppError> {
    if let Some(idem) = &idempotency
        && let Some(record) = db.idempotency_record(account_id, &idem.key).await?
    {
        return replay(db, account_id, record, &idem.request_hash).await;
    }
    let message_id = message_id();
    let data = Value::Object(request.data).to_string();
    let meta = Value::Object(request.meta).to_string();
    let key = idempotency.as_ref().map(|idem| IdempotencyKey {
        account_id,
        key: &idem.key,
        request_hash: &idem.request_hash,
    });
    let outcome = db
        .enqueue_email(&NewEmail {
            message_id: &message_id,
            project_id: request.project_id,
            type_id: request.type_id,
            category: &request.category,
            email: &request.email,
            params: &request.params,
            data: &data,
            meta: &meta,
            idempotency: key,
        })
        .await?;
    let enqueued = match (outcome, &idempotency) {
        (EnqueueOutcome::Stored(enqueued), _) => enqueued,
        (EnqueueOutcome::KeyTaken, Some(idem)) => {
            let record = db
                .idempotency_record(account_id, &idem.key)
                .await?
                .ok_or(AppError::Internal)?;
            return replay(db, account_id, record, &idem.request_hash).await;
        }
        (EnqueueOutcome::KeyTaken, None) => return Err(AppError::Internal),
    };
    Ok(SendOutcome {
        message_id,
        user_id: enqueued.user_id,
        user_created: enqueued.user_created,
        email: request.email,
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
    let first_status = db
        .email_events(email.id)
        .await?
        .into_iter()
        .next()
        .map(|e| e.status);
    Ok(SendOutcome {
        message_id: email.message_id,
        user_id: email.user_id,
        user_created: record.user_created,
        email: email.email,
        status: first_status.unwrap_or(email.status),
    })
}
