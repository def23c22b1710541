//! The pages and links an email's recipient reaches: the open pixel, click redirects and the unsubscribe
//! page (confirm with a button; mail clients' one-click POST of RFC 8058 needs no confirmation).
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
};
use html_escape::encode_text;
use serde::Deserialize;

use crate::{error::AppError, services::engagement, state::AppState};

/// The routes of recipients (no session, no API credentials: the signature is the permission).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/t/o/{message_id}/{signature}", get(open_pixel))
        .route("/t/c/{message_id}/{signature}", get(click))
        .route(
            "/u/{message_id}/{signature}",
            get(unsubscribe_page).post(unsubscribe),
        )
}

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// The pixel is always answered (an email must not show a broken image); only a valid one is recorded.
async fn open_pixel(
    State(state): State<AppState>,
    Path((message_id, signature)): Path<(String, String)>,
) -> Response {
    let signature = signature.trim_end_matches(".gif");
    if let Err(e) = engagement::opened(&state.db, &state.secret_key, &message_id, signature).await
        && e == AppError::Internal
    {
        tracing::warn!(%message_id, "could not record an open");
    }
    (
        [
            (header::CONTENT_TYPE, "image/gif"),
            (header::CACHE_CONTROL, "no-store, max-age=0"),
        ],
        PIXEL,
    )
        .into_response()
}

#[derive(Deserialize)]
struct ClickQuery {
    u: Option<String>,
}

async fn click(
    State(state): State<AppState>,
    Path((message_id, signature)): Path<(String, String)>,
    Query(query): Query<ClickQuery>,
) -> Response {
    let target = query.u.unwrap_or_default();
    match engagement::clicked(
        &state.db,
        &state.secret_key,
        &message_id,
        &signature,
        &target,
    )
    .await
    {
        Ok(target) => Redirect::to(&target).into_response(),
        Err(AppError::NotFound) => page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "<p>This link is not valid: it may have been changed or cut short.</p>",
        ),
        Err(_) => page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again",
            "<p>This link cannot be followed right now. Please try again in a moment.</p>",
        ),
    }
}

async fn unsubscribe_page(
    State(state): State<AppState>,
    Path((message_id, signature)): Path<(String, String)>,
) -> Response {
    match engagement::unsubscribe_target(&state.db, &state.secret_key, &message_id, &signature)
        .await
    {
        Ok(email) => page(
            StatusCode::OK,
            "Unsubscribe",
            &format!(
                r#"<p>Stop emails from <strong>{}</strong> to <strong>{}</strong>?</p>
                <form method="post"><button type="submit">Unsubscribe</button></form>"#,
                encode_text(&email.project_name),
                encode_text(&email.email)
            ),
        ),
        Err(e) => not_valid(&e),
    }
}

async fn unsubscribe(
    State(state): State<AppState>,
    Path((message_id, signature)): Path<(String, String)>,
) -> Response {
    match engagement::unsubscribe(&state.db, &state.secret_key, &message_id, &signature).await {
        Ok(email) => page(
            StatusCode::OK,
            "Unsubscribed",
            &format!(
                "<p>You are unsubscribed: {} sends no more emails to {}.</p>",
                encode_text(&email.project_name),
                encode_text(&email.email)
            ),
        ),
        Err(e) => not_valid(&e),
    }
}

fn not_valid(e: &AppError) -> Response {
    if *e == AppError::NotFound {
        page(
            StatusCode::NOT_FOUND,
            "Link not valid",
            "<p>This unsubscribe link is not valid: it may have been changed or cut short.</p>",
        )
    } else {
        page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again",
            "<p>This cannot be done right now. Please try again in a moment.</p>",
        )
    }
}

/// A small standalone page (recipients are not panel users). Its policy allows its own inline style and
/// form, nothing else, and no framing (the unsubscribe button cannot be overlaid by another site).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1d2430}}
button{{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid #2249b0;background:#2f5bd3;color:#fff;cursor:pointer}}</style>
</head><body><h1>{title}</h1>{body}</body></html>"#
    );
    let policy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                  base-uri 'none'; frame-ancestors 'none'";
    (
        status,
        [(header::CONTENT_SECURITY_POLICY, policy)],
        Html(html),
    )
        .into_response()
}
