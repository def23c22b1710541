//! API keys of an account: issued by CSMs, shown once, stored as a keyed hash, revocable.
use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{
    db::{Db, KeyOwner, NewApiKey, now_ms},
    domain::{ApiKey, KeyHasher, KeyLabel},
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

/// The owner of an active key for this client_id and key pair, read from the database (no cache). One
/// indexed lookup of the key's hash: no per-request password hashing.
pub async fn authenticate(
    db: &Db,
    secret_key: &[u8],
    client_id: &str,
    key: &str,
) -> Result<Option<KeyOwner>, AppError> {
    let hash = ApiKey::presented(key).hash(secret_key);
    Ok(db.active_key_by_hash(client_id, &hash).await?)
}

/// Recently checked credentials, so that a burst of API calls costs one database lookup (of the key's
/// keyed hash: no per-request password hashing). An entry lives `KeyCache::TTL`: a revocation or a
/// suspension takes effect within that time. Key use is collected here and written as "last used" by a
/// periodic flush, not by a write per request.
pub struct KeyCache {
    hasher: KeyHasher,
    entries: Mutex<HashMap<String, (Instant, Option<KeyOwner>)>>,
    used: Mutex<HashSet<i64>>,
}

impl KeyCache {
    pub const TTL: Duration = Duration::from_secs(5);
    const MAX_ENTRIES: usize = 50_000;

    /// A cache of the keys hashed under `secret_key`. Entries are keyed by the key's hash, so the cache
    /// holds no key in the clear.
    pub fn new(secret_key: &[u8]) -> Self {
        Self {
            hasher: KeyHasher::new(secret_key),
            entries: Mutex::default(),
            used: Mutex::default(),
        }
    }

    /// Like `authenticate`, through the cache.
    pub async fn authenticate(
        &self,
        db: &Db,
        client_id: &str,
        key: &str,
    ) -> Result<Option<KeyOwner>, AppError> {
        let hash = self.hasher.hash(&ApiKey::presented(key));
        let cache_key = format!("{client_id}:{hash}");
        let cached = self.lock_entries().get(&cache_key).copied();
        let owner = match cached {
            Some((at, owner)) if at.elapsed() < Self::TTL => owner,
            _ => {
                let owner = db.active_key_by_hash(client_id, &hash).await?;
                let mut entries = self.lock_entries();
                if entries.len() >= Self::MAX_ENTRIES {
                    entries.retain(|_, (at, _)| at.elapsed() < Self::TTL);
                }
                entries.insert(cache_key, (Instant::now(), owner));
                owner
            }
        };
        if let Some(owner) = owner {
            self.used
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(owner.key_id);
        }
        Ok(owner)
    }

    fn lock_entries(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Option<KeyOwner>)>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes "last used" for the keys used since the previous flush.
    pub async fn flush_last_used(&self, db: &Db) -> Result<(), AppError> {
        let used: Vec<i64> =
            std::mem::take(&mut *self.used.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        if !used.is_empty() {
            db.touch_api_keys(&used, now_ms()).await?;
        }
        Ok(())
    }
}

fn quoted(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("(\"{label}\")")
    }
}
