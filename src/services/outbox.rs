//! The captured outbox as the panel shows it: staff see every account's emails, a client its own.
use mail_parser::MessageParser;

use crate::{
    db::Db,
    domain::Role,
    error::AppError,
    model::{OutboxEntry, OutboxMessage, Page},
    services::Actor,
};

pub const PER_PAGE: u32 = 25;

/// The account whose emails the actor may read, or `None` for all (staff).
fn scope(actor: &Actor) -> Result<Option<i64>, AppError> {
    match actor {
        Actor::Panel(user) if user.role == Role::Client => {
            user.account_id.map(Some).ok_or(AppError::Forbidden)
        }
        _ => {
            actor.require_staff()?;
            Ok(None)
        }
    }
}

/// Captured emails, newest first, filtered by recipient, subject or message id.
pub async fn list(
    db: &Db,
    actor: &Actor,
    search: &str,
    page: u32,
) -> Result<Page<OutboxEntry>, AppError> {
    let account = scope(actor)?;
    let page = page.max(1);
    let offset = i64::from(page - 1) * i64::from(PER_PAGE);
    let (items, total) = db
        .outbox_entries(account, search.trim(), i64::from(PER_PAGE), offset)
        .await?;
    Ok(Page {
        items,
        page,
        per_page: PER_PAGE,
        total,
    })
}

/// One captured email with its decoded parts.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<OutboxMessage, AppError> {
    let (entry, raw) = db
        .outbox_message(id, scope(actor)?)
        .await?
        .ok_or(AppError::NotFound)?;
    let parsed = MessageParser::default().parse(raw.as_bytes());
    let text = parsed
        .as_ref()
        .and_then(|m| m.body_text(0))
        .map(|t| t.into_owned());
    let html = parsed
        .as_ref()
        .and_then(|m| m.body_html(0))
        .map(|t| t.into_owned());
    Ok(OutboxMessage {
        entry,
        raw,
        text,
        html,
    })
}
