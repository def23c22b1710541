//! The HTTP server: routes, middleware, startup and graceful shutdown.
use std::{net::SocketAddr, time::Duration};

use axum::{
    Router, ServiceExt,
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list, handle_server_fns_with_context};
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::{limit::RequestBodyLimitLayer, set_header::SetResponseHeaderLayer};
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
            move || {
                provide_context(state.clone());
                provide_context(crate::server_fns::ctx::RenderUser::default());
                provide_context(crate::server_fns::ctx::RenderProjects::default());
            },
            move || shell(options.clone()),
        )
    };
    // The panel: pages, server functions and assets, with sessions and CSRF defence.
    // Campaign files: the upload takes up to 1 GiB (streamed to disk), so it is outside the body limit.
    let files = crate::campaign_files::router()
        .layer(middleware::from_fn(same_origin_writes))
        .layer(sessions.clone());
    let panel = Router::new()
        .route(
            "/api/{*fn_name}",
            get(server_fn_handler).post(server_fn_handler),
        )
        .leptos_routes_with_handler(routes, get(pages))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(same_origin_writes))
        .layer(sessions)
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .merge(files);
    // What browsers show (the panel, its assets and the recipients' pages) gets the security headers;
    // each page also has its own Content-Security-Policy (see `set_content_security_policy`).
    let hsts = state
        .config
        .secure_cookies()
        .then_some(HeaderValue::from_static("max-age=31536000"));
    let pages = panel
        .merge(crate::recipients::router())
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // Tracking and unsubscribe URLs carry signed tokens, the panel's URLs ids: none leaves the site.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Only when the public URL is https (a browser ignores it over http anyway).
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts,
        ));
    pages
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::metrics))
        .merge(api::router())
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

/// CSRF defence for the panel: a state-changing request is taken only from the panel's own pages. A
/// browser says where a request comes from in `Sec-Fetch-Site`: only `same-origin` is taken (not
/// `same-site`: another host of the same site, such as a client's subdomain, is not the panel), and
/// `none` (the user's own action) only with an `Origin` that is this host. Older browsers send just
/// `Origin`, which must then be this host. (Cookies are also `SameSite=Lax`.) Requests with neither
/// header are not from a browser.
async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if !is_same_origin(req.headers()) {
        return (StatusCode::FORBIDDEN, "Cross-origin request refused").into_response();
    }
    next.run(req).await
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    fn text(value: Option<&HeaderValue>) -> Option<&str> {
        value.and_then(|v| v.to_str().ok())
    }
    let host = text(headers.get(header::HOST));
    let origin_is_host = |origin: &str| {
        let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        origin != "null" && host == Some(origin_host)
    };
    match (
        text(headers.get(SEC_FETCH_SITE)),
        text(headers.get(header::ORIGIN)),
    ) {
        (Some("same-origin"), _) => true,
        (Some("none"), Some(origin)) => origin_is_host(origin),
        (Some(_), _) => false,
        (None, Some(origin)) => origin_is_host(origin),
        (None, None) => true,
    }
}

/// The Fetch Metadata header that says how a request's origin relates to its target.
const SEC_FETCH_SITE: &str = "sec-fetch-site";

/// Sets the Content-Security-Policy of the page being rendered (called by the shell): scripts only from
/// this origin, the inline ones only with the nonce that Leptos puts on them for this response
/// (its hydration script and the data of resources), WebAssembly compiled from them, no plugins, and
/// the panel in no other site's frame.
///
/// Styles may also be inline and images from anywhere: the HTML of an email shown in the panel (the
/// Outbox, a template's preview) is in a sandboxed `srcdoc` frame, which takes the policy of the page,
/// and emails are styled inline and show remote images. The panel's own pages have no inline style.
pub fn set_content_security_policy() {
    let nonce = leptos::nonce::use_nonce();
    let response = use_context::<leptos_axum::ResponseOptions>();
    if let (Some(nonce), Some(response)) = (nonce, response) {
        let policy = content_security_policy(&nonce, std::env::var_os("LEPTOS_WATCH").is_some());
        if let Ok(policy) = HeaderValue::from_str(&policy) {
            response.insert_header(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
}

/// The policy with `nonce`; `live_reload` (cargo-leptos's watch mode) also lets the page open the
/// reload server's websocket.
fn content_security_policy(nonce: &str, live_reload: bool) -> String {
    let connect = if live_reload { " ws: wss:" } else { "" };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; \
         connect-src 'self'{connect}; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
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

/// Periodic housekeeping: API keys' "last used", the daily email counts, expired sessions and old
/// login failures.
fn spawn_housekeeping(state: &AppState) {
    let (db, keys) = (state.db.clone(), state.key_cache.clone());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = keys.flush_last_used(&db).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
            if let Err(e) = crate::services::stats::roll_up(&db).await {
                tracing::warn!(error = %e, "could not roll up the daily email counts");
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
    fn the_policy_takes_scripts_from_here_with_the_nonce() {
        let policy = content_security_policy("abc123", false);
        let directive = |name: &str| {
            policy
                .split("; ")
                .find_map(|d| d.strip_prefix(name)?.strip_prefix(' '))
                .unwrap_or_else(|| panic!("{name} in {policy}"))
        };
        assert_eq!(
            directive("script-src"),
            "'self' 'nonce-abc123' 'wasm-unsafe-eval'"
        );
        assert_eq!(directive("frame-ancestors"), "'none'");
        assert_eq!(directive("object-src"), "'none'");
        assert_eq!(directive("connect-src"), "'self'");
        assert!(!policy.contains(" 'unsafe-eval'"), "{policy}");
        let watching = content_security_policy("abc123", true);
        assert!(
            watching.contains("connect-src 'self' ws: wss:"),
            "{watching}"
        );
    }

    #[test]
    fn takes_writes_only_from_the_same_origin() {
        let host = ("host", "mail.example");
        for (pairs, same) in [
            (&[("sec-fetch-site", "same-origin")][..], true),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("sec-fetch-site", "cross-site")], false),
            (
                &[
                    ("sec-fetch-site", "same-site"),
                    ("origin", "https://mail.example"),
                    host,
                ],
                false,
            ),
            (&[("sec-fetch-site", "none")], false),
            (
                &[
                    ("sec-fetch-site", "none"),
                    ("origin", "https://mail.example"),
                    host,
                ],
                true,
            ),
            (
                &[
                    ("sec-fetch-site", "none"),
                    ("origin", "https://evil.example"),
                    host,
                ],
                false,
            ),
            (&[("origin", "https://evil.example"), host], false),
            (&[("origin", "https://mail.example.evil"), host], false),
            (&[("origin", "https://mail.example"), host], true),
            (&[("origin", "null"), host], false),
            (&[("origin", "https://mail.example")], false),
            (&[host], true),
        ] {
            assert_eq!(is_same_origin(&headers(pairs)), same, "{pairs:?}");
        }
    }
}
