//! The JSON shapes of the API's answers.
use axum::Json;
use serde::Serialize;
use serde_json::{Value, json};

use crate::{
    domain::UserParams,
    model::{Email, User},
};

/// A successful answer: `{"data": …}`, serialized straight from `T` (no intermediate JSON tree).
#[derive(Debug, Serialize)]
pub struct Data<T> {
    pub data: T,
}

/// `{"data": value}` as the answer's body.
pub fn data<T: Serialize>(value: T) -> Json<Data<T>> {
    Json(Data { data: value })
}

/// RFC 3339 (UTC, milliseconds) of unix milliseconds.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A user as the API shows it: the parameters (all of them, `null` when not set) beside its fields.
#[derive(Serialize)]
struct UserJson<'a> {
    user_id: i64,
    project_id: i64,
    email: &'a str,
    #[serde(flatten)]
    params: &'a UserParams,
    subscribed: bool,
    created_at: String,
    updated_at: String,
}

pub fn user_json(user: &User) -> Value {
    serde_json::to_value(UserJson {
        user_id: user.id,
        project_id: user.project_id,
        email: &user.email,
        params: &user.params,
        subscribed: user.subscribed,
        created_at: rfc3339(user.created_at),
        updated_at: rfc3339(user.updated_at),
    })
    .unwrap_or(Value::Null)
}

pub fn email_json(email: &Email) -> Value {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    json!({
        "message_id": email.message_id,
        "project_id": email.project_id,
        "user_id": email.user_id,
        "email": email.email,
        "type_id": email.type_id,
        "category": email.category,
        "status": email.status,
        "data": parse(&email.data),
        "meta": parse(&email.meta),
        "created_at": rfc3339(email.created_at),
        "updated_at": rfc3339(email.updated_at),
        "events": email.events.iter().map(|e| json!({
            "status": e.status,
            "detail": e.detail,
            "timestamp": rfc3339(e.at),
        })).collect::<Vec<_>>(),
    })
}
