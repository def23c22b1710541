//! The public JSON API, version 1 (see the API contract): Basic-auth credentials, problem+json errors.

mod auth;
mod body;
mod campaigns;
mod check;
mod emails;
mod events;
pub mod openapi;
mod path;
mod present;
mod problem;
pub mod reference;
mod send_body;
mod users;

pub use auth::ApiClient;
pub use body::MAX_BODY_BYTES;
pub use problem::Problem;

use axum::{
    Router,
    routing::{any, get},
};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// Each endpoint of the API with its OpenAPI operation, registered once: the router serves them and
/// the OpenAPI document lists them (in this order).
fn endpoints() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(emails::send))
        .routes(routes!(users::get_by_id, users::put_by_id))
        .routes(routes!(users::get_by_email, users::put_by_email))
        .routes(routes!(check::check_email))
        .routes(routes!(emails::get))
        .routes(routes!(events::bounce))
        .routes(routes!(events::complaint))
        .routes(upload(routes!(campaigns::create)))
        .routes(routes!(campaigns::get))
}

/// A route that takes an upload: its body is streamed to disk with its own limit (1 GiB), not the
/// API's 256 KiB.
fn upload(
    (schemas, paths, route): utoipa_axum::router::UtoipaMethodRouter<AppState>,
) -> utoipa_axum::router::UtoipaMethodRouter<AppState> {
    (
        schemas,
        paths,
        route.layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

/// The OpenAPI description of the endpoints (without the document-wide rules of `openapi::document`).
pub(crate) fn endpoints_openapi() -> utoipa::openapi::OpenApi {
    endpoints().into_openapi()
}

/// The routes under `/v1`, with their full paths: merged into the application's router rather than nested
/// under `/v1`, so that a request passes one router (a nested router costs each request a second routing,
/// a prefix strip and clones of boxed services). No layer either: a layer on a router wraps each of its
/// routes in one more boxed service, cloned and called through a boxed future per request (the bodies'
/// limit is `JsonBytes`'s own). A method that a path of the API does not take is a problem+json 405 (with
/// `Allow`), as every error of the API.
pub fn router() -> Router<AppState> {
    let router: Router<AppState> = endpoints().into();
    router
        .route(
            "/v1/openapi.json",
            get(|| async { axum::Json(openapi::document()) }),
        )
        // Any other path of the API: a problem+json 404, not the panel's page.
        .route("/v1", any(not_found))
        .route("/v1/", any(not_found))
        .route("/v1/{*path}", any(not_found))
        .method_not_allowed_fallback(method_not_allowed)
}

async fn not_found() -> Problem {
    Problem::not_found()
}

async fn method_not_allowed() -> Problem {
    Problem::method_not_allowed()
}
