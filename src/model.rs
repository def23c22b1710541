//! Records that travel between the server and the panel (serialized by server functions).
//! Times are unix milliseconds (UTC); `format_time` renders them.
use serde::{Deserialize, Serialize};

use crate::domain::{Role, UserParams};

#[cfg(feature = "ssr")]
use sqlx::FromRow;

/// The signed-in panel user, as the layout and the guards see them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// The account a client login belongs to; `None` for staff.
    pub account_id: Option<i64>,
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: i64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        let pages = (self.total.max(0) as u64).div_ceil(u64::from(self.per_page.max(1)));
        pages.max(1) as u32
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct AccountSummary {
    pub id: i64,
    pub name: String,
    pub client_id: String,
    pub suspended_at: Option<i64>,
    pub created_at: i64,
    pub project_count: i64,
    pub active_key_count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub client_id: String,
    pub suspended_at: Option<i64>,
    pub webhook_url: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct ApiKeyInfo {
    pub id: i64,
    pub label: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A freshly issued key: the only time the full key leaves the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedKey {
    pub info: ApiKeyInfo,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct PanelUserInfo {
    pub id: i64,
    pub email: String,
    pub role: String,
    pub account_id: Option<i64>,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct ProjectInfo {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    pub name: String,
    pub webhook_url: Option<String>,
    /// The From of the project's emails; `None`: the default `no-reply@` address of the installation.
    pub sender_email: Option<String>,
    pub sender_name: Option<String>,
    pub created_at: i64,
    /// The account's webhook URL, which the project's events go to when it has none of its own.
    pub account_webhook_url: Option<String>,
    /// The event types the project's webhooks carry, as a bit set of `domain::WEBHOOK_EVENTS`
    /// (`None`: all).
    pub webhook_events: Option<i64>,
    /// Since when the project's webhook deliveries have been failing (the last attempt failed).
    pub webhook_failing_since: Option<i64>,
}

impl ProjectInfo {
    /// Where the project's webhooks go: its own URL, else the account's.
    pub fn effective_webhook_url(&self) -> Option<&str> {
        self.webhook_url
            .as_deref()
            .or(self.account_webhook_url.as_deref())
    }

    /// Whether the project receives webhooks of this email status (`sent`, `opened`, …).
    pub fn receives_event(&self, status: &str) -> bool {
        match (self.webhook_events, crate::domain::event_bit(status)) {
            (None, Some(_)) => true,
            (Some(set), Some(bit)) => set & bit != 0,
            (_, None) => false,
        }
    }
}

/// One webhook (an event for a receiver) and where its delivery stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct WebhookDelivery {
    pub id: i64,
    /// The `webhook-id` header, the same on every attempt.
    pub message_id: String,
    pub project_id: i64,
    /// `email.opened`, …, or `webhook.test`.
    pub event_type: String,
    /// The email the event is about (none for a test event).
    pub email_message_id: Option<String>,
    pub recipient: Option<String>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// The receiver's HTTP status at the last attempt (none: no answer).
    pub last_status: Option<i64>,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One attempt to deliver a webhook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct WebhookAttempt {
    pub id: i64,
    pub webhook_id: i64,
    pub url: String,
    /// The receiver's HTTP status; none when no answer came (refused, timed out, blocked).
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    /// The first 1 KiB of the answer, or why there was none.
    pub response: String,
    pub at: i64,
}

/// A delivery with its attempts, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDeliveryDetail {
    pub delivery: WebhookDelivery,
    pub attempts: Vec<WebhookAttempt>,
}

/// What the receiver answered to a test event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookTestResult {
    pub url: String,
    pub status_code: Option<i64>,
    pub latency_ms: i64,
    pub response: String,
    pub delivered: bool,
}

/// What a project's Additional tab shows: its settings, whether a replaced secret still signs, and
/// its latest deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookOverview {
    pub project: ProjectInfo,
    /// Until when the secret replaced by the last rotation still signs (within 24 h of it).
    pub previous_secret_until: Option<i64>,
    pub latest: Vec<WebhookDelivery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct AuditEntry {
    pub id: i64,
    pub actor_email: String,
    pub action: String,
    pub detail: String,
    pub at: i64,
}

/// Everything the account page shows, loaded in one call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountDetails {
    pub account: Account,
    pub keys: Vec<ApiKeyInfo>,
    pub logins: Vec<PanelUserInfo>,
    pub projects: Vec<ProjectInfo>,
    pub audit: Vec<AuditEntry>,
}

/// Renders unix milliseconds as `2026-11-26 16:20 UTC`.
pub fn format_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times_and_counts_pages() {
        assert_eq!(format_time(1_795_710_000_000), "2026-11-26 16:20 UTC");
        let page = Page::<i64> {
            items: vec![],
            page: 1,
            per_page: 20,
            total: 41,
        };
        assert_eq!(page.page_count(), 3);
        let empty = Page::<i64> {
            items: vec![],
            page: 1,
            per_page: 20,
            total: 0,
        };
        assert_eq!(empty.page_count(), 1);
    }
}

