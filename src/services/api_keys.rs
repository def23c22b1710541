//! API keys of an account: issued by CSMs, shown once, stored as a keyed hash, revocable.
use std::{
    collections::{HashMap, HashSet},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
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
    let mut tx = db.begin().await?;
    let info = tx
        .insert_api_key(NewApiKey {
            account_id,
            label: label.as_str(),
            prefix: &key.prefix(),
            key_hash: &key.hash(secret_key),
            created_by: actor.user_id(),
        })
        .await?;
    let detail = format!("Issued API key {}… {}", info.prefix, quoted(&info.label));
    tx.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "api_key.issued",
        &detail,
    )
    .await?;
    tx.commit().await?;
    Ok(IssuedKey {
        info,
        key: key.expose().to_owned(),
    })
}

pub async fn revoke(db: &Db, actor: &Actor, account_id: i64, key_id: i64) -> Result<(), AppError> {
    actor.require_csm()?;
    let mut tx = db.begin().await?;
    let info = tx
        .revoke_api_key(account_id, key_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let detail = format!("Revoked API key {}… {}", info.prefix, quoted(&info.label));
    tx.insert_audit(
        Some(account_id),
        actor.user_id(),
        actor.audit_name(),
        "api_key.revoked",
        &detail,
    )
    .await?;
    tx.commit().await?;
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
    /// By the key's keyed hash (the cache holds no key in the clear).
    entries: Mutex<HashMap<[u8; 32], CachedKey>>,
    used: Mutex<HashSet<i64>>,
    /// Counts the flushes of `used`: an entry whose `recorded` is this one is in `used` already.
    flushes: AtomicU64,
}

struct CachedKey {
    client_id: Box<str>,
    at: Instant,
    owner: Option<KeyOwner>,
    /// The flush after which this entry's key was last put in `used` (`u64::MAX`: never).
    recorded: u64,
}

impl KeyCache {
    pub const TTL: Duration = Duration::from_secs(5);
    const MAX_ENTRIES: usize = 50_000;

    /// A cache of the keys hashed under `secret_key`.
    pub fn new(secret_key: &[u8]) -> Self {
        Self {
            hasher: KeyHasher::new(secret_key),
            entries: Mutex::default(),
            used: Mutex::default(),
            flushes: AtomicU64::new(0),
        }
    }

    /// Like `authenticate`, through the cache. A hit takes one lock and allocates nothing; the key's
    /// use is put in `used` once per flush.
    pub async fn authenticate(
        &self,
        db: &Db,
        client_id: &str,
        key: &str,
    ) -> Result<Option<KeyOwner>, AppError> {
        let hash = self.hasher.digest(key);
        if let Some(owner) = self.cached(&hash, client_id) {
            return Ok(owner);
        }
        let owner = db.active_key_by_hash(client_id, &hex::encode(hash)).await?;
        let mut entries = self.lock_entries();
        if entries.len() >= Self::MAX_ENTRIES {
            entries.retain(|_, entry| entry.at.elapsed() < Self::TTL);
        }
        let entry = entries.entry(hash).insert_entry(CachedKey {
            client_id: client_id.into(),
            at: Instant::now(),
            owner,
            recorded: u64::MAX,
        });
        self.record_use(entry.into_mut());
        Ok(owner)
    }

    /// The owner cached for this hash and client_id, if the entry is fresh.
    fn cached(&self, hash: &[u8; 32], client_id: &str) -> Option<Option<KeyOwner>> {
        let mut entries = self.lock_entries();
        let entry = entries
            .get_mut(hash)
            .filter(|e| &*e.client_id == client_id && e.at.elapsed() < Self::TTL)?;
        self.record_use(entry);
        Some(entry.owner)
    }

    fn record_use(&self, entry: &mut CachedKey) {
        let flushes = self.flushes.load(Ordering::Acquire);
        if let Some(owner) = entry.owner
            && entry.recorded != flushes
        {
            self.lock_used().insert(owner.key_id);
            entry.recorded = flushes;
        }
    }

    fn lock_entries(&self) -> std::sync::MutexGuard<'_, HashMap<[u8; 32], CachedKey>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_used(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        self.used.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes "last used" for the keys used since the previous flush.
    pub async fn flush_last_used(&self, db: &Db) -> Result<(), AppError> {
        let used: Vec<i64> = {
            let mut used = self.lock_used();
            // Under the lock: a use recorded before this point is in the set taken here; one after it
            // sees the new count and goes in the next set.
            self.flushes.fetch_add(1, Ordering::AcqRel);
            std::mem::take(&mut *used).into_iter().collect()
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A hit needs the same client_id; each flush writes "last used" for the keys used since the one
    /// before, and a key used again after a flush is written again.
    #[tokio::test]
    async fn the_cache_checks_the_client_id_and_records_use_per_flush() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let secret = b"cache secret";
        let mut tx = db.begin().await.unwrap();
        let account = tx.insert_account("A", "cl_cache").await.unwrap();
        let key = ApiKey::generate();
        let info = tx
            .insert_api_key(NewApiKey {
                account_id: account.id,
                label: "",
                prefix: &key.prefix(),
                key_hash: &key.hash(secret),
                created_by: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let cache = KeyCache::new(secret);
        let last_used =
            || async { db.api_keys_of_account(account.id).await.unwrap()[0].last_used_at };

        for _ in 0..3 {
            let owner = cache.authenticate(&db, "cl_cache", key.expose()).await;
            assert_eq!(owner.unwrap().map(|o| o.key_id), Some(info.id));
        }
        let other = cache.authenticate(&db, "cl_other", key.expose()).await;
        assert!(other.unwrap().is_none(), "the key of another client_id");
        let wrong = cache.authenticate(&db, "cl_cache", "mr_wrong").await;
        assert!(wrong.unwrap().is_none());
        assert_eq!(last_used().await, None);

        cache.flush_last_used(&db).await.unwrap();
        let first = last_used().await.expect("the flush wrote last used");
        assert!(cache.lock_used().is_empty());
        cache.flush_last_used(&db).await.unwrap();
        assert_eq!(
            last_used().await,
            Some(first),
            "no use since: nothing written"
        );

        tokio::time::sleep(Duration::from_millis(5)).await;
        let again = cache.authenticate(&db, "cl_cache", key.expose()).await;
        assert!(again.unwrap().is_some());
        cache.flush_last_used(&db).await.unwrap();
        assert!(
            last_used().await > Some(first),
            "used after the flush: written again"
        );
        db.close().await;
    }

    /// A key is issued or revoked together with its audit entry, or not at all: without an audit trail
    /// to write to, neither is stored. (end2end/http/audit.rs checks every audited change, on both
    /// databases.)
    #[tokio::test]
    async fn keys_change_only_with_their_audit_entry() {
        let db = crate::services::test_db().await;
        let secret = b"audit secret";
        let op = Actor::Operator;
        let issued = issue(&db, secret, &op, 1, "live").await.unwrap();
        let crate::db::Db::Sqlite(pool) = &db else {
            unreachable!()
        };
        sqlx::raw_sql("DROP TABLE audit_events")
            .execute(pool)
            .await
            .unwrap();
        let refused = issue(&db, secret, &op, 1, "second").await;
        assert_eq!(refused, Err(AppError::Internal));
        let refused = revoke(&db, &op, 1, issued.info.id).await;
        assert_eq!(refused, Err(AppError::Internal));
        assert_eq!(db.api_keys_of_account(1).await.unwrap(), [issued.info]);
        db.close().await;
    }
}
