//! The API's path parameters: axum's `Path`, with its rejections answered as problem+json.
use axum::{
    extract::{FromRequestParts, rejection::PathRejection},
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use super::Problem;

/// Path parameters, as axum's `Path` reads them. A segment that does not decode (percent-encoded bytes
/// that are not UTF-8, such as `/v1/emails/%FF`) is a 400 `malformed` problem, like any other bad input.
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(problem(&rejection)),
        }
    }
}

fn problem(rejection: &PathRejection) -> Problem {
    use axum::extract::path::ErrorKind;
    if rejection.status().is_server_error() {
        // The route and the handler's parameters do not agree: a mistake of the code, not of the request.
        tracing::error!(error = %rejection.body_text(), "path parameters do not fit the route");
        return Problem::internal();
    }
    match rejection {
        PathRejection::FailedToDeserializePathParams(e) => match e.kind() {
            ErrorKind::InvalidUtf8InPathParam { key } => Problem::malformed(format!(
                "The path segment {key} is not UTF-8 text once percent-decoded."
            )),
            kind => Problem::malformed(format!("The path is not valid: {kind}.")),
        },
        other => Problem::malformed(other.body_text()),
    }
}
