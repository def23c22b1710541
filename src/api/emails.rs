//! `POST /v1/emails` (send a system or trigger email) and `GET /v1/emails/{message_id}`.
use axum::{
    Json,
    extract::{FromRequestParts, State},
    http::{HeaderValue, request::Parts},
};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{
    ApiClient, Problem,
    body::{JsonBytes, not_an_object},
    openapi::{self, DataDoc, ProblemDoc, SendEmailDoc},
    path::Path,
    present::{Data, data, email_json},
    send_body::{BodyValue, Scalar, SendBody},
};
use crate::{
    domain::{Field, FieldErrors, Fields, UserParams, check_email},
    services::emails::{self, IdempotencyKey, NewEmail, Scope, SendOutcome},
    state::AppState,
};

/// Largest `meta` object, serialized.
const MAX_META_BYTES: usize = 8 * 1024;

#[utoipa::path(
    post,
    path = "/v1/emails",
    tag = "Emails",
    summary = "Send a system or trigger email",
    description = "Normalizes the address, creates the user on the first send (or updates parameters that differ) and stores the email as queued before answering. Unsubscribed or suppressed recipients still get 200, with status suppressed, and nothing is sent. With an Idempotency-Key, a repeat within 24 h with the same body returns the first answer and stores nothing new; the same key with another body is 409.",
    params(("Idempotency-Key" = Option<String>, Header, description = "Up to 255 characters; makes a retry safe")),
    request_body(content = SendEmailDoc, example = openapi::send_request_example),
    responses(
        (status = 200, description = "Received, validated and durably stored", body = DataDoc, example = openapi::send_answer_example),
        (status = 400, description = "Malformed JSON or invalid fields: one `errors` entry per bad field", body = ProblemDoc, content_type = "application/problem+json", example = openapi::validation_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "The Idempotency-Key was used with a different body", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 256 KiB", body = ProblemDoc, content_type = "application/problem+json"),
    )
)]
pub async fn send(
    State(state): State<AppState>,
    client: ApiClient,
    IdempotencyKeyHeader(key): IdempotencyKeyHeader,
    JsonBytes(bytes): JsonBytes,
) -> Result<Json<Data<SendOutcome>>, Problem> {
    let body = SendBody::parse(&bytes).map_err(|e| not_an_object(&e))?;
    let idempotency = idempotency(client.account_id, key.as_ref(), &bytes)?;
    let email = parse_send(&state, client, body, idempotency).await?;
    let outcome = emails::send(&state.db, &state.send_writer, email).await?;
    Ok(data(outcome))
}

/// The request's `Idempotency-Key` header, if any: the one header a send reads (taking the whole
/// `HeaderMap` would copy every header of every send).
pub struct IdempotencyKeyHeader(Option<HeaderValue>);

impl<S: Sync> FromRequestParts<S> for IdempotencyKeyHeader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(IdempotencyKeyHeader(
            parts.headers.get("idempotency-key").cloned(),
        ))
    }
}

/// The `Idempotency-Key` header (at most 255 visible characters) with the hash of the body (of its JSON
/// as `serde_json` writes it back, so that spacing and the order of fields do not count).
fn idempotency(
    account_id: i64,
    value: Option<&HeaderValue>,
    body: &[u8],
) -> Result<Option<IdempotencyKey>, Problem> {
    let Some(value) = value else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255);
    let key = key.ok_or_else(|| {
        Problem::invalid_field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )
    })?;
    let canonical = serde_json::from_slice::<Value>(body)
        .map_err(|e| not_an_object(&e))?
        .to_string();
    Ok(Some(IdempotencyKey {
        account_id,
        key: key.to_owned(),
        request_hash: hex::encode(Sha256::digest(canonical)),
    }))
}

fn positive_id(value: &Scalar, field: &str, errors: &mut FieldErrors) -> Option<i64> {
    match value.field() {
        Field::Absent => {
            errors.insert(field.into(), "is required".into());
            None
        }
        Field::Int(i) if i > 0 => Some(i),
        _ => {
            errors.insert(field.into(), "must be a positive integer".into());
            None
        }
    }
}

