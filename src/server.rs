//! The HTTP server: routes, middleware, startup and graceful shutdown.
use std::{net::SocketAddr, time::Duration};

use axum::{
    Router, ServiceExt,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_sessions::{
    Expiry, SessionManagerLayer, cookie::SameSite, cookie::time, session_store::ExpiredDeletion,
};

use crate::{
    api,
    app::{App, shell},
    config::Config,
    db::{Db, SessionStore, now_ms},
    metrics::ObserveLayer,
    services::{
        auth::THROTTLE_WINDOW_MS,
        panel_users::{Bootstrap, bootstrap_admin},
    },
    state::AppState,
};

/// Largest request body accepted by the panel (the API has the same limit, answered as problem+json).
pub const MAX_BODY_BYTES: usize = crate::api::MAX_BODY_BYTES;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mailroom_session";

/// The application's routes as one router (`serve` puts the `ObserveLayer` around it).
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let sessions = SessionManagerLayer::new(SessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.config.secure_cookies())
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)));
    let pages = {
        let (state, options) = (state.clone(), state.leptos_options.clone());
        // Renders each route in its own SsrMode (the panel's pages wait for their data).
        leptos_axum::render_route_with_context::<AppState, _>(
            routes.clone(),
            move || provide_context(state.clone()),
            move || shell(options.clone()),
        )
    };
    // The panel: pages, server functions and assets, with sessions and CSRF defence.
    let panel = Router::new()
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler).post(server_fn_handler),
        )
        .leptos_routes_with_handler(routes, get(pages))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    panel
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::metrics))
        .merge(api::router())
        .merge(crate::recipients::router())
        .with_state(state)
}

async fn readyz(State(db): State<Db>) -> impl IntoResponse {
    if db.is_ready().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

async fn server_fn_handler(State(state): State<AppState>, req: Request<Body>) -> impl IntoResponse {
    handle_server_fns_with_context(move || provide_context(state.clone()), req).await
}

/// CSRF defence for the panel: a state-changing request that a browser marks as coming from another site
/// is refused. (Cookies are also `SameSite=Lax`.) Requests without these headers are not from a browser.
async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if is_cross_site(req.headers()) {
        return (StatusCode::FORBIDDEN, "Cross-site request refused").into_response();
    }
    next.run(req).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "cross-site";
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            origin == "null" || origin_host != host
        }
        (Some(_), None) => true,
        (None, _) => false,
    }
}

/// Leptos options: from the environment cargo-leptos sets, with Mailroom's defaults.
fn leptos_options(config: &Config) -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "mailroom".into();
    }
    options.site_addr = config.site_addr;
    Ok(options)
}

/// Opens and migrates the database, creates the first CSM on an empty one, and builds the state.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    match bootstrap_admin(
        &db,
        config.admin_email.as_deref(),
        config.admin_password.as_deref(),
    )
    .await
    {
        Ok(Bootstrap::NotNeeded) => {}
        Ok(Bootstrap::Created { email }) => tracing::info!(%email, "created the first CSM login"),
        Ok(Bootstrap::CreatedWithPassword { email, password }) => {
            // Printed once, on the console of the operator who started the first run.
            eprintln!(
                "\n  First CSM login created — sign in at {}/login\n    email:    {email}\n    password: {password}\n  (shown only now; set MAILROOM_ADMIN_EMAIL / MAILROOM_ADMIN_PASSWORD to choose them)\n",
                config.base_url
            );
        }
        Err(e) => anyhow::bail!("cannot create the first CSM login: {e}"),
    }
    let options = leptos_options(&config)?;
    AppState::new(db, config, options).await
}

/// Periodic housekeeping: API keys' "last used", expired sessions and old login failures.
fn spawn_housekeeping(state: &AppState) {
    let (db, keys) = (state.db.clone(), state.key_cache.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = keys.flush_last_used(&db).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
        }
    });
    let db = state.db.clone();
    tokio::spawn(async move {
        let store = SessionStore::new(db.clone());
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "could not delete expired sessions");
            }
            if let Err(e) = db.prune_login_failures(now_ms() - THROTTLE_WINDOW_MS).await {
                tracing::warn!(error = %e, "could not prune login failures");
            }
        }
    });
}

/// Serves on `listener` until `shutdown` resolves, then finishes the requests in flight (the caller
/// closes the database after stopping its other tasks).
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    spawn_housekeeping(&state);
    // Around the whole router, not by `Router::layer`, which would wrap every route in a boxed service.
    let app = ObserveLayer::new(state.metrics.clone())
        .layer(router(state))
        .into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn tells_cross_site_writes_apart() {
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "mail.example")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "https://mail.example"),
            ("host", "mail.example")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "mail.example")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "mail.example")])));
    }
}
