//! `POST /v1/email/check`: validate an address and bring it to the correct format.
use axum::Json;
use serde_json::{Value, json};

use super::{ApiClient, Problem, body::JsonObject};
use crate::domain::check_email as check;

pub async fn check_email(
    _client: ApiClient,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, Problem> {
    let email = match body.get("email") {
        Some(Value::String(email)) => email,
        Some(_) => return Err(Problem::invalid_field("email", "must be a string")),
        None => return Err(Problem::invalid_field("email", "is required")),
    };
    Ok(Json(json!({ "data": check(email) })))
}
