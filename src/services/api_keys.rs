//! API keys of an account: issued by CSMs, shown once, stored as a keyed hash, revocable.
use crate::{
    db::{Db, NewApiKey},
    domain::{ApiKey, KeyLabel},
    error::AppError,
    model::IssuedKey,
    services::Actor,
};

pub async fn issue(
    db: &Db,
    secret_key: &[u8],
    actor: &Actor,
    account_id: i64,
    label: &str,
) -> Result<IssuedKey, AppError> {
    actor.require_csm()?;
    let label = KeyLabel::parse("label", label)?;
    db.account(account_id).await?.ok_or(AppError::NotFound)?;
    let key = ApiKey::generate();
    let info = db
        .insert_api_key(NewApiKey {
            account_id,
            label: label.as_str(),
            prefix: &key.prefix(),
            key_hash: &key.hash(secret_key),
            created_by: actor.user_id(),
        })
        .await?;
    let detail = format!("Issued API key {}… {}", info.prefix, quoted(&info.label));
    db.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "api_key.issued",
        &detail,
    )
    .await?;
    Ok(IssuedKey {
        info,
        key: key.expose().to_owned(),
    })
}

pub async fn revoke(db: &Db, actor: &Actor, account_id: i64, key_id: i64) -> Result<(), AppError> {
    actor.require_csm()?;
    let info = db
        .revoke_api_key(account_id, key_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let detail = format!("Revoked API key {}… {}", info.prefix, quoted(&info.label));
    db.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "api_key.revoked",
        &detail,
    )
    .await?;
    Ok(())
}

/// The account id and key id for a client_id and key pair, if the key is active. One indexed lookup of
/// the key's hash: no per-request password hashing.
pub async fn authenticate(
    db: &Db,
    secret_key: &[u8],
    client_id: &str,
    key: &str,
) -> Result<Option<(i64, i64)>, AppError> {
    let hash = ApiKey::presented(key).hash(secret_key);
    Ok(db.active_key_by_hash(client_id, &hash).await?)
}

fn quoted(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("(\"{label}\")")
    }
}
