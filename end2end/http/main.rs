//! HTTP-level tests: each starts the real app on port 0 with a fresh database, once on SQLite and
//! once on PostgreSQL (see `both_databases!`).

mod harness;

mod accounts;
mod api;
mod auth;
mod battery;
mod cli;
mod durability;
mod email_types;
mod keys;
mod openapi;
mod roles;
mod staff;
