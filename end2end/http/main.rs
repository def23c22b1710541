//! HTTP-level tests: each starts the real app on port 0 with a fresh database, once on SQLite and
//! once on PostgreSQL (see `both_databases!`).

mod harness;
#[path = "../operator.rs"]
mod operator;
mod smtp_peer;

mod accounts;
mod api;
mod audit;
mod auth;
mod battery;
mod cli;
mod delivery;
mod delivery_crash;
mod durability;
mod email_types;
mod engagement;
mod keys;
mod openapi;
mod roles;
mod staff;
