//! Server functions of the panel. Each one resolves who is signed in and calls a service, which checks
//! the role; the panel's hiding of links is a convenience, not the security.

pub mod accounts;
pub mod auth;
pub mod campaigns;
pub mod docs;
pub mod email_types;
pub mod outbox;
pub mod projects;
pub mod staff;
pub mod suppressions;
pub mod users;
pub mod webhooks;

#[cfg(feature = "ssr")]
pub(crate) mod ctx;