/// The API reference as the panel's docs pages show it (derived from the OpenAPI document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiReference {
    pub title: String,
    pub description: String,
    pub endpoints: Vec<EndpointDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointDoc {
    /// URL segment of the endpoint's page, e.g. `post-v1-emails`.
    pub slug: String,
    pub method: String,
    pub path: String,
    pub tag: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<FieldDoc>,
    pub body_fields: Vec<FieldDoc>,
    /// A ready-to-run curl command.
    pub curl: String,
    pub responses: Vec<ResponseDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldDoc {
    pub name: String,
    pub kind: String,
    pub required: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseDoc {
    pub status: String,
    pub description: String,
    /// Pretty-printed JSON example, if the document has one.
    pub example: Option<String>,
}

/// An email type (template) of a project, as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct EmailTypeInfo {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub category: String,
    pub subject: String,
    pub created_at: i64,
}

/// An email in the captured outbox, as its list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct OutboxEntry {
    pub id: i64,
    pub message_id: String,
    pub project_id: i64,
    pub project_name: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub created_at: i64,
}

/// One captured email with its source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub entry: OutboxEntry,
    /// The message as it would have gone to the relay (headers and MIME parts).
    pub raw: String,
    /// The decoded text and HTML parts.
    pub text: Option<String>,
    pub html: Option<String>,
}

/// A user of a project that the project does not send to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct SuppressedUser {
    pub id: i64,
    pub email: String,
    /// `unsubscribed`, `bounced` or `complained`.
    pub reason: String,
    pub since: i64,
}

/// An email type with its templates (for editing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct EmailTypeDetail {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub category: String,
    pub subject: String,
    pub html_body: String,
    pub text_body: String,
    pub updated_at: i64,
}

/// An email type rendered over sample data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailPreview {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// A user of a project (someone emails go to), with its parameters and subscription state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct User {
    pub id: i64,
    pub project_id: i64,
    /// The account of the project (who may read and change the user).
    pub account_id: i64,
    pub email: String,
    #[cfg_attr(feature = "ssr", sqlx(flatten))]
    pub params: UserParams,
    pub subscribed: bool,
    /// `bounced` or `complained` when the project no longer sends to the user.
    pub suppressed_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An email with its current status and its events, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Email {
    pub message_id: String,
    pub project_id: i64,
    pub user_id: i64,
    /// The recipient's address.
    pub email: String,
    pub type_id: i64,
    /// `system` or `trigger`.
    pub category: String,
    pub status: String,
    /// The send's `data` and `meta` objects, as JSON text.
    pub data: String,
    pub meta: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub events: Vec<EmailEvent>,
}

/// A status an email reached, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailEvent {
    pub status: String,
    pub detail: Option<String>,
    pub at: i64,
}

/// A user as the Users list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct UserSummary {
    pub id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub account_id: i64,
    pub account_name: String,
    pub email: String,
    pub name: Option<String>,
    pub client_user_id: Option<String>,
    pub subscribed: bool,
    /// `bounced` or `complained` when the project no longer sends to the user.
    pub suppressed_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The user's latest email (none before the first, e.g. in a test database).
    pub last_email_id: Option<i64>,
    pub last_status: Option<String>,
    pub last_email_at: Option<i64>,
}

