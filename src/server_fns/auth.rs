use leptos::prelude::*;

use crate::{error::AppError, model::SessionUser};

/// Signs in with email and password, then goes to the start page.
#[server(endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    ctx::respond(async move {
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let ip = ctx::client_ip().await;
        let user = crate::services::auth::login(&state.db, &email, &password, &ip).await?;
        // A new session id at sign-in defeats session fixation.
        session.cycle_id().await.map_err(|_| AppError::Internal)?;
        session
            .insert(ctx::USER_ID_KEY, user.id)
            .await
            .map_err(|_| AppError::Internal)?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Signs out: the session is deleted.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use super::ctx;
    ctx::respond(async move {
        let session = ctx::session().await?;
        session.flush().await.map_err(|_| AppError::Internal)?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}

/// The signed-in user, or `None`.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SessionUser>, AppError> {
    use super::ctx;
    ctx::respond(async move { ctx::session_user(&ctx::state()?).await }).await
}
