//! Users of a project (the people emails go to): read and update, by id or by project and email. Users
//! are created only by a send (or a campaign), never here. A client (a panel login of the account or an
//! API key) reaches its own account's users only; another account's user is "not found".
use serde::Serialize;
use serde_json::Value;

use crate::{
    db::Db,
    domain::{UserParams, check_email},
    error::AppError,
    model::User,
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
