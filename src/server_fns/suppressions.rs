use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{Page, SuppressedUser},
};

/// The users a project does not send to.
#[server(endpoint = "list_suppressions")]
pub async fn list_suppressions(
    project_id: i64,
    page: u32,
) -> Result<Page<SuppressedUser>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let project = super::ctx::readable_project(&state, &actor, project_id).await?;
        crate::services::engagement::suppressions(&state.db, &project, page).await
    })
    .await
}

/// Sends to a suppressed or unsubscribed user again.
#[server(endpoint = "lift_suppression")]
pub async fn lift_suppression(project_id: i64, user_id: i64) -> Result<(), AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::engagement::lift(&state.db, &actor, project_id, user_id).await
    })
    .await
}