impl UserSummary {
    /// `subscribed`, `unsubscribed` or `suppressed`.
    pub fn state(&self) -> &'static str {
        subscription_state(self.subscribed, self.suppressed_reason.as_deref())
    }
}

/// How a user stands for sends: `suppressed` (bounced or complained), `unsubscribed` or `subscribed`.
pub fn subscription_state(subscribed: bool, suppressed_reason: Option<&str>) -> &'static str {
    match (subscribed, suppressed_reason) {
        (_, Some(_)) => "suppressed",
        (false, None) => "unsubscribed",
        (true, None) => "subscribed",
    }
}

/// A page of a list read by keyset ("next"/"previous" continue from the rows shown, so that rows
/// inserted meanwhile neither repeat nor skip a row). The cursors are opaque to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeysetPage<T> {
    pub items: Vec<T>,
    /// The cursor of the following rows (`after=`), when there are more.
    pub next: Option<String>,
    /// The cursor of the rows before these (`before=`), when there are any.
    pub prev: Option<String>,
}

/// What the Users list found: exact matches of the search (a user id, a `client_user_id`) and the
/// page of users whose address starts with it (or every user, without a search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSearch {
    pub exact: Vec<UserSummary>,
    pub page: KeysetPage<UserSummary>,
}

/// A project as a filter offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct ProjectChoice {
    pub id: i64,
    pub name: String,
    pub account_id: i64,
    pub account_name: String,
}

/// What caused a user's suppression or unsubscription: the email and its event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct SuppressionCause {
    pub message_id: String,
    pub status: String,
    pub detail: Option<String>,
    pub at: i64,
}

/// A user's profile: the stored user (with `ak` left out until revealed), where it belongs, and why it
/// is not sent to when it is not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserProfile {
    pub user: User,
    /// Whether the user has an `ak` (it is revealed on demand, and the reveal is audited).
    pub has_ak: bool,
    pub project_name: String,
    pub account_name: String,
    pub suppressed_at: Option<i64>,
    pub cause: Option<SuppressionCause>,
    pub email_count: i64,
}

/// One email of a user's timeline, with its status history and the webhooks about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEmail {
    pub message_id: String,
    /// Rendered from the template version in effect when the email was created, its data and the
    /// user's parameters (`None` when it does not render).
    pub subject: Option<String>,
    pub type_name: String,
    pub category: String,
    pub status: String,
    pub created_at: i64,
    /// Oldest first.
    pub events: Vec<EmailEvent>,
    /// Oldest first.
    pub webhooks: Vec<WebhookDelivery>,
}

/// An email with everything support looks at: its events, where it belongs, whether a copy was
/// captured in the outbox, and the webhooks about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailDetail {
    pub email: Email,
    pub type_name: String,
    pub project_name: String,
    pub account_id: i64,
    /// The captured copy in the outbox, when the email went there.
    pub outbox_id: Option<i64>,
    /// That copy's content (its HTML with the open pixel pointed nowhere).
    pub content: Option<OutboxMessage>,
    /// Without a copy: the email rendered again from its templates, data and the user.
    pub rerendered: Option<Rerendered>,
    pub webhooks: Vec<WebhookDelivery>,
}

/// One change of a user's parameter or subscription (`ak`'s values are never shown: both `None`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct UserChangeEntry {
    pub id: i64,
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// What changed it: `send`, `api`, `panel: <who>`, `unsubscribe link`, `bounce report`,
    /// `complaint report`, `campaign CSV`.
    pub source: Option<String>,
    pub at: i64,
}

impl UserChangeEntry {
    /// The source in words, for the change log.
    pub fn source_label(&self) -> String {
        match self.source.as_deref() {
            Some("send") => "a send (POST /v1/emails)".to_owned(),
            Some("api") => "PUT /v1/users".to_owned(),
            Some(other) => other.to_owned(),
            None => "—".to_owned(),
        }
    }
}

