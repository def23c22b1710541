//! Domain values: parsed once at the edge, so an invalid value cannot travel further ("parse, don't validate").
//! Nothing here does I/O.

mod email_address;
mod names;
mod password;
mod role;
mod webhooks;

pub use email_address::EmailAddress;
pub use names::{AccountName, KeyLabel, ProjectName};
pub use password::Password;
pub use role::Role;
pub use webhooks::*;

/// A value that failed to parse: which form field, and a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

#[cfg(feature = "ssr")]
mod secrets;
#[cfg(feature = "ssr")]
pub use secrets::{ApiKey, ClientId, KeyHasher, push_random_token, random_token};
#[cfg(feature = "ssr")]
mod codes;
#[cfg(feature = "ssr")]
pub use codes::{COUNTRIES as COUNTRY_CODES, LANGUAGES as LANGUAGE_CODES};
mod user_params;
pub use user_params::UserParams;
#[cfg(feature = "ssr")]
pub use user_params::{Field, FieldErrors, Fields, PLATFORM_IDS};
#[cfg(feature = "ssr")]
pub mod campaign_csv;
#[cfg(feature = "ssr")]
mod email_check;
#[cfg(feature = "ssr")]
pub use email_check::{EmailCheck, InvalidReason, check_email};
