use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{Account, AccountDetails, AccountSummary, IssuedKey, Page, PanelUserInfo, ProjectInfo},
};

#[server(endpoint = "list_accounts")]
pub async fn list_accounts(search: String, page: u32) -> Result<Page<AccountSummary>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::accounts::search(&state.db, &actor, &search, page).await
    })
    .await
}

/// Creates an account and opens its page.
#[server(endpoint = "create_account")]
pub async fn create_account(name: String) -> Result<Account, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let account = crate::services::accounts::create(&state.db, &actor, &name).await?;
        leptos_axum::redirect(&format!("/accounts/{}", account.id));
        Ok(account)
    })
    .await
}

#[server(endpoint = "get_account")]
pub async fn get_account(account_id: i64) -> Result<AccountDetails, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::accounts::page(&state.db, &actor, account_id).await
    })
    .await
}

#[server(endpoint = "set_account_suspended")]
pub async fn set_account_suspended(account_id: i64, suspended: bool) -> Result<(), AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::accounts::set_suspended(&state.db, &actor, account_id, suspended).await
    })
    .await
}

/// Issues an API key; the answer is the only time the full key is shown.
#[server(endpoint = "issue_api_key")]
pub async fn issue_api_key(account_id: i64, label: String) -> Result<IssuedKey, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::api_keys::issue(&state.db, &state.secret_key, &actor, account_id, &label)
            .await
    })
    .await
}

#[server(endpoint = "revoke_api_key")]
pub async fn revoke_api_key(account_id: i64, key_id: i64) -> Result<(), AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::api_keys::revoke(&state.db, &actor, account_id, key_id).await
    })
    .await
}

#[server(endpoint = "add_client_user")]
pub async fn add_client_user(
    account_id: i64,
    email: String,
    password: String,
) -> Result<PanelUserInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::panel_users::add_client_user(
            &state.db, &actor, account_id, &email, &password,
        )
        .await
    })
    .await
}

#[server(endpoint = "create_project")]
pub async fn create_project(account_id: i64, name: String) -> Result<ProjectInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::projects::create(&state.db, &actor, account_id, &name).await
    })
    .await
}
