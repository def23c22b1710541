//! Webhook settings and the delivery log of the panel: a project's URL, event types and signing secret,
//! the account-wide URL (CSMs), test events, resending and recovering.
use leptos::prelude::*;

use crate::{
    error::AppError,
    model::{
        Account, Page, ProjectInfo, WebhookDelivery, WebhookDeliveryDetail, WebhookOverview,
        WebhookTestResult,
    },
};

/// A project's webhook settings and its latest deliveries (the editor's Additional tab).
#[server(endpoint = "project_webhooks")]
pub async fn project_webhooks(project_id: i64) -> Result<WebhookOverview, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        use crate::services::{projects, webhooks};
        let project = projects::get(&state.db, &actor, project_id).await?;
        let latest = webhooks::latest(&state.db, &actor, project_id).await?;
        let previous_secret_until = webhooks::previous_secret_until(&state.db, project_id).await?;
        Ok(WebhookOverview {
            project,
            previous_secret_until,
            latest,
        })
    })
    .await
}

/// Sets a project's Webhooks URL (empty: the account's) and the event types it receives. The form
/// sends one `events[]` per ticked box; none ticked sends no `events` at all, which reads as "none".
#[server(endpoint = "set_project_webhooks")]
pub async fn set_project_webhooks(
    project_id: i64,
    webhook_url: String,
    #[server(default)] events: Vec<String>,
) -> Result<ProjectInfo, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        // Who may change the project is answered before what was sent is judged.
        let project = crate::services::projects::get(&state.db, &actor, project_id).await?;
        actor.require_change_account(project.account_id)?;
        let events = crate::services::webhooks::event_set(&events)?;
        crate::services::webhooks::set_project(
            &state.db,
            state.config.webhook_allow_private,
            &actor,
            project_id,
            &webhook_url,
            events,
        )
        .await
    })
    .await
}

/// Sets the account-wide Webhooks URL: CSMs only (the service refuses anyone else).
#[server(endpoint = "set_account_webhook_url")]
pub async fn set_account_webhook_url(
    account_id: i64,
    webhook_url: String,
) -> Result<Account, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::webhooks::set_account_url(
            &state.db,
            state.config.webhook_allow_private,
            &actor,
            account_id,
            &webhook_url,
        )
        .await
    })
    .await
}

/// The project's signing secret (audited).
#[server(endpoint = "reveal_webhook_secret")]
pub async fn reveal_webhook_secret(project_id: i64) -> Result<String, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::webhooks::reveal_secret(&state.db, &actor, project_id).await
    })
    .await
}

/// A new signing secret; the previous one keeps signing for 24 h. Returns the new one.
#[server(endpoint = "rotate_webhook_secret")]
pub async fn rotate_webhook_secret(project_id: i64) -> Result<String, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::webhooks::rotate_secret(&state.db, &actor, project_id).await
    })
    .await
}

/// Sends a signed `webhook.test` now and returns the receiver's answer.
#[server(endpoint = "send_test_webhook")]
pub async fn send_test_webhook(project_id: i64) -> Result<WebhookTestResult, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::webhooks::send_test(&state.db, &state.webhook_client, &actor, project_id)
            .await
    })
    .await
}

/// A page of the project's deliveries, newest first; `failed_only`: those given up.
#[server(endpoint = "list_webhook_deliveries")]
pub async fn list_webhook_deliveries(
    project_id: i64,
    failed_only: bool,
    /// A message id: only the deliveries about that email (empty: all).
    #[server(default)]
    email: String,
    page: u32,
) -> Result<Page<WebhookDelivery>, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let email = Some(email.trim()).filter(|e| !e.is_empty());
        crate::services::webhooks::deliveries(
            &state.db,
            &actor,
            project_id,
            failed_only,
            email,
            page,
        )
        .await
    })
    .await
}

/// One delivery with every attempt.
#[server(endpoint = "get_webhook_delivery")]
pub async fn get_webhook_delivery(id: i64) -> Result<WebhookDeliveryDetail, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::webhooks::delivery(&state.db, &actor, id).await
    })
    .await
}

/// Queues a delivery again (a new attempt, the same `webhook-id`).
#[server(endpoint = "resend_webhook")]
pub async fn resend_webhook(id: i64) -> Result<(), AppError> {
    super::ctx::with_actor(|state, actor| async move {
        crate::services::webhooks::resend(&state.db, &actor, id).await
    })
    .await
}

/// Queues again every failed delivery of the project since `since`, a `datetime-local` value read as
/// UTC (`2026-11-26T16:20`). Returns how many were queued.
#[server(endpoint = "recover_webhooks")]
pub async fn recover_webhooks(project_id: i64, since: String) -> Result<u64, AppError> {
    super::ctx::with_actor(|state, actor| async move {
        let since = parse_since(&since)?;
        crate::services::webhooks::recover(&state.db, &actor, project_id, since).await
    })
    .await
}

/// A `datetime-local` value (minutes, optionally seconds) as unix milliseconds in UTC.
#[cfg(feature = "ssr")]
fn parse_since(text: &str) -> Result<i64, AppError> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ]
    .iter()
    .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
    .map(|t| t.and_utc().timestamp_millis())
    .ok_or_else(|| AppError::Invalid {
        field: "since".into(),
        message: "must be a date and time such as 2026-11-26T16:20 (UTC)".into(),
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn since_is_read_as_utc() {
        assert_eq!(parse_since("2026-11-26T16:20").unwrap(), 1_795_710_000_000);
        assert_eq!(
            parse_since("2026-11-26T16:20:30").unwrap(),
            1_795_710_030_000
        );
        for bad in ["", "yesterday", "2026-11-26", "2026-13-01T00:00"] {
            assert!(
                matches!(parse_since(bad), Err(AppError::Invalid { ref field, .. }) if field == "since"),
                "{bad}"
            );
        }
    }
}
