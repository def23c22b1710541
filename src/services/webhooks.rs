//! Webhook settings and the delivery log: a project's URL, event types and signing secret (the account's
//! clients and CSMs), the account-wide URL (CSMs only), test events, and resending.
use std::time::Duration;

use crate::{
    db::{Db, now_ms},
    domain::{ALL_EVENTS, WEBHOOK_EVENTS, WebhookUrl, check_resolved, new_secret},
    error::AppError,
    jobs::{WebhookClient, webhooks::body},
    model::{
        Account, Page, ProjectInfo, WebhookDelivery, WebhookDeliveryDetail, WebhookTestResult,
    },
    services::Actor,
};

pub const PER_PAGE: u32 = 25;
/// Deliveries shown in the project's Additional tab.
pub const LATEST: i64 = 10;
/// How long the replaced secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// A URL typed into a Webhooks field: empty means none (the account's, for a project); otherwise it
/// must pass `WebhookUrl`'s rules, and a host name must not resolve to a refused address. A name that
/// does not resolve now is accepted: the delivery checks the addresses it connects to.
pub async fn parse_url(
    field: &'static str,
    text: &str,
    allow_private: bool,
) -> Result<Option<String>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let url = WebhookUrl::parse(field, text, allow_private)?;
    if !allow_private && let Some(host) = url.domain() {
        let lookup = tokio::net::lookup_host((host, 443));
        if let Ok(Ok(found)) = tokio::time::timeout(Duration::from_secs(3), lookup).await {
            let addresses: Vec<_> = found.map(|a| a.ip()).collect();
            check_resolved(field, host, &addresses)?;
        }
    }
    Ok(Some(url.as_str().to_owned()))
}

/// The event types as a stored set: `None` when all are chosen.
pub fn event_set(chosen: &[String]) -> Result<Option<i64>, AppError> {
    let mut set = 0;
    for status in chosen {
        let bit = crate::domain::event_bit(status).ok_or_else(|| AppError::Invalid {
            field: "events".into(),
            message: format!("has an unknown event type {status:?}"),
        })?;
        set |= bit;
    }
    Ok((set != ALL_EVENTS).then_some(set))
}

fn describe_events(set: Option<i64>) -> String {
    match set {
        None => "all".into(),
        Some(set) => {
            let names: Vec<&str> = WEBHOOK_EVENTS
                .iter()
                .enumerate()
                .filter(|(i, _)| set & (1 << i) != 0)
                .map(|(_, (_, t, _))| *t)
                .collect();
            if names.is_empty() {
                "none".into()
            } else {
                names.join(", ")
            }
        }
    }
}

async fn project_to_change(
    db: &Db,
    actor: &Actor,
    project_id: i64,
) -> Result<ProjectInfo, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_change_account(project.account_id)?;
    Ok(project)
}

async fn project_to_read(db: &Db, actor: &Actor, project_id: i64) -> Result<ProjectInfo, AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_read_account(project.account_id)?;
    Ok(project)
}

/// Sets a project's Webhooks URL (empty: the account's) and the event types it receives.
pub async fn set_project(
    db: &Db,
    allow_private: bool,
    actor: &Actor,
    project_id: i64,
    url: &str,
    events: Option<i64>,
) -> Result<ProjectInfo, AppError> {
    let project = project_to_change(db, actor, project_id).await?;
    let url = parse_url("webhook_url", url, allow_private).await?;
    if url == project.webhook_url && events == project.webhook_events {
        return Ok(project);
    }
    let mut tx = db.begin().await?;
    if url != project.webhook_url {
        tx.set_project_webhook_url(project_id, url.as_deref())
            .await?;
        let detail = format!(
            "Changed the webhook URL of project {project_id}: {} → {}",
            project.webhook_url.as_deref().unwrap_or("(the account's)"),
            url.as_deref().unwrap_or("(the account's)")
        );
        tx.insert_audit(
            Some(project.account_id),
            actor.user_id(),
            actor.audit_name(),
            "project.webhook_url_set",
            &detail,
        )
        .await?;
    }
    if events != project.webhook_events {
        tx.set_project_webhook_events(project_id, events).await?;
        let detail = format!(
            "Changed the webhook events of project {project_id}: {} → {}",
            describe_events(project.webhook_events),
            describe_events(events)
        );
        tx.insert_audit(
            Some(project.account_id),
            actor.user_id(),
            actor.audit_name(),
            "project.webhook_events_set",
            &detail,
        )
        .await?;
    }
    tx.commit().await?;
    db.project(project_id).await?.ok_or(AppError::Internal)
}