/// An email as a project's activity list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct ActivityEmail {
    pub id: i64,
    pub message_id: String,
    pub user_id: i64,
    pub recipient: String,
    pub type_name: String,
    pub category: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How many emails of a project reached a status on a day (days since the epoch, UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct DailyCount {
    pub day: i64,
    pub status: String,
    pub count: i64,
}

/// A project's emails by status per day, for its chart: `days` days ending today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChart {
    /// The first day shown (days since the epoch, UTC).
    pub first_day: i64,
    pub days: i64,
    pub counts: Vec<DailyCount>,
}

/// A marketing campaign with its import's progress, as its pages show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct Campaign {
    pub id: i64,
    pub project_id: i64,
    pub project_name: String,
    pub account_id: i64,
    pub type_id: i64,
    pub type_name: String,
    pub name: String,
    /// draft, scheduled, importing, sending, paused, cancelled, done or failed.
    pub state: String,
    pub paused_from: Option<String>,
    pub original_name: String,
    pub file_bytes: i64,
    /// The delimiter as text (`,` `;` or a tab).
    pub delimiter: String,
    /// JSON arrays: the header's column names, and each column's use (see `domain::Column::code`).
    pub header: String,
    pub mapping: String,
    pub total_rows: i64,
    pub starts_at: Option<i64>,
    pub rows_read: i64,
    pub users_created: i64,
    pub users_updated: i64,
    pub rows_rejected: i64,
    pub rows_corrected: i64,
    pub rows_duplicate: i64,
    pub emails_queued: i64,
    pub emails_suppressed: i64,
    pub error: Option<String>,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub import_started_at: Option<i64>,
    pub import_finished_at: Option<i64>,
    pub finished_at: Option<i64>,
}

impl Campaign {
    /// The header's column names.
    pub fn columns(&self) -> Vec<String> {
        serde_json::from_str(&self.header).unwrap_or_default()
    }

    /// Each column's use, as stored.
    pub fn column_uses(&self) -> Vec<String> {
        serde_json::from_str(&self.mapping).unwrap_or_default()
    }

    /// Rows read per second since the import started, and the seconds left at that rate.
    pub fn rate_and_time_left(&self, now: i64) -> Option<(f64, f64)> {
        let started = self.import_started_at?;
        let end = self.import_finished_at.unwrap_or(now);
        let seconds = (end - started) as f64 / 1000.0;
        if seconds <= 0.0 || self.rows_read == 0 {
            return None;
        }
        let rate = self.rows_read as f64 / seconds;
        let left = (self.total_rows - self.rows_read).max(0) as f64 / rate;
        Some((rate, left))
    }

    /// Percent of the file's rows imported.
    pub fn percent_read(&self) -> u32 {
        if self.total_rows <= 0 {
            return 0;
        }
        ((self.rows_read * 100) / self.total_rows).clamp(0, 100) as u32
    }

    /// True while the import or the sending may still change the counts.
    pub fn is_live(&self) -> bool {
        matches!(self.state.as_str(), "scheduled" | "importing" | "sending")
    }
}

/// A campaign's page: the campaign, its emails by status, and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    pub campaign: Campaign,
    /// (status, emails), every status with at least one email.
    pub statuses: Vec<(String, i64)>,
    pub can_edit: bool,
}

/// What the import said about one row of the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(FromRow))]
pub struct CampaignRowNote {
    pub id: i64,
    pub line: i64,
    /// rejected, corrected or duplicate.
    pub kind: String,
    pub email: Option<String>,
    pub detail: String,
}

/// A draft's mapping form: the columns, the use guessed or chosen for each, the first rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignPreview {
    pub columns: Vec<String>,
    pub uses: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// An email rendered again for the panel when no copy of it was kept: from the version of its email
/// type's templates in effect when it was created, its `data` and the user's current parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rerendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Since when that version of the templates was in effect.
    pub version_at: i64,
    /// False when the email is older than every kept version (the oldest was used).
    pub version_matches: bool,
    /// Why it could not be rendered (the other fields are then empty).
    pub error: Option<String>,
}
