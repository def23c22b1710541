//! Users of a project (the people emails go to): read and update, by id or by project and email. Users
//! are created only by a send (or a campaign), never here. A client (a panel login of the account or an
//! API key) reaches its own account's users only; another account's user is "not found".
use serde::Serialize;
use serde_json::Value;

use crate::{
    db::{Db, UserCursor, UserFilter, UserKey},
    domain::{UserParams, check_email},
    error::AppError,
    model::{
        EmailEvent, KeysetPage, ProjectChoice, TimelineEmail, User, UserChangeEntry, UserProfile,
        UserSearch, UserSummary,
    },
    services::Actor,
};

/// A user by id.
pub async fn get(db: &Db, actor: &Actor, user_id: i64) -> Result<User, AppError> {
    db.user(actor.account_scope()?, user_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// A user by project and address; the address is normalized as a send normalizes it (one that is not
/// valid names no user).
pub async fn by_email(
    db: &Db,
    actor: &Actor,
    project_id: i64,
    email: &str,
) -> Result<User, AppError> {
    let checked = check_email(email);
    if !checked.valid {
        return Err(AppError::NotFound);
    }
    db.user_by_email(actor.account_scope()?, project_id, &checked.email)
        .await?
        .ok_or(AppError::NotFound)
}

/// One parameter that an update changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserChange {
    pub field: &'static str,
    /// `null` when the parameter was not set before.
    pub old: Value,
    pub new: Value,
}

/// A user after an update, and what the update changed (empty: nothing differed, nothing was written).
#[derive(Debug, Clone, PartialEq)]
pub struct UserUpdate {
    pub user: User,
    pub changes: Vec<UserChange>,
}

/// Sets the given parameters of `user` (as read by `get` or `by_email`) where they differ: CSMs and the
/// account's clients. One write, which returns the stored user. The change set is returned, not stored
/// (there is no per-user history yet); it is what this update set, against `user` as read.
pub async fn update(
    db: &Db,
    actor: &Actor,
    user: User,
    params: &UserParams,
) -> Result<UserUpdate, AppError> {
    actor.require_change_account(user.account_id)?;
    let changes = changes(&user, params);
    if changes.is_empty() {
        return Ok(UserUpdate { user, changes });
    }
    match db.update_user(user.id, params).await? {
        Some(updated) => Ok(UserUpdate {
            user: updated,
            changes,
        }),
        // Changed meanwhile to the given values: this update changed nothing.
        None => Ok(UserUpdate {
            user: db
                .user(Some(user.account_id), user.id)
                .await?
                .ok_or(AppError::NotFound)?,
            changes: Vec::new(),
        }),
    }
}

/// The parameters that `params` sets to another value than `user` has, in the order of `UserParams`.
fn changes(user: &User, params: &UserParams) -> Vec<UserChange> {
    let mut changes = Vec::new();
    user.params.for_each_change(params, |field, old, new| {
        changes.push(UserChange { field, old, new })
    });
    changes
}

/// Users shown on one page of the Users list.
pub const USERS_PER_PAGE: i64 = 50;
/// Emails shown on one page of a user's timeline.
pub const TIMELINE_PER_PAGE: i64 = 20;
/// Exact matches (user id, `client_user_id`) shown above the list.
const EXACT_MATCHES: i64 = 10;

/// What the Users list asks for: a search term, filters, and where the page starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserQuery {
    /// An address or its beginning, a user id or a `client_user_id`.
    pub q: String,
    pub project_id: Option<i64>,
    /// `subscribed`, `unsubscribed` or `suppressed`; anything else: all.
    pub state: String,
    /// Staff: only this account's users (a client sees its own account's anyway).
    pub account_id: Option<i64>,
    /// Only users whose latest email is in this status (empty: all).
    pub last_status: String,
    /// `activity`: by latest email, newest first; otherwise newest users first (or address order when
    /// searching).
    pub sort: String,
    /// A `next` cursor of the previous page.
    pub after: String,
    /// A `prev` cursor of the following page.
    pub before: String,
}

/// The beginning of an address as sends store it: a whole valid address normalized as a send
/// normalizes it, otherwise trimmed and lowercased.
fn email_prefix(q: &str) -> String {
    let checked = check_email(q);
    if checked.valid {
        checked.email
    } else {
        q.trim().to_lowercase()
    }
}

fn encode_cursor(user: &UserSummary, by_email: bool) -> String {
    if by_email {
        format!("{}:{}", user.id, user.email)
    } else {
        user.id.to_string()
    }
}