/// Sets the account-wide Webhooks URL: CSMs only, whatever the panel sends.
pub async fn set_account_url(
    db: &Db,
    allow_private: bool,
    actor: &Actor,
    account_id: i64,
    url: &str,
) -> Result<Account, AppError> {
    actor.require_read_account(account_id)?;
    actor.require_csm()?;
    let account = db.account(account_id).await?.ok_or(AppError::NotFound)?;
    let url = parse_url("webhook_url", url, allow_private).await?;
    if url == account.webhook_url {
        return Ok(account);
    }
    let mut tx = db.begin().await?;
    tx.set_account_webhook_url(account_id, url.as_deref())
        .await?;
    let detail = format!(
        "Changed the account's webhook URL: {} → {}",
        account.webhook_url.as_deref().unwrap_or("(none)"),
        url.as_deref().unwrap_or("(none)")
    );
    tx.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "account.webhook_url_set",
        &detail,
    )
    .await?;
    tx.commit().await?;
    db.account(account_id).await?.ok_or(AppError::Internal)
}

/// The project's signing secret, for the account's clients and CSMs (each reveal is audited).
pub async fn reveal_secret(db: &Db, actor: &Actor, project_id: i64) -> Result<String, AppError> {
    let project = project_to_change(db, actor, project_id).await?;
    let secrets = db
        .webhook_secrets(project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "project.webhook_secret_revealed",
        &format!("Revealed the webhook signing secret of project {project_id}"),
    )
    .await?;
    tx.commit().await?;
    secrets.webhook_secret.ok_or(AppError::Internal)
}

