use leptos::prelude::*;

use crate::{error::AppError, model::PanelUserInfo};

#[server(endpoint = "list_staff")]
pub async fn list_staff() -> Result<Vec<PanelUserInfo>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::panel_users::staff(&state.db, &actor).await
    })
    .await
}

/// Adds a CSM or support login (`role` is `csm` or `support`).
#[server(endpoint = "add_staff")]
pub async fn add_staff(
    email: String,
    role: String,
    password: String,
) -> Result<PanelUserInfo, AppError> {
    use crate::domain::Role;
    super::ctx::with_actor(|state, actor| async move {
        let role = Role::parse(&role).ok_or_else(|| AppError::Invalid {
            field: "role".into(),
            message: "must be CSM or support".into(),
        })?;
        crate::services::panel_users::add_staff(&state.db, &actor, &email, role, &password).await
    })
    .await
}

/// Disables or re-enables any panel login (staff or client).
#[server(endpoint = "set_login_disabled")]
pub async fn set_login_disabled(user_id: i64, disabled: bool) -> Result<PanelUserInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::panel_users::set_disabled(&state.db, &actor, user_id, disabled).await
    })
    .await
}