/// A cursor as `encode_cursor` wrote it; anything else reads as "from the start".
fn decode_cursor(cursor: &str) -> Option<UserKey> {
    let (id, email) = match cursor.split_once(':') {
        Some((id, email)) => (id, Some(email.to_owned())),
        None => (cursor, None),
    };
    Some(UserKey {
        id: id.trim().parse().ok()?,
        email,
    })
}

/// The Users list: a client sees its own account's users, staff everyone's. With a search term, the
/// users whose address starts with it in address order, and above them the exact matches of a user id
/// or `client_user_id`; without, every user newest first. Keyset pages, so that page 5,000 costs what
/// page 1 does and users created meanwhile neither repeat nor skip a row.
pub async fn search(db: &Db, actor: &Actor, query: &UserQuery) -> Result<UserSearch, AppError> {
    let q = query.q.trim();
    let filter = UserFilter {
        account_id: actor.account_scope()?.or(query.account_id),
        project_id: query.project_id,
        state: ["subscribed", "unsubscribed", "suppressed"]
            .into_iter()
            .find(|s| *s == query.state),
        email_prefix: (!q.is_empty()).then(|| email_prefix(q)),
        last_status: Some(query.last_status.trim().to_owned()).filter(|s| !s.is_empty()),
    };
    if query.sort == "activity" {
        return by_activity(db, filter, query).await;
    }
    let by_email = filter.email_prefix.is_some();
    let cursor = match (decode_cursor(&query.after), decode_cursor(&query.before)) {
        (Some(key), _) => Some(UserCursor::After(key)),
        (None, Some(key)) => Some(UserCursor::Before(key)),
        (None, None) => None,
    };
    let mut rows = db
        .user_page(&filter, cursor.as_ref(), USERS_PER_PAGE)
        .await?;
    let more = crate::services::trim_to_page(&mut rows, USERS_PER_PAGE);
    let (has_next, has_prev) = match cursor {
        None => (more, false),
        Some(UserCursor::After(_)) => (more, true),
        Some(UserCursor::Before(_)) => {
            rows.reverse();
            (true, more)
        }
    };
    let page = KeysetPage {
        next: rows
            .last()
            .filter(|_| has_next)
            .map(|u| encode_cursor(u, by_email)),
        prev: rows
            .first()
            .filter(|_| has_prev)
            .map(|u| encode_cursor(u, by_email)),
        items: rows,
    };
    let exact = if q.is_empty() || cursor.is_some() {
        Vec::new()
    } else {
        db.users_matching(&filter, q, EXACT_MATCHES).await?
    };
    Ok(UserSearch { exact, page })
}

/// The Users list by latest email, newest first: "next" continues below the last row's email; a user
/// who gets an email meanwhile moves to the top (their row is where their latest email is).
async fn by_activity(
    db: &Db,
    filter: UserFilter,
    query: &UserQuery,
) -> Result<UserSearch, AppError> {
    let before = query.after.trim().parse::<i64>().ok();
    let mut rows = db
        .users_by_activity(&filter, before, USERS_PER_PAGE)
        .await?;
    let more = crate::services::trim_to_page(&mut rows, USERS_PER_PAGE);
    let page = KeysetPage {
        next: rows
            .last()
            .filter(|_| more)
            .and_then(|u| u.last_email_id)
            .map(|id| id.to_string()),
        prev: None,
        items: rows,
    };
    Ok(UserSearch {
        exact: Vec::new(),
        page,
    })
}

/// The projects the Users list's filter offers the actor.
pub async fn project_choices(db: &Db, actor: &Actor) -> Result<Vec<ProjectChoice>, AppError> {
    Ok(db.project_choices(actor.account_scope()?).await?)
}

