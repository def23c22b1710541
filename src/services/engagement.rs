//! What recipients and relays tell us after sending: opens and clicks (signed links), unsubscribes
//! (signed link, one click per RFC 8058), and bounces and complaints (reported through the API), and
//! the suppressions of users that follow, which CSMs and clients can see and lift.
use crate::{
    db::{Db, EmailRef},
    domain::Role,
    error::AppError,
    mail::links::{LinkKind, verify},
    model::{Page, SuppressedUser},
    services::{Actor, projects::Readable},
};

/// The email a signed link belongs to; a tampered or unknown link is not found.
async fn linked_email(
    db: &Db,
    secret: &[u8],
    kind: LinkKind,
    message_id: &str,
    target: &str,
    signature: &str,
) -> Result<EmailRef, AppError> {
    if !verify(secret, kind, message_id, target, signature) {
        return Err(AppError::NotFound);
    }
    db.email_ref(message_id).await?.ok_or(AppError::NotFound)
}

/// The tracking pixel was loaded: the first open is recorded.
pub async fn opened(
    db: &Db,
    secret: &[u8],
    message_id: &str,
    signature: &str,
) -> Result<(), AppError> {
    let email = linked_email(db, secret, LinkKind::Open, message_id, "", signature).await?;
    db.record_email_event(email.id, "opened", None, true)
        .await?;
    Ok(())
}

/// A tracked link was followed: the click is recorded and the target returned for the redirect.
pub async fn clicked(
    db: &Db,
    secret: &[u8],
    message_id: &str,
    signature: &str,
    target: &str,
) -> Result<String, AppError> {
    let email = linked_email(db, secret, LinkKind::Click, message_id, target, signature).await?;
    db.record_email_event(email.id, "clicked", Some(target), false)
        .await?;
    Ok(target.to_owned())
}

/// Whose unsubscribe link this is (for the confirmation page).
pub async fn unsubscribe_target(
    db: &Db,
    secret: &[u8],
    message_id: &str,
    signature: &str,
) -> Result<EmailRef, AppError> {
    linked_email(db, secret, LinkKind::Unsubscribe, message_id, "", signature).await
}

/// The recipient unsubscribed from the project's emails.
pub async fn unsubscribe(
    db: &Db,
    secret: &[u8],
    message_id: &str,
    signature: &str,
) -> Result<EmailRef, AppError> {
    let email = unsubscribe_target(db, secret, message_id, signature).await?;
    db.unsubscribe_user(email.user_id).await?;
    db.record_email_event(email.id, "unsubscribed", None, true)
        .await?;
    Ok(email)
}

/// A bounce reported by the relay or provider for an email of the account. A hard bounce suppresses the
/// user; a soft one is only recorded.
pub async fn bounced(
    db: &Db,
    account_id: i64,
    message_id: &str,
    hard: bool,
    detail: Option<&str>,
) -> Result<(), AppError> {
    let email = email_of_account(db, account_id, message_id).await?;
    let kind = if hard { "hard bounce" } else { "soft bounce" };
    let detail = match detail {
        Some(d) if !d.trim().is_empty() => format!("{kind}: {}", d.trim()),
        _ => kind.to_owned(),
    };
    db.record_email_event(email.id, "bounced", Some(&detail), false)
        .await?;
    if hard {
        db.suppress_user(email.user_id, "bounced").await?;
    }
    Ok(())
}

/// A complaint (marked as spam) reported for an email of the account: the user is suppressed.
pub async fn complained(
    db: &Db,
    account_id: i64,
    message_id: &str,
    detail: Option<&str>,
) -> Result<(), AppError> {
    let email = email_of_account(db, account_id, message_id).await?;
    let detail = detail.map(str::trim).filter(|d| !d.is_empty());
    db.record_email_event(email.id, "complained", detail, false)
        .await?;
    db.suppress_user(email.user_id, "complained").await?;
    Ok(())
}

async fn email_of_account(
    db: &Db,
    account_id: i64,
    message_id: &str,
) -> Result<EmailRef, AppError> {
    db.email_ref(message_id)
        .await?
        .filter(|e| e.account_id == account_id)
        .ok_or(AppError::NotFound)
}

pub const PER_PAGE: u32 = 25;

/// The users a project does not send to (unsubscribed, bounced, complained).
pub async fn suppressions(
    db: &Db,
    project: &Readable,
    page: u32,
) -> Result<Page<SuppressedUser>, AppError> {
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PER_PAGE);
    let (items, total) = db
        .suppressed_users(project.id(), i64::from(PER_PAGE), offset)
        .await?;
    Ok(Page {
        items,
        page,
        per_page: PER_PAGE,
        total,
    })
}

/// Sends to the user again: CSMs and the project's clients.
pub async fn lift(db: &Db, actor: &Actor, project_id: i64, user_id: i64) -> Result<(), AppError> {
    let project = db.project(project_id).await?.ok_or(AppError::NotFound)?;
    actor.require_read_account(project.account_id)?;
    if actor.role() == Role::Support {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.begin().await?;
    let source = format!("panel: {}", actor.audit_name());
    if !tx.lift_suppression(project_id, user_id, &source).await? {
        return Err(AppError::NotFound);
    }
    tx.insert_audit(
        Some(project.account_id),
        actor.user_id(),
        actor.audit_name(),
        "user.suppression_lifted",
        &format!("Lifted the suppression of user {user_id} in project {project_id}"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