/// An optional object field as JSON text (absent or null: `{}`).
fn object_json(value: BodyValue<String>, field: &str, errors: &mut FieldErrors) -> String {
    match value {
        BodyValue::Object(json) => json,
        BodyValue::Absent => "{}".to_owned(),
        BodyValue::Str(_) | BodyValue::Int(_) | BodyValue::Other => {
            errors.insert(field.into(), "must be a JSON object".into());
            "{}".to_owned()
        }
    }
}

/// Validates every field (one error per bad field), then checks the project and type of the account.
/// The send's message id is the service's to assign.
async fn parse_send(
    state: &AppState,
    client: ApiClient,
    body: SendBody<'_>,
    idempotency: Option<IdempotencyKey>,
) -> Result<NewEmail, Problem> {
    let mut errors = FieldErrors::new();
    let project_id = positive_id(&body.project_id, "project_id", &mut errors);
    let type_id = positive_id(&body.type_id, "type_id", &mut errors);
    let category = match body.category.field() {
        Field::Str(c) if c == "system" || c == "trigger" => Some(c.to_owned()),
        Field::Absent => {
            errors.insert("category".into(), "is required".into());
            None
        }
        _ => {
            errors.insert("category".into(), "must be system or trigger".into());
            None
        }
    };
    let (email, params) = match &body.user {
        BodyValue::Object(user) => {
            let params = UserParams::parse(user, "user.", &mut errors);
            let email = match user.field("email") {
                Field::Str(e) => {
                    let checked = check_email(e);
                    if !checked.valid {
                        errors.insert("user.email".into(), "is not a valid email address".into());
                    }
                    Some(checked.email)
                }
                Field::Absent => {
                    errors.insert("user.email".into(), "is required".into());
                    None
                }
                _ => {
                    errors.insert("user.email".into(), "must be a string".into());
                    None
                }
            };
            (email, params)
        }
        BodyValue::Absent => {
            errors.insert("user".into(), "is required".into());
            (None, UserParams::default())
        }
        BodyValue::Str(_) | BodyValue::Int(_) | BodyValue::Other => {
            errors.insert("user".into(), "must be a JSON object".into());
            (None, UserParams::default())
        }
    };
    let data = object_json(body.data, "data", &mut errors);
    let meta = object_json(body.meta, "meta", &mut errors);
    if meta.len() > MAX_META_BYTES {
        errors.insert("meta".into(), "must be at most 8 KiB".into());
    }
    if let Some(project_id) = project_id {
        match state
            .send_scopes
            .check(&state.db, client.account_id, project_id, type_id)
            .await?
        {
            Scope::Found => {}
            Scope::NotTheAccountsProject => {
                errors.insert(
                    "project_id".into(),
                    "is not a project of this account".into(),
                );
            }
            Scope::NotTheProjectsType => {
                errors.insert(
                    "type_id".into(),
                    "is not an email type of this project".into(),
                );
            }
        }
    }
    match (project_id, type_id, category, email) {
        (Some(project_id), Some(type_id), Some(category), Some(email)) if errors.is_empty() => {
            Ok(NewEmail {
                message_id: String::new(),
                project_id,
                type_id,
                category,
                email,
                params,
                data,
                meta,
                idempotency,
            })
        }
        _ => Err(Problem::validation(errors)),
    }
}

#[utoipa::path(
    get,
    path = "/v1/emails/{message_id}",
    tag = "Emails",
    summary = "Read an email",
    description = "An email with its current status and its events, oldest first.",
    params(("message_id" = String, Path, description = "As returned by the send")),
    responses(
        (status = 200, description = "The email", body = DataDoc, example = openapi::email_example),
        (status = 401, description = "Missing, malformed, unknown or revoked credentials", body = ProblemDoc, content_type = "application/problem+json", example = openapi::unauthorized_example),
        (status = 403, description = "The account is suspended", body = ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such email in your account", body = ProblemDoc, content_type = "application/problem+json", example = openapi::not_found_example),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    client: ApiClient,
    Path(message_id): Path<String>,
) -> Result<Json<Data<Value>>, Problem> {
    let email = emails::get(&state.db, &client.actor(), &message_id).await?;
    Ok(data(email_json(&email)))
}
