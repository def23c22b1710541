//! Users and their emails for support: the Users list, a user's profile and timeline, an email's page,
//! and the few changes a client or CSM makes from a profile.
// A list's filters arrive as the form's fields, one argument each (the URL's query, also without
// JavaScript), so `list_users` takes more than clippy's seven.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{
        ActivityEmail, EmailDetail, KeysetPage, ProjectChoice, TimelineEmail, UserChangeEntry,
        UserProfile, UserSearch, WebhookDelivery,
    },
};

/// The Users list: a search term (address or its beginning, user id, `client_user_id`), a project
/// (`0`: all), a subscription state (empty: all), a keyset cursor (`after` or `before`), an account
/// (staff), the latest email's status, and the order.
#[server(endpoint = "list_users")]
pub async fn list_users(
    #[server(default)] q: String,
    #[server(default)] project_id: i64,
    #[server(default)] state: String,
    #[server(default)] after: String,
    #[server(default)] before: String,
    /// Staff: one account's users (`0`: all).
    #[server(default)]
    account_id: i64,
    /// The latest email's status (empty: any).
    #[server(default)]
    last_status: String,
    /// `activity`: by latest email; empty: newest users first.
    #[server(default)]
    sort: String,
) -> Result<UserSearch, AppError> {
    super::ctx::with_actor(|state_, actor| async move {
        let query = crate::services::users::UserQuery {
            q,
            project_id: (project_id > 0).then_some(project_id),
            state,
            account_id: (account_id > 0).then_some(account_id),
            last_status,
            sort,
            after,
            before,
        };
        crate::services::users::search(&state_.db, &actor, &query).await
    })
    .await
}

/// The projects the Users list can be filtered by.
#[server(endpoint = "user_project_choices")]
pub async fn user_project_choices() -> Result<Vec<ProjectChoice>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::project_choices(&state.db, &actor).await
    })
    .await
}

/// A user's profile (`ak` left out: see `reveal_user_ak`).
#[server(endpoint = "user_profile")]
pub async fn get_user_profile(user_id: i64) -> Result<UserProfile, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::profile(&state.db, &actor, user_id).await
    })
    .await
}

/// A page of a user's timeline, newest first; `status`: only emails in it; `before`: a `next` cursor.
#[server(endpoint = "user_timeline")]
pub async fn user_timeline(
    user_id: i64,
    #[server(default)] status: String,
    #[server(default)] before: String,
) -> Result<KeysetPage<TimelineEmail>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::timeline(&state.db, &actor, user_id, &status, &before).await
    })
    .await
}

/// A page of the changes of a user's parameters and subscription, newest first.
/// A page of the webhooks about the user's emails, newest first; `before`: a `next` cursor.
#[server(endpoint = "user_webhooks")]
pub async fn list_user_webhooks(
    user_id: i64,
    #[server(default)] before: String,
) -> Result<KeysetPage<WebhookDelivery>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::webhooks_of(&state.db, &actor, user_id, &before).await
    })
    .await
}

#[server(endpoint = "user_changes")]
pub async fn list_user_changes(
    user_id: i64,
    #[server(default)] before: String,
) -> Result<KeysetPage<UserChangeEntry>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::changes_of(&state.db, &actor, user_id, &before).await
    })
    .await
}

/// The user's `ak` (audited).
#[server(endpoint = "reveal_user_ak")]
pub async fn reveal_user_ak(user_id: i64) -> Result<String, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::reveal_ak(&state.db, &actor, user_id).await
    })
    .await
}

/// Unsubscribes a user, or sends to them again (also lifting a suppression).
#[server(endpoint = "set_user_subscribed")]
pub async fn set_user_subscribed(user_id: i64, subscribed: bool) -> Result<(), AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::users::set_subscribed(&state.db, &actor, user_id, subscribed).await
    })
    .await
}

/// An email with its events, context and webhooks.
#[server(endpoint = "email_detail")]
pub async fn get_email_detail(message_id: String) -> Result<EmailDetail, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let mut detail = crate::services::emails::detail(&state.db, &actor, &message_id).await?;
        if let Some(content) = detail.content.as_mut() {
            content.html = content.html.take().map(|html| {
                crate::services::outbox::without_open_pixel(&html, &state.config.base_url)
            });
        }
        Ok(detail)
    })
    .await
}

/// A project's emails, newest first: `q` a message id or a recipient (or its beginning), filters by
/// status, type (`0`: all) and days (`YYYY-MM-DD`, UTC, both included), `before` a `next` cursor.
#[server(endpoint = "project_activity")]
pub async fn project_activity(
    project_id: i64,
    #[server(default)] q: String,
    #[server(default)] status: String,
    #[server(default)] type_id: i64,
    #[server(default)] from: String,
    #[server(default)] until: String,
    #[server(default)] before: String,
) -> Result<KeysetPage<ActivityEmail>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let query = crate::services::emails::ActivityQuery {
            q,
            status,
            type_id,
            from,
            until,
            before,
        };
        crate::services::emails::activity(&state.db, &actor, project_id, &query).await
    })
    .await
}
