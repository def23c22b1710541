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
        let project = super::ctx::readable_project(&state, &actor, project_id).await?;
        Ok(project.into_info())
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

/// Renames a project.
#[server(endpoint = "rename_project")]
pub async fn rename_project(project_id: i64, name: String) -> Result<ProjectInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::projects::rename(&state.db, &actor, project_id, &name).await
    })
    .await
}

/// The editor's General tab: name and sender in one Save. The name is checked before anything is
/// stored, and only what changed is saved (each change audited by its service).
#[server(endpoint = "save_project_general")]
pub async fn save_project_general(
    project_id: i64,
    name: String,
    sender_email: String,
    sender_name: String,
) -> Result<ProjectInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::projects::update_general(
            &state.db,
            &actor,
            project_id,
            &name,
            &sender_email,
            &sender_name,
        )
        .await
    })
    .await
}

/// A project's emails by status per day, for the last 30 days.
#[server(endpoint = "project_chart")]
pub async fn project_chart(project_id: i64) -> Result<crate::model::StatusChart, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let project = super::ctx::readable_project(&state, &actor, project_id).await?;
        crate::services::stats::chart(&state.db, &project).await
    })
    .await
}