/// A user's profile, `ak` left out (see `reveal_ak`).
pub async fn profile(db: &Db, actor: &Actor, user_id: i64) -> Result<UserProfile, AppError> {
    let mut user = get(db, actor, user_id).await?;
    let has_ak = user.params.ak.take().is_some();
    let project = db
        .project(user.project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // Only a user who is not sent to has a cause to look for (among all its emails' events).
    let (suppressed_at, cause) = if !user.subscribed || user.suppressed_reason.is_some() {
        db.suppression_of(user_id).await?
    } else {
        (None, None)
    };
    Ok(UserProfile {
        has_ak,
        project_name: project.name,
        account_name: project.account_name,
        suppressed_at,
        cause,
        email_count: db.email_count_of_user(user_id).await?,
        user,
    })
}

/// The user's `ak`, written to the audit trail as read by the actor.
pub async fn reveal_ak(db: &Db, actor: &Actor, user_id: i64) -> Result<String, AppError> {
    let user = get(db, actor, user_id).await?;
    let ak = user.params.ak.clone().ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    tx.insert_audit(
        Some(user.account_id),
        actor.user_id(),
        actor.audit_name(),
        "user.ak_revealed",
        &format!("Revealed the ak of user {} ({})", user.id, user.email),
    )
    .await?;
    tx.commit().await?;
    Ok(ak)
}

/// Unsubscribes the user (`subscribed: false`: sends answer `suppressed`) or sends to them again
/// (`true`: also lifts a bounce or complaint suppression): CSMs and the account's clients, audited in the
/// same transaction.
pub async fn set_subscribed(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    subscribed: bool,
) -> Result<(), AppError> {
    let user = get(db, actor, user_id).await?;
    actor.require_change_account(user.account_id)?;
    let mut tx = db.begin().await?;
    let source = format!("panel: {}", actor.audit_name());
    let (done, action, what) = if subscribed {
        let done = tx
            .lift_suppression(user.project_id, user.id, &source)
            .await?;
        (done, "user.resubscribed", "Resubscribed")
    } else {
        let done = tx.unsubscribe_user_by_hand(user.id, &source).await?;
        (done, "user.unsubscribed", "Unsubscribed")
    };
    if !done {
        return Err(AppError::NotFound);
    }
    tx.insert_audit(
        Some(user.account_id),
        actor.user_id(),
        actor.audit_name(),
        action,
        &format!("{what} user {} ({})", user.id, user.email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A page of the changes of the user's parameters and subscription, newest first (before the change
/// `before`, a `next` cursor).
pub async fn changes_of(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    before: &str,
) -> Result<KeysetPage<UserChangeEntry>, AppError> {
    get(db, actor, user_id).await?;
    let before = before.trim().parse::<i64>().ok();
    let mut rows = db.user_changes(user_id, before, TIMELINE_PER_PAGE).await?;
    let more = crate::services::trim_to_page(&mut rows, TIMELINE_PER_PAGE);
    Ok(KeysetPage {
        next: rows.last().filter(|_| more).map(|r| r.id.to_string()),
        prev: None,
        items: rows,
    })
}

/// A page of the webhooks about the user's emails, newest first (before the webhook `before`).
pub async fn webhooks_of(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    before: &str,
) -> Result<KeysetPage<crate::model::WebhookDelivery>, AppError> {
    get(db, actor, user_id).await?;
    let before = before.trim().parse::<i64>().ok();
    let mut rows = db
        .webhooks_of_user(user_id, before, TIMELINE_PER_PAGE)
        .await?;
    let more = crate::services::trim_to_page(&mut rows, TIMELINE_PER_PAGE);
    Ok(KeysetPage {
        next: rows.last().filter(|_| more).map(|r| r.id.to_string()),
        prev: None,
        items: rows,
    })
}

/// A page of the user's timeline: emails newest first (before the email `before`, a `next` cursor),
/// each with its status history and the webhooks about it; `status`: only emails whose current status
/// it is.
pub async fn timeline(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    status: &str,
    before: &str,
) -> Result<KeysetPage<TimelineEmail>, AppError> {
    let user = get(db, actor, user_id).await?;
    let status = Some(status.trim()).filter(|s| !s.is_empty());
    let before_id = before.trim().parse::<i64>().ok();
    let mut rows = db
        .timeline_emails(user_id, status, before_id, TIMELINE_PER_PAGE)
        .await?;
    let more = crate::services::trim_to_page(&mut rows, TIMELINE_PER_PAGE);
    let mut subjects = crate::services::emails::Subjects::of(db, &user, &rows).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut events = db.events_of_emails(&ids).await?;
    let mut webhooks = db.webhooks_of_emails(&ids).await?;
    let next = rows.last().filter(|_| more).map(|r| r.id.to_string());
    let items = rows
        .into_iter()
        .map(|row| {
            let subject = subjects.of_row(&row);
            let first = EmailEvent {
                status: row.first_status,
                detail: None,
                at: row.created_at,
            };
            let later = events.remove(&row.id).unwrap_or_default();
            TimelineEmail {
                subject,
                webhooks: webhooks.remove(&row.message_id).unwrap_or_default(),
                message_id: row.message_id,
                type_name: row.type_name,
                category: row.category,
                status: row.status,
                created_at: row.created_at,
                events: std::iter::once(first).chain(later).collect(),
            }
        })
        .collect();
    Ok(KeysetPage {
        items,
        next,
        prev: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        domain::Role,
        services::{panel_actor, test_db},
    };

    fn key_of(account_id: i64) -> Actor {
        Actor::ApiKey {
            account_id,
            key_id: 1,
        }
    }

    /// A client (a key or a panel login) reads its own account's users only; staff read every account's.
    #[tokio::test]
    async fn clients_read_their_own_accounts_users_only() {
        let db = test_db().await;
        let anna = get(&db, &key_of(1), 1).await.unwrap();
        assert_eq!(
            (anna.email.as_str(), anna.account_id),
            ("anna@example.com", 1)
        );
        let by_address = by_email(&db, &key_of(1), 1, " Anna@Example.com").await;
        assert_eq!(by_address.unwrap(), anna, "normalized as a send normalizes");
        for client in [key_of(2), panel_actor(Role::Client, Some(2))] {
            assert_eq!(get(&db, &client, 1).await, Err(AppError::NotFound));
            let found = by_email(&db, &client, 1, "anna@example.com").await;
            assert_eq!(found, Err(AppError::NotFound));
        }
        assert_eq!(
            get(&db, &panel_actor(Role::Client, None), 1).await,
            Err(AppError::Forbidden)
        );
        assert_eq!(get(&db, &key_of(1), 3).await, Err(AppError::NotFound));
        assert_eq!(
            by_email(&db, &key_of(1), 1, "not an address").await,
            Err(AppError::NotFound)
        );
        for staff in [panel_actor(Role::Support, None), Actor::Operator] {
            assert_eq!(get(&db, &staff, 1).await.unwrap(), anna);
            assert_eq!(get(&db, &staff, 2).await.unwrap().account_id, 2);
            let bob = by_email(&db, &staff, 2, "bob@example.com").await.unwrap();
            assert_eq!(bob.id, 2);
        }
        db.close().await;
    }

    /// An update writes what differs and returns the stored user with the change set; the same values
    /// again change nothing (`updated_at` stays).
    #[tokio::test]
    async fn updates_return_what_changed() {
        let db = test_db().await;
        let key = key_of(1);
        let anna = get(&db, &key, 1).await.unwrap();
        let params = UserParams {
            name: Some("Anna".into()),
            age: Some(31),
            list_id: Some(7),
            ..UserParams::default()
        };
        let done = update(&db, &key, anna, &params).await.unwrap();
        assert_eq!(
            done.changes,
            [
                UserChange {
                    field: "list_id",
                    old: Value::Null,
                    new: 7.into()
                },
                UserChange {
                    field: "age",
                    old: 30.into(),
                    new: 31.into()
                },
            ]
        );
        assert_eq!(
            (done.user.params.age, done.user.params.list_id),
            (Some(31), Some(7))
        );
        assert_eq!(done.user.params.name.as_deref(), Some("Anna"));
        assert!(done.user.updated_at > 0);
        assert_eq!(done.user, get(&db, &key, 1).await.unwrap(), "as stored");

        let again = update(&db, &key, done.user.clone(), &params).await.unwrap();
        assert!(again.changes.is_empty());
        assert_eq!(again.user, done.user);
        db.close().await;
    }

    /// Support reads but does not change users; a client never changes another account's user, even
    /// given it.
    #[tokio::test]
    async fn only_csms_and_the_accounts_clients_update() {
        let db = test_db().await;
        let bob = get(&db, &Actor::Operator, 2).await.unwrap();
        let params = UserParams {
            age: Some(40),
            ..UserParams::default()
        };
        let support = panel_actor(Role::Support, None);
        let refused = update(&db, &support, bob.clone(), &params).await;
        assert_eq!(refused, Err(AppError::Forbidden));
        let refused = update(&db, &key_of(1), bob.clone(), &params).await;
        assert_eq!(refused, Err(AppError::NotFound));
        assert_eq!(get(&db, &Actor::Operator, 2).await.unwrap(), bob);
        let csm = panel_actor(Role::Csm, None);
        let done = update(&db, &csm, bob, &params).await.unwrap();
        assert_eq!(done.user.params.age, Some(40));
        let done = update(&db, &key_of(2), done.user, &UserParams::default()).await;
        assert!(done.unwrap().changes.is_empty());
        db.close().await;
    }
}
