//! Use-cases shared by the panel's server functions, the operator CLI and (later) the /v1 API.
//! Each one checks who is acting (`Actor`) before it touches anything.

pub mod accounts;
pub mod actor;
pub mod api_keys;
pub mod auth;
pub mod email_types;
pub mod emails;
pub mod engagement;
pub mod outbox;
pub mod panel_users;
pub mod passwords;
pub mod projects;

pub use actor::Actor;
