//! Request context of a server function: state, session, the signed-in actor, and the HTTP status.
use leptos::prelude::*;
use tower_sessions::Session;

use crate::{
    error::AppError,
    model::{ProjectInfo, SessionUser},
    services::{Actor, projects::Readable},
    state::AppState,
};

/// The session key that holds the signed-in panel user's id.
pub const USER_ID_KEY: &str = "user_id";

fn internal(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "{what}");
    AppError::Internal
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| internal("missing state", "AppState is not in the context"))
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| internal("no session layer", e))
}

/// The IP address of the peer, for throttling.
pub async fn client_ip() -> String {
    leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// The signed-in user as read once for the page being rendered on the server: a page's resources call
/// several server functions in the same request (the shell's user, the page's data), and each would
/// read the user again. Provided per page request (`server::router`); a server function called by the
/// browser has none and reads the user itself.
#[derive(Clone, Default)]
pub struct RenderUser(std::sync::Arc<tokio::sync::OnceCell<Option<SessionUser>>>);

/// The signed-in user, if the session has one that still exists and is enabled.
pub async fn session_user(state: &AppState) -> Result<Option<SessionUser>, AppError> {
    // Taken before awaiting, like every context.
    let memo = use_context::<RenderUser>();
    let read = async {
        let session = session().await?;
        let id = session
            .get::<i64>(USER_ID_KEY)
            .await
            .map_err(|e| internal("session read failed", e))?;
        match id {
            Some(id) => crate::services::auth::session_user(&state.db, id).await,
            None => Ok(None),
        }
    };
    match memo {
        Some(memo) => memo.0.get_or_try_init(|| read).await.cloned(),
        None => read.await,
    }
}

/// The projects read for the page being rendered on the server: the project page's server functions
/// (the project, its email types, suppressions and chart) each check the project and would each read
/// it. Provided per page request like [`RenderUser`]; the access check itself runs on every call.
#[derive(Clone, Default)]
pub struct RenderProjects(std::sync::Arc<std::sync::Mutex<ProjectReads>>);

/// Each project id's read, made by the first server function that asks (`None`: no such project).
type ProjectReads =
    std::collections::HashMap<i64, std::sync::Arc<tokio::sync::OnceCell<Option<ProjectInfo>>>>;

/// The project `project_id` if the actor may read it, read once per page rendered on the server.
pub async fn readable_project(
    state: &AppState,
    actor: &Actor,
    project_id: i64,
) -> Result<Readable, AppError> {
    // Taken before awaiting, like every context.
    let Some(memo) = use_context::<RenderProjects>() else {
        return crate::services::projects::readable(&state.db, actor, project_id).await;
    };
    let cell = memo
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(project_id)
        .or_default()
        .clone();
    let project = cell
        .get_or_try_init(|| state.db.project(project_id))
        .await?
        .clone();
    Readable::check(actor, project)
}

/// The state and the signed-in actor; `Unauthenticated` when nobody is signed in.
async fn actor() -> Result<(AppState, Actor), AppError> {
    let state = state()?;
    let user = session_user(&state)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((state, Actor::Panel(user)))
}

/// Runs a server function's body and gives an error its HTTP status. A plain HTML form post (no
/// JavaScript) is left as the redirect back to the form, which then shows the error.
pub async fn respond<T>(body: impl Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    // Taken before awaiting: the request context is not kept across awaits during server rendering.
    let plain_form = from_html_form();
    let options = use_context::<leptos_axum::ResponseOptions>();
    let result = body.await;
    if let (Err(e), false, Some(options)) = (&result, plain_form, options) {
        options.set_status(e.status());
    }
    result
}

/// `respond` around a body that needs the signed-in actor: the common shape of the panel's server
/// functions. The body gets the state and the actor; nobody signed in answers `Unauthenticated` (401).
pub async fn with_actor<T, F, Fut>(body: F) -> Result<T, AppError>
where
    F: FnOnce(AppState, Actor) -> Fut,
    Fut: Future<Output = Result<T, AppError>>,
{
    respond(async move {
        let (state, actor) = actor().await?;
        body(state, actor).await
    })
    .await
}

/// True when the request is a plain HTML form post (no JavaScript): the answer becomes a redirect.
pub fn from_html_form() -> bool {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.headers.get(axum::http::header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|v| v.contains("text/html")))
        .unwrap_or(false)
}
