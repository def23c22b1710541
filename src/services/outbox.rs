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

/// The HTML of a captured email with its open-tracking pixel pointed nowhere, for showing it in the
/// panel: staff reading a copy must not count as the recipient opening it.
pub fn without_open_pixel(html: &str, base_url: &str) -> String {
    html.replace(&format!("{base_url}/t/o/"), "data:,open-pixel-")
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_open_pixel_points_nowhere_in_the_panel() {
        let html = r#"<p><a href="https://m.example/t/c/msg_1/ab">x</a><img src="https://m.example/t/o/msg_1/cd.gif"></p>"#;
        let shown = super::without_open_pixel(html, "https://m.example");
        assert!(!shown.contains("https://m.example/t/o/"), "{shown}");
        assert!(
            shown.contains("https://m.example/t/c/msg_1/ab"),
            "links stay"
        );
    }
}
