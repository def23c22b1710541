//! The captured outbox as the panel shows it: staff see every account's emails, a client its own.
use mail_parser::MessageParser;

use crate::{
    db::Db,
    error::AppError,
    model::{OutboxEntry, OutboxMessage, Page},
    services::Actor,
};

pub const PER_PAGE: u32 = 25;

/// Captured emails, newest first, filtered by recipient, subject or message id.
pub async fn list(
    db: &Db,
    actor: &Actor,
    search: &str,
    page: u32,
) -> Result<Page<OutboxEntry>, AppError> {
    let account = actor.account_scope()?;
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
        .outbox_message(id, actor.account_scope()?)
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
