//! One module per area of the panel.

pub mod accounts;
pub mod activity;
pub mod campaigns;
pub mod chart;
pub mod docs;
pub mod email_types;
pub mod emails;
pub mod home;
pub mod login;
pub mod not_found;
pub mod outbox;
pub mod params;
pub mod project_edit;
pub mod projects;
pub mod staff;
pub mod suppressions;
pub mod users;
pub mod webhooks;
