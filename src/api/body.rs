//! The JSON body of an API request: malformed, non-object or oversized bodies become problem answers.
use axum::{
    body::Bytes,
    extract::{FromRequest, Request},
};
use http_body_util::{BodyExt, LengthLimitError, Limited};
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
        serde_json::from_slice(&bytes)
            .map(JsonObject)
            .map_err(|e| not_an_object(&e))
    }
}

/// A request body of at most `MAX_BODY_BYTES`, to be read as JSON by the handler (which may borrow
/// its strings). A body that does not read as a JSON object gets the problem of `not_an_object`.
pub struct JsonBytes(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for JsonBytes {
    type Rejection = Problem;

    async fn from_request(req: Request, _: &S) -> Result<Self, Problem> {
        match Limited::new(req.into_body(), MAX_BODY_BYTES)
            .collect()
            .await
        {
            Ok(body) => Ok(JsonBytes(body.to_bytes())),
            Err(e) if e.is::<LengthLimitError>() => Err(Problem::too_large(MAX_BODY_BYTES)),
            Err(e) => Err(Problem::malformed(format!(
                "The body could not be read: {e}"
            ))),
        }
    }
}

/// The answer to a body that did not read as a JSON object, from the error of reading it: JSON of
/// another kind (a type error: the readers of bodies take any value in an object's fields), or
/// malformed JSON.
pub fn not_an_object(error: &serde_json::Error) -> Problem {
    if error.is_data() {
        Problem::malformed("The body must be a JSON object.")
    } else {
        Problem::malformed(format!("The body is not valid JSON: {error}."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Other JSON than an object, and malformed JSON, get their own messages, whichever reader failed.
    #[test]
    fn tells_other_json_from_malformed_json() {
        let detail = |text: &str| {
            let map_error = serde_json::from_str::<Map<String, Value>>(text).unwrap_err();
            let send_error = crate::api::send_body::SendBody::parse(text.as_bytes()).unwrap_err();
            let (a, b) = (not_an_object(&map_error), not_an_object(&send_error));
            assert_eq!(a.detail, b.detail, "{text}");
            a.detail
        };
        for text in ["[]", "[1,2]", "\"text\"", "null", "7", "true"] {
            assert_eq!(detail(text), "The body must be a JSON object.", "{text}");
        }
        for text in [
            "",
            "{",
            "{\"a\":1}x",
            "{\"project_id\":1e400}",
            "\u{0}",
            "{\"a\":\"\\ud800\"}",
        ] {
            assert!(
                detail(text).starts_with("The body is not valid JSON: "),
                "{text}"
            );
        }
    }
}
