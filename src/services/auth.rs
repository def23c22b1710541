//! Panel sign-in: password check with throttling of failed attempts per email and per IP.
use crate::{
    db::{Db, now_ms},
    domain::Role,
    error::AppError,
    model::SessionUser,
    services::passwords,
};

/// Failed attempts remembered for throttling.
pub const THROTTLE_WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failed attempts per email within the window before further attempts are refused.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failed attempts per IP address within the window (higher: offices share addresses).
pub const MAX_FAILURES_PER_IP: i64 = 30;

/// Checks the email and password; on success returns the user to put in the session.
pub async fn login(
    db: &Db,
    email: &str,
    password: &str,
    ip: &str,
) -> Result<SessionUser, AppError> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Err(AppError::Invalid {
            field: "email".into(),
            message: "is required".into(),
        });
    }
    if password.is_empty() {
        return Err(AppError::Invalid {
            field: "password".into(),
            message: "is required".into(),
        });
    }
    let now = now_ms();
    let (by_email, by_ip, oldest) = db
        .login_failures_since(&email, ip, now - THROTTLE_WINDOW_MS)
        .await?;
    if by_email >= MAX_FAILURES_PER_EMAIL || by_ip >= MAX_FAILURES_PER_IP {
        let retry_ms = oldest.unwrap_or(now) + THROTTLE_WINDOW_MS - now;
        let minutes = (retry_ms.max(0) + 59_999) / 60_000;
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-in attempts. Try again in {} minute{}.",
            minutes.max(1),
            if minutes > 1 { "s" } else { "" }
        )));
    }

    let found = db.credentials_by_email(&email).await?;
    let stored = found.as_ref().map(|c| c.password_hash.clone());
    let password_ok = passwords::verify(password, stored).await?;
    let user = match found {
        Some(c) if password_ok => c,
        _ => {
            db.insert_login_failure(&email, ip).await?;
            return Err(AppError::BadCredentials);
        }
    };
    if user.disabled_at.is_some() {
        return Err(AppError::Conflict(
            "This login has been disabled. Please contact your CSM.".into(),
        ));
    }
    let role =
        Role::parse(&user.role).ok_or_else(|| anyhow::anyhow!("unknown role {:?}", user.role))?;
    db.clear_login_failures(&email).await?;
    db.record_login(user.id).await?;
    Ok(SessionUser {
        id: user.id,
        email: user.email,
        role,
        account_id: user.account_id,
    })
}

/// The user behind a session's user id, if that login still exists and is enabled.
pub async fn session_user(db: &Db, user_id: i64) -> Result<Option<SessionUser>, AppError> {
    let Some(user) = db.panel_user(user_id).await? else {
        return Ok(None);
    };
    if user.disabled_at.is_some() {
        return Ok(None);
    }
    let Some(role) = Role::parse(&user.role) else {
        return Ok(None);
    };
    Ok(Some(SessionUser {
        id: user.id,
        email: user.email,
        role,
        account_id: user.account_id,
    }))
}
