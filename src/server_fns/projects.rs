use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{Page, ProjectInfo},
};

/// The projects the signed-in user may see.
#[server(endpoint = "list_projects")]
pub async fn list_projects(page: u32) -> Result<Page<ProjectInfo>, AppError> {
    use super::ctx;
    ctx::respond(async move {
        let (state, actor) = ctx::actor().await?;
        crate::services::projects::visible(&state.db, &actor, page).await
    })
    .await
}

#[server(endpoint = "get_project")]
pub async fn get_project(project_id: i64) -> Result<ProjectInfo, AppError> {
    use super::ctx;
    ctx::respond(async move {
        let (state, actor) = ctx::actor().await?;
        crate::services::projects::get(&state.db, &actor, project_id).await
    })
    .await
}
