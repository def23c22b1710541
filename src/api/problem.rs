//! RFC 9457 problem details: the one error shape of the API.
use std::collections::BTreeMap;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::error::AppError;

/// An API error answer: `application/problem+json` with `errors` mapping a JSON path to a message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    #[serde(serialize_with = "status_code")]
    pub status: StatusCode,
    pub detail: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, String>,
}

fn status_code<S: serde::Serializer>(status: &StatusCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u16(status.as_u16())
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://mailroom.dev/problems/{kind}"),
            title: title.to_owned(),
            status,
            detail: detail.into(),
            errors: BTreeMap::new(),
        }
    }

    /// 400 with one entry per bad field.
    pub fn validation(errors: BTreeMap<String, String>) -> Self {
        let count = errors.len();
        let detail = if count == 1 {
            "One field is invalid.".to_owned()
        } else {
            format!("{count} fields are invalid.")
        };
        Problem {
            errors,
            ..Problem::new(
                StatusCode::BAD_REQUEST,
                "validation",
                "Validation error",
                detail,
            )
        }
    }

    /// 400 about a single field.
    pub fn invalid_field(path: &str, message: &str) -> Self {
        Problem::validation(BTreeMap::from([(path.to_owned(), message.to_owned())]))
    }

    pub fn malformed(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed",
            "Malformed request",
            detail,
        )
    }

    pub fn unauthorized() -> Self {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            "Send Authorization: Basic base64(client_id:api_key) with an active API key.",
        )
    }

    pub fn suspended() -> Self {
        Problem::new(
            StatusCode::FORBIDDEN,
            "suspended",
            "Account suspended",
            "This account is suspended. Please contact your CSM.",
        )
    }

    pub fn not_found() -> Self {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "There is no such resource.",
        )
    }

    /// 405: the path exists but does not take this method (axum adds the `Allow` header).
    pub fn method_not_allowed() -> Self {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            "This path does not take this method; the Allow header lists the ones it takes.",
        )
    }

    pub fn too_large(limit: usize) -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
            format!("The body must be at most {} KiB.", limit / 1024),
        )
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side; the request was not stored. Please retry.",
        )
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Problem::not_found(),
            AppError::Invalid { field, message } => Problem::invalid_field(&field, &message),
            AppError::Unauthenticated | AppError::BadCredentials => Problem::unauthorized(),
            AppError::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                e.to_string(),
            ),
            AppError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
            }
            AppError::TooManyRequests(detail) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many requests",
                detail,
            ),
            AppError::Request(detail) => Problem::malformed(detail),
            AppError::Internal => Problem::internal(),
        }
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        AppError::from(e).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"mailroom\""),
            );
        }
        response
    }
}
