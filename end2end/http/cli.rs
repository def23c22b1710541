//! The operator commands, run as the real binary against a fresh database.
use std::process::{Command, Output, Stdio};

use crate::{
    both_databases,
    harness::{Backend, TestDatabase},
};

both_databases!(operator_commands_print_only_their_result);

fn mailroom(db: &TestDatabase, args: &[&str], password: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mailroom"));
    cmd.args(args)
        .env("MAILROOM_DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .env_remove("MAILROOM_PASSWORD");
    if let Some(p) = password {
        cmd.env("MAILROOM_PASSWORD", p);
    }
    cmd.stdin(Stdio::null())
        .output()
        .expect("the mailroom binary runs")
}

fn stdout_of(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        text.lines().count(),
        1,
        "exactly one line on stdout: {text:?}"
    );
    text.trim().to_owned()
}

async fn operator_commands_print_only_their_result(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let out = mailroom(&db, &["migrate"], None);
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let client_id = stdout_of(mailroom(
        &db,
        &["account", "create", "--name", "Acme"],
        None,
    ));
    assert!(client_id.starts_with("cl_"), "{client_id}");
    let key = stdout_of(mailroom(
        &db,
        &["key", "issue", "--client-id", &client_id, "--label", "ci"],
        None,
    ));
    assert!(key.starts_with("mr_"), "{key}");
    let project_id = stdout_of(mailroom(
        &db,
        &[
            "project",
            "create",
            "--client-id",
            &client_id,
            "--name",
            "Shop",
        ],
        None,
    ));
    assert!(project_id.parse::<i64>().is_ok(), "{project_id}");
    let staff_id = stdout_of(mailroom(
        &db,
        &["staff", "add", "--role", "support", "--email", "s@m.test"],
        Some("support-pass-1"),
    ));
    assert!(staff_id.parse::<i64>().is_ok());
    let user_id = stdout_of(mailroom(
        &db,
        &[
            "client-user",
            "add",
            "--client-id",
            &client_id,
            "--email",
            "c@acme.test",
        ],
        Some("client-pass-1"),
    ));
    assert!(user_id.parse::<i64>().is_ok());

    // Errors go to stderr with a non-zero exit.
    let unknown = mailroom(&db, &["key", "issue", "--client-id", "cl_nope"], None);
    assert!(!unknown.status.success());
    assert!(unknown.stdout.is_empty());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
    let no_password = mailroom(
        &db,
        &["staff", "add", "--role", "csm", "--email", "x@m.test"],
        None,
    );
    assert!(!no_password.status.success());
    let duplicate = mailroom(
        &db,
        &[
            "client-user",
            "add",
            "--client-id",
            &client_id,
            "--email",
            "c@acme.test",
        ],
        Some("client-pass-1"),
    );
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already used"));
}
