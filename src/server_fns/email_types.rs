use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{EmailPreview, EmailTypeDetail, EmailTypeInfo},
};

#[server(endpoint = "list_email_types")]
pub async fn list_email_types(project_id: i64) -> Result<Vec<EmailTypeInfo>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let project = super::ctx::readable_project(&state, &actor, project_id).await?;
        crate::services::email_types::list(&state.db, &project).await
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
    use crate::services::email_types::{EmailTypeInput, create};
    super::ctx::with_actor(|state, actor| async move {
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

/// An email type with its templates.
#[server(endpoint = "get_email_type")]
pub async fn get_email_type(type_id: i64) -> Result<EmailTypeDetail, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::email_types::get(&state.db, &actor, type_id).await
    })
    .await
}

/// Saves an email type's name, category and templates.
#[server(endpoint = "update_email_type")]
pub async fn update_email_type(
    type_id: i64,
    name: String,
    category: String,
    subject: String,
    html_body: String,
    text_body: String,
) -> Result<EmailTypeDetail, AppError> {
    use crate::services::email_types::{EmailTypeInput, update};
    super::ctx::with_actor(|state, actor| async move {
        let input = EmailTypeInput {
            name: &name,
            category: &category,
            subject: &subject,
            html_body: &html_body,
            text_body: &text_body,
        };
        update(&state.db, &actor, type_id, input).await
    })
    .await
}

/// Renders the saved email type over sample data.
#[server(endpoint = "preview_email_type")]
pub async fn preview_email_type(type_id: i64, sample: String) -> Result<EmailPreview, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::email_types::preview(&state.db, &actor, type_id, &sample).await
    })
    .await
}
