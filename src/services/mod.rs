//! Use-cases shared by the panel's server functions, the operator CLI and the /v1 API.
//! Each one checks who is acting (`Actor`) before it touches anything.

pub mod accounts;
pub mod actor;
pub mod api_keys;
pub mod auth;
pub mod campaigns;
pub mod email_types;
pub mod emails;
pub mod engagement;
pub mod outbox;
pub mod panel_users;
pub mod passwords;
pub mod projects;
pub mod stats;
pub mod users;
pub mod webhooks;

pub use actor::Actor;

/// A database for the services' unit tests (SQLite in memory): two accounts (1 and 2), each with a project
/// of the same id, an email type, a user (`anna@example.com` in project 1, `bob@example.com` in project 2,
/// both last updated at 0) and an email (`msg_1` sent to Anna, with one event after its first status;
/// `msg_2` to Bob).
#[cfg(test)]
pub(crate) async fn test_db() -> crate::db::Db {
    let db = crate::db::Db::connect("sqlite::memory:").await.unwrap();
    db.migrate().await.unwrap();
    let crate::db::Db::Sqlite(pool) = &db else {
        unreachable!()
    };
    sqlx::raw_sql(
        "INSERT INTO accounts (id, client_id, name, created_at) VALUES (1, 'cl_1', 'A', 0), (2, 'cl_2', 'B', 0);
         INSERT INTO projects (id, account_id, name, created_at) VALUES (1, 1, 'P1', 0), (2, 2, 'P2', 0);
         INSERT INTO email_types (id, project_id, name, category, subject, html_body, text_body,
           created_at, updated_at) VALUES (1, 1, 'T1', 'trigger', 'S', 'H', 'H', 0, 0),
           (2, 2, 'T2', 'trigger', 'S', 'H', 'H', 0, 0);
         INSERT INTO users (id, project_id, email, name, age, created_at, updated_at)
           VALUES (1, 1, 'anna@example.com', 'Anna', 30, 0, 0), (2, 2, 'bob@example.com', NULL, NULL, 0, 0);
         INSERT INTO emails (id, message_id, project_id, user_id, type_id, category, data, meta,
           status, first_status, created_at, updated_at) VALUES
           (1, 'msg_1', 1, 1, 1, 'trigger', '{\"a\":1}', '{}', 'sent', 'queued', 10, 30),
           (2, 'msg_2', 2, 2, 2, 'trigger', '{}', '{}', 'queued', 'queued', 20, 20);
         INSERT INTO email_events (email_id, status, detail, at) VALUES (1, 'sent', '250 ok', 30);",
    )
    .execute(pool)
    .await
    .unwrap();
    db
}

/// Actors for the services' unit tests.
#[cfg(test)]
pub(crate) fn panel_actor(role: crate::domain::Role, account_id: Option<i64>) -> Actor {
    Actor::Panel(crate::model::SessionUser {
        id: 1,
        email: "someone@example.com".into(),
        role,
        account_id,
    })
}

/// Trims the rows of a keyset page, read with one extra row (`limit + 1`), to `limit`; true when the
/// extra row was there (there is a next page).
pub(crate) fn trim_to_page<T>(rows: &mut Vec<T>, limit: i64) -> bool {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    more
}