/// Replaces the project's signing secret; the old one keeps signing for 24 h. Returns the new one.
pub async fn rotate_secret(db: &Db, actor: &Actor, project_id: i64) -> Result<String, AppError> {
    let project = project_to_change(db, actor, project_id).await?;
    // A project made before webhooks gets its first secret before it is rotated.
    db.webhook_secrets(project_id).await?;
    let secret = new_secret();
    let mut tx = db.begin().await?;
    tx.rotate_webhook_secret(project_id, &secret, now_ms() + ROTATION_OVERLAP_MS)
        .await?;
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "project.webhook_secret_rotated",
        &format!(
            "Rotated the webhook signing secret of project {project_id} (the previous one signs for 24 h)"
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// Until when the replaced secret still signs (after a rotation within the last day).
pub async fn previous_secret_until(db: &Db, project_id: i64) -> Result<Option<i64>, AppError> {
    let secrets = db.webhook_secrets(project_id).await?;
    Ok(secrets
        .and_then(|s| s.webhook_secret_previous_until)
        .filter(|until| *until > now_ms()))
}

/// Sends a signed `webhook.test` to the project's URL (else the account's) now and returns the answer;
/// the attempt is in the delivery log like any other.
pub async fn send_test(
    db: &Db,
    client: &WebhookClient,
    actor: &Actor,
    project_id: i64,
) -> Result<WebhookTestResult, AppError> {
    let project = project_to_change(db, actor, project_id).await?;
    let Some(url) = project.effective_webhook_url().map(str::to_owned) else {
        return Err(AppError::Invalid {
            field: "webhook_url".into(),
            message: "is empty, and so is the account's: set a URL first".into(),
        });
    };
    let lease_until = now_ms() + 60_000;
    let (id, message_id) = db.insert_test_webhook(project_id, lease_until).await?;
    let secrets = db
        .webhook_secrets(project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut keys = vec![secrets.webhook_secret.ok_or(AppError::Internal)?];
    if let (Some(previous), Some(until)) = (
        secrets.webhook_secret_previous,
        secrets.webhook_secret_previous_until,
    ) && until > now_ms()
    {
        keys.push(previous);
    }
    let job = crate::db::WebhookJob {
        id,
        message_id: message_id.clone(),
        project_id,
        event_type: crate::domain::TEST_EVENT.into(),
        attempts: 1,
        lease_until,
        url: Some(url.clone()),
        webhook_secret: None,
        webhook_secret_previous: None,
        webhook_secret_previous_until: None,
        email_message_id: None,
        user_id: None,
        recipient: None,
        type_id: None,
        category: None,
        meta: None,
        email_status: None,
        detail: None,
        event_at: None,
        created_at: now_ms(),
    };
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let answer = client.post(&url, &message_id, &keys, body(&job)).await;
    let delivered = answer.is_success();
    db.record_webhook_outcomes(&[crate::db::WebhookOutcome {
        id,
        project_id,
        lease_until,
        url: url.clone(),
        status_code: answer.status.map(i64::from),
        latency_ms: answer.latency_ms,
        response: answer.text.clone(),
        at: now_ms(),
        next: if delivered {
            crate::db::WebhookNext::Delivered
        } else {
            crate::db::WebhookNext::Failed
        },
    }])
    .await?;
    Ok(WebhookTestResult {
        url,
        status_code: answer.status.map(i64::from),
        latency_ms: answer.latency_ms,
        response: answer.text,
        delivered,
    })
}

/// The project's deliveries, newest first; with `failed_only`, those given up; with `email` (a message
/// id), those about that email.
pub async fn deliveries(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    failed_only: bool,
    email: Option<&str>,
    page: u32,
) -> Result<Page<WebhookDelivery>, AppError> {
    project_to_read(db, actor, project_id).await?;
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PER_PAGE);
    let (items, total) = db
        .webhooks_of_project(project_id, failed_only, email, i64::from(PER_PAGE), offset)
        .await?;
    Ok(Page {
        items,
        page,
        per_page: PER_PAGE,
        total,
    })
}

/// The latest deliveries of a project (its Additional tab).
pub async fn latest(
    db: &Db,
    actor: &Actor,
    project_id: i64,
) -> Result<Vec<WebhookDelivery>, AppError> {
    project_to_read(db, actor, project_id).await?;
    Ok(db
        .webhooks_of_project(project_id, false, None, LATEST, 0)
        .await?
        .0)
}

/// One delivery with all its attempts.
pub async fn delivery(db: &Db, actor: &Actor, id: i64) -> Result<WebhookDeliveryDetail, AppError> {
    let delivery = db.webhook(id).await?.ok_or(AppError::NotFound)?;
    project_to_read(db, actor, delivery.project_id).await?;
    let attempts = db.webhook_attempts(id).await?;
    Ok(WebhookDeliveryDetail { delivery, attempts })
}

/// The deliveries about one email (by its message id), each with its attempts.
pub async fn of_email(
    db: &Db,
    actor: &Actor,
    email_id: i64,
    project_id: i64,
) -> Result<Vec<WebhookDeliveryDetail>, AppError> {
    project_to_read(db, actor, project_id).await?;
    let mut details = Vec::new();
    for delivery in db.webhooks_of_email(email_id).await? {
        let attempts = db.webhook_attempts(delivery.id).await?;
        details.push(WebhookDeliveryDetail { delivery, attempts });
    }
    Ok(details)
}

/// Sends a delivery again (a new attempt now, the same `webhook-id`).
pub async fn resend(db: &Db, actor: &Actor, id: i64) -> Result<(), AppError> {
    let delivery = db.webhook(id).await?.ok_or(AppError::NotFound)?;
    let project = project_to_change(db, actor, delivery.project_id).await?;
    let mut tx = db.begin().await?;
    if !tx.resend_webhook(project.id, id).await? {
        return Err(AppError::NotFound);
    }
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "webhook.resent",
        &format!(
            "Resent webhook {} ({}) of project {}",
            delivery.message_id, delivery.event_type, project.id
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends again every failed delivery of the project created since `since` (unix ms): after a
/// receiver's outage. Returns how many were queued.
pub async fn recover(db: &Db, actor: &Actor, project_id: i64, since: i64) -> Result<u64, AppError> {
    let project = project_to_change(db, actor, project_id).await?;
    let mut tx = db.begin().await?;
    let count = tx.recover_webhooks(project_id, since).await?;
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "webhook.recovered",
        &format!(
            "Queued again {count} failed webhook(s) of project {project_id} since {}",
            crate::model::format_time(since)
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_sets() {
        let all: Vec<String> = WEBHOOK_EVENTS
            .iter()
            .map(|(s, _, _)| s.to_string())
            .collect();
        assert_eq!(event_set(&all).unwrap(), None);
        assert_eq!(
            event_set(&["sent".into(), "clicked".into()]).unwrap(),
            Some(1 | 32)
        );
        assert_eq!(event_set(&[]).unwrap(), Some(0));
        assert!(event_set(&["queued".into()]).is_err());
        assert_eq!(describe_events(Some(1 | 32)), "email.sent, email.clicked");
    }

    #[tokio::test]
    async fn urls_resolving_to_loopback_are_refused_when_saving() {
        let error = parse_url("webhook_url", "https://localhost.:8443/x", false)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("private"), "{error}");
        assert_eq!(parse_url("webhook_url", "  ", false).await.unwrap(), None);
        assert_eq!(
            parse_url("webhook_url", "http://127.0.0.1:9/x", true)
                .await
                .unwrap()
                .as_deref(),
            Some("http://127.0.0.1:9/x")
        );
    }
}
