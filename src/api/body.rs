//! The JSON body of an API request: malformed, non-object or oversized bodies become problem answers.
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
    http::StatusCode,
};
use serde_json::{Map, Value};

use super::Problem;

/// Largest API request body (the contract's limit).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// A request body that is a JSON object. Fields are then validated one by one, so that every bad field
/// gets its own entry in `errors` (a typed decoder would stop at the first). Unknown fields are ignored.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let JsonBytes(bytes) = JsonBytes::from_request(req, state).await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            _ => Err(not_an_object(&bytes)),
        }
    }
}

/// A request body of at most `MAX_BODY_BYTES`, to be read as JSON by the handler (which may borrow
/// its strings). A body that is not a JSON object gets the problem of `not_an_object`.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        Bytes::from_request(req, state)
            .await
            .map(JsonBytes)
            .map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    Problem::too_large(MAX_BODY_BYTES)
                } else {
                    Problem::malformed(format!("The body could not be read: {e}"))
                }
            })
    }
}

/// The answer to a body that is not a JSON object: malformed JSON, or JSON of another kind.
pub fn not_an_object(bytes: &[u8]) -> Problem {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(_) => Problem::malformed("The body must be a JSON object."),
        Err(e) => Problem::malformed(format!("The body is not valid JSON: {e}.")),
    }
}
