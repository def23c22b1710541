//! Panel logins: staff (CSM, support) and the client logins of an account.
use crate::{
    db::{Db, NewPanelUser, Tx, is_unique_violation},
    domain::{EmailAddress, Password, Role, random_token},
    error::AppError,
    model::PanelUserInfo,
    services::{Actor, passwords},
};

/// A login to add: its address checked and its password hashed (slow: before any transaction begins).
struct NewLogin {
    email: EmailAddress,
    password_hash: String,
}

async fn new_login(email: &str, password: &str) -> Result<NewLogin, AppError> {
    let email = EmailAddress::parse("email", email)?;
    let password = Password::parse("password", password)?;
    let password_hash = passwords::hash(&password).await?;
    Ok(NewLogin {
        email,
        password_hash,
    })
}

async fn insert(
    tx: &mut Tx,
    login: &NewLogin,
    role: Role,
    account_id: Option<i64>,
) -> Result<PanelUserInfo, AppError> {
    let user = NewPanelUser {
        email: login.email.as_str(),
        password_hash: &login.password_hash,
        role: role.as_str(),
        account_id,
    };
    tx.insert_panel_user(user).await.map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Invalid {
                field: "email".into(),
                message: "is already used by another login".into(),
            }
        } else {
            e.into()
        }
    })
}

pub async fn staff(db: &Db, actor: &Actor) -> Result<Vec<PanelUserInfo>, AppError> {
    actor.require_csm()?;
    Ok(db.staff_users().await?)
}

pub async fn add_staff(
    db: &Db,
    actor: &Actor,
    email: &str,
    role: Role,
    password: &str,
) -> Result<PanelUserInfo, AppError> {
    actor.require_csm()?;
    if !role.is_staff() {
        return Err(AppError::Invalid {
            field: "role".into(),
            message: "must be CSM or support".into(),
        });
    }
    let login = new_login(email, password).await?;
    let mut tx = db.begin().await?;
    let user = insert(&mut tx, &login, role, None).await?;
    let detail = format!("Added {} login {}", role.label(), user.email);
    tx.insert_audit(
        None,
        actor.user_id(),
        actor.audit_name(),
        "staff.added",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

pub async fn add_client_user(
    db: &Db,
    actor: &Actor,
    account_id: i64,
    email: &str,
    password: &str,
) -> Result<PanelUserInfo, AppError> {
    actor.require_csm()?;
    db.account(account_id).await?.ok_or(AppError::NotFound)?;
    let login = new_login(email, password).await?;
    let mut tx = db.begin().await?;
    let user = insert(&mut tx, &login, Role::Client, Some(account_id)).await?;
    let detail = format!("Added client login {}", user.email);
    tx.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "login.added",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// Disables or re-enables any login. The last active CSM cannot be disabled.
pub async fn set_disabled(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    disabled: bool,
) -> Result<PanelUserInfo, AppError> {
    actor.require_csm()?;
    let target = db.panel_user(user_id).await?.ok_or(AppError::NotFound)?;
    let mut tx = db.begin().await?;
    let Some(user) = tx.set_panel_user_disabled(user_id, disabled).await? else {
        return Err(AppError::Conflict(
            "The last active CSM cannot be disabled.".into(),
        ));
    };
    let (action, verb) = if disabled {
        ("login.disabled", "Disabled")
    } else {
        ("login.enabled", "Enabled")
    };
    let detail = format!("{verb} login {}", target.email);
    tx.insert_audit(
        target.account_id,
        actor.user_id(),
        actor.audit_name(),
        action,
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// What the first start did about the first CSM login.
pub enum Bootstrap {
    /// The database already had logins.
    NotNeeded,
    /// Created from the configured email and password.
    Created { email: String },
    /// Created with a generated password, to be shown once.
    CreatedWithPassword { email: String, password: String },
}

/// On an empty database, creates the first CSM login.
pub async fn bootstrap_admin(
    db: &Db,
    email: Option<&str>,
    password: Option<&str>,
) -> Result<Bootstrap, AppError> {
    if db.count_panel_users().await? > 0 {
        return Ok(Bootstrap::NotNeeded);
    }
    let email = email.unwrap_or("admin@mailroom.local");
    let (password, generated) = match password {
        Some(p) => (p.to_owned(), false),
        None => (random_token(20), true),
    };
    let login = new_login(email, &password).await?;
    let mut tx = db.begin().await?;
    let user = insert(&mut tx, &login, Role::Csm, None).await?;
    tx.commit().await?;
    Ok(if generated {
        Bootstrap::CreatedWithPassword {
            email: user.email,
            password,
        }
    } else {
        Bootstrap::Created { email: user.email }
    })
}
