use leptos::prelude::*;

use crate::{error::AppError, model::EmailTypeInfo};

#[server(endpoint = "list_email_types")]
pub async fn list_email_types(project_id: i64) -> Result<Vec<EmailTypeInfo>, AppError> {
    use super::ctx;
    ctx::respond(async move {
        let (state, actor) = ctx::actor().await?;
        crate::services::email_types::list(&state.db, &actor, project_id).await
    })
    .await
}

/// Creates an email type; answers its `type_id`.
#[server(endpoint = "create_email_type")]
pub async fn create_email_type(
    project_id: i64,
    name: String,
    category: String,
    subject: String,
    html_body: String,
    text_body: String,
) -> Result<i64, AppError> {
    use super::ctx;
    use crate::services::email_types::{EmailTypeInput, create};
    ctx::respond(async move {
        let (state, actor) = ctx::actor().await?;
        let input = EmailTypeInput {
            name: &name,
            category: &category,
            subject: &subject,
            html_body: &html_body,
            text_body: &text_body,
        };
        create(&state.db, &actor, project_id, input).await
    })
    .await
}
