//! Credentials that Mailroom generates: public client ids and secret API keys.
use hmac::{Hmac, Mac};
use rand::{Rng, distributions::Alphanumeric};
use sha2::Sha256;

/// Random alphanumeric text from a CSPRNG seeded by the operating system.
pub fn random_token(len: usize) -> String {
    let mut token = String::with_capacity(len);
    push_random_token(&mut token, len);
    token
}

/// Appends `len` characters of `random_token` to `out` (for an id written into one string).
pub fn push_random_token(out: &mut String, len: usize) {
    // The thread's generator: a CSPRNG (ChaCha) seeded from the OS, without a system call per character.
    out.extend(
        rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(len)
            .map(char::from),
    );
}

/// The public identifier of an account: `cl_` and 20 random lower-case letters and digits (~103 bits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn generate() -> Self {
        Self(format!("cl_{}", random_token(20).to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A secret API key: `mr_` and 40 random letters and digits (~238 bits). Shown once, stored only as a hash.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// How many leading characters are kept in clear so that people can tell keys apart.
    pub const PREFIX_CHARS: usize = 11;

    pub fn generate() -> Self {
        Self(format!("mr_{}", random_token(40)))
    }

    /// Wraps a key presented by a client (not validated: an unknown key simply matches no hash).
    pub fn presented(key: &str) -> Self {
        Self(key.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn prefix(&self) -> String {
        self.0.chars().take(Self::PREFIX_CHARS).collect()
    }

    /// HMAC-SHA256 under the server's secret key, hex-encoded. Keys are high-entropy, so a fast keyed hash
    /// is right (argon2 is for passwords); the secret key makes a stolen table useless on its own.
    pub fn hash(&self, secret_key: &[u8]) -> String {
        KeyHasher::new(secret_key).hash(self)
    }
}

/// `ApiKey::hash` with the secret key absorbed once: each hash then costs two SHA-256 blocks instead of
/// four (what a request's credential check pays before its cache lookup).
#[derive(Clone)]
pub struct KeyHasher(Hmac<Sha256>);

impl KeyHasher {
    pub fn new(secret_key: &[u8]) -> Self {
        Self(Hmac::<Sha256>::new_from_slice(secret_key).expect("HMAC takes keys of any length"))
    }

    pub fn hash(&self, key: &ApiKey) -> String {
        hex::encode(self.digest(&key.0))
    }

    /// The keyed hash of a presented key as bytes (`hash` is its hex form, as stored).
    pub fn digest(&self, key: &str) -> [u8; 32] {
        let mut mac = self.0.clone();
        mac.update(key.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiKey({}…)", self.prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_long_random_and_distinct() {
        let (a, b) = (ClientId::generate(), ClientId::generate());
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 23);
        assert!(
            a.as_str()[3..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn key_hash_is_keyed_and_is_not_the_key() {
        let key = ApiKey::generate();
        let h1 = key.hash(b"secret one");
        assert_ne!(h1, key.expose());
        assert!(!h1.contains(&key.expose()[3..]));
        assert_ne!(h1, key.hash(b"secret two"));
        assert_eq!(h1, ApiKey::presented(key.expose()).hash(b"secret one"));
        assert!(format!("{key:?}").starts_with("ApiKey(mr_"));
        assert_eq!(key.prefix().len(), ApiKey::PREFIX_CHARS);
    }
}
