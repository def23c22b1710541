//! Password hashing with argon2id, off the async threads.
use std::sync::LazyLock;

use anyhow::Context;
use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};

use crate::domain::Password;

/// Verified against when the email is unknown, so that a wrong email takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hash_blocking("mailroom dummy password").expect("hashing a constant cannot fail")
});

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
}

/// The PHC string of an argon2id hash of `password` (default parameters: 19 MiB, 2 passes).
pub async fn hash(password: &Password) -> anyhow::Result<String> {
    let password = password.expose().to_owned();
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .context("hashing task failed")?
}

/// Checks `password` against `stored` (or against a dummy hash when there is no stored hash).
pub async fn verify(password: &str, stored: Option<String>) -> anyhow::Result<bool> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed =
            PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash is invalid: {e}"))?;
        Ok(known
            && Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok())
    })
    .await
    .context("verification task failed")?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ_per_salt() {
        let pw = Password::parse("password", "correct horse battery").unwrap();
        let (a, b) = (hash(&pw).await.unwrap(), hash(&pw).await.unwrap());
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b);
        assert!(
            verify("correct horse battery", Some(a.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery", Some(a)).await.unwrap());
        assert!(!verify("mailroom dummy password", None).await.unwrap());
    }
}
