use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{Page, ProjectInfo},
};

/// The projects the signed-in user may see.
#[server(endpoint = "list_projects")]
pub async fn list_projects(page: u32) -> Result<Page<ProjectInfo>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::projects::visible(&state.db, &actor, page).await
    })
    .await
}

#[server(endpoint = "get_project")]
pub async fn get_project(project_id: i64) -> Result<ProjectInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::projects::get(&state.db, &actor, project_id).await
    })
    .await
}

/// Sets the From address and name of a project's emails.
#[server(endpoint = "set_project_sender")]
pub async fn set_project_sender(
    project_id: i64,
    sender_email: String,
    sender_name: String,
) -> Result<ProjectInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::projects::set_sender(
            &state.db,
            &actor,
            project_id,
            &sender_email,
            &sender_name,
        )
        .await
    })
    .await
}
