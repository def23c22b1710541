//! The JSON shapes of the API's answers.
use axum::Json;
use serde::Serialize;
use serde_json::{Value, json};

use crate::model::{Email, User};

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

pub fn user_json(user: &User) -> Value {
    json!({
        "user_id": user.id,
        "project_id": user.project_id,
        "email": user.email,
        "name": user.name,
        "gender": user.gender,
        "platform_id": user.platform_id,
        "country_id": user.country_id,
        "list_id": user.list_id,
        "client_user_id": user.client_user_id,
        "ak": user.ak,
        "age": user.age,
        "photo": user.photo,
        "language_id": user.language_id,
        "subscribed": user.subscribed,
        "created_at": rfc3339(user.created_at),
        "updated_at": rfc3339(user.updated_at),
    })
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
