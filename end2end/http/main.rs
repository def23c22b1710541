//! HTTP-level tests: each starts the real app on port 0 with a fresh database, once on SQLite and
//! once on PostgreSQL (see `both_databases!`).

mod harness;
#[path = "../operator.rs"]
mod operator;
#[path = "../smtp_peer.rs"]
#[allow(dead_code)] // The SMTP client's unit tests use the rest of it.
mod smtp_peer;

mod accounts;
mod api;
mod audit;
mod auth;
mod battery;
mod campaigns;
mod campaigns_crash;
mod cli;
mod delivery;
mod delivery_crash;
mod durability;
mod email_types;
mod engagement;
mod keys;
mod openapi;
mod pages;
mod roles;
mod security;
mod staff;
mod users;
mod webhooks;
mod webhooks_crash;
mod webhooks_panel;
