//! Every audited change is one transaction with its audit entry: when the entry cannot be written, the
//! change is not stored either.
use mailroom::{
    db::Db,
    domain::Role,
    error::AppError,
    services::{
        Actor, accounts, api_keys, email_types, email_types::EmailTypeInput, engagement,
        panel_users, projects,
    },
};

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(changes_are_not_stored_without_their_audit_entry);

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        Db::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
    }
    .unwrap();
}

fn template(name: &str) -> EmailTypeInput<'_> {
    EmailTypeInput {
        name,
        category: "trigger",
        subject: "Hello",
        html_body: "<p>Hello</p>",
        text_body: "Hello",
    }
}

/// Everything the audited changes below touch, as the panel reads it.
async fn stored(db: &Db, account_id: i64, project_id: i64, type_id: i64, user_id: i64) -> String {
    format!(
        "{:?}",
        (
            db.search_accounts("", 100, 0).await.unwrap(),
            db.api_keys_of_account(account_id).await.unwrap(),
            db.projects_of_account(account_id).await.unwrap(),
            db.email_types_of_project(project_id).await.unwrap(),
            db.email_type(type_id).await.unwrap(),
            db.staff_users().await.unwrap(),
            db.client_users_of_account(account_id).await.unwrap(),
            db.user(None, user_id).await.unwrap(),
        )
    )
}

async fn changes_are_not_stored_without_their_audit_entry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = app.db();
    let secret = &app.state.secret_key;
    let op = Actor::Operator;

    // What the changes work on, made while the audit trail can be written.
    let account = accounts::create(db, &op, "Acme").await.unwrap();
    let project = projects::create(db, &op, account.id, "Shop").await.unwrap();
    let type_id = email_types::create(db, &op, project.id, template("Welcome"))
        .await
        .unwrap();
    let key = api_keys::issue(db, secret, &op, account.id, "live")
        .await
        .unwrap();
    let login = panel_users::add_staff(
        db,
        &op,
        "support@example.com",
        Role::Support,
        "support-password-1",
    )
    .await
    .unwrap();
    execute(
        db,
        &format!(
            "INSERT INTO users (project_id, email, subscribed, suppressed_reason, suppressed_at,
               created_at, updated_at) VALUES ({}, 'gone@example.com', 0, 'bounced', 1, 1, 1)",
            project.id
        ),
    )
    .await;
    let user_id = db
        .user_by_email(None, project.id, "gone@example.com")
        .await
        .unwrap()
        .unwrap()
        .id;
    let audited = db.audit_of_account(account.id, 100).await.unwrap().len();
    assert_eq!(audited, 4, "account, project, email type and key");
    let before = stored(db, account.id, project.id, type_id, user_id).await;

    execute(db, "DROP TABLE audit_events").await;
    let results = [
        (
            "create an account",
            accounts::create(db, &op, "Other").await.map(drop),
        ),
        (
            "suspend an account",
            accounts::set_suspended(db, &op, account.id, true).await,
        ),
        (
            "issue a key",
            api_keys::issue(db, secret, &op, account.id, "second")
                .await
                .map(drop),
        ),
        (
            "revoke a key",
            api_keys::revoke(db, &op, account.id, key.info.id).await,
        ),
        (
            "create a project",
            projects::create(db, &op, account.id, "Blog")
                .await
                .map(drop),
        ),
        (
            "set a sender",
            projects::set_sender(db, &op, project.id, "news@acme.example", "Acme")
                .await
                .map(drop),
        ),
        (
            "create an email type",
            email_types::create(db, &op, project.id, template("Goodbye"))
                .await
                .map(drop),
        ),
        (
            "update an email type",
            email_types::update(db, &op, type_id, template("Renamed"))
                .await
                .map(drop),
        ),
        (
            "add staff",
            panel_users::add_staff(db, &op, "csm2@example.com", Role::Csm, "csm2-password-1")
                .await
                .map(drop),
        ),
        (
            "add a client login",
            panel_users::add_client_user(
                db,
                &op,
                account.id,
                "client@acme.example",
                "client-password-1",
            )
            .await
            .map(drop),
        ),
        (
            "disable a login",
            panel_users::set_disabled(db, &op, login.id, true)
                .await
                .map(drop),
        ),
        (
            "lift a suppression",
            engagement::lift(db, &op, project.id, user_id).await,
        ),
    ];
    for (change, result) in results {
        assert_eq!(result, Err(AppError::Internal), "{change}");
    }
    assert_eq!(
        stored(db, account.id, project.id, type_id, user_id).await,
        before,
        "no change was stored without its audit entry"
    );
}
