use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{OutboxEntry, OutboxMessage, Page},
};

/// Captured emails the signed-in user may read.
#[server(endpoint = "list_outbox")]
pub async fn list_outbox(search: String, page: u32) -> Result<Page<OutboxEntry>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::outbox::list(&state.db, &actor, &search, page).await
    })
    .await
}

/// One captured email; its HTML part with the open pixel pointed nowhere (see `without_open_pixel`).
#[server(endpoint = "get_outbox_message")]
pub async fn get_outbox_message(id: i64) -> Result<OutboxMessage, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let mut message = crate::services::outbox::get(&state.db, &actor, id).await?;
        message.html = message
            .html
            .map(|html| crate::services::outbox::without_open_pixel(&html, &state.config.base_url));
        Ok(message)
    })
    .await
}
