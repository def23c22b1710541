//! The public JSON API, version 1 (see the API contract): Basic-auth credentials, problem+json errors.

mod auth;
mod body;
mod check;
mod emails;
mod events;
pub mod openapi;
mod present;
mod problem;
pub mod reference;
mod users;

pub use auth::ApiClient;
pub use body::MAX_BODY_BYTES;
pub use problem::Problem;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    routing::{get, post},
};

use crate::state::AppState;

/// The routes under `/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/emails", post(emails::send))
        .route("/emails/{message_id}", get(emails::get))
        .route(
            "/users/{user_id}",
            get(users::get_by_id).put(users::put_by_id),
        )
        .route(
            "/projects/{project_id}/users/{email}",
            get(users::get_by_email).put(users::put_by_email),
        )
        .route("/email/check", post(check::check_email))
        .route("/events/bounce", post(events::bounce))
        .route("/events/complaint", post(events::complaint))
        .route(
            "/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        .fallback(|| async { Problem::not_found() })
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
}
