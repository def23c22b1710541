//! Mailroom's operator commands as the HTTP tests and the benches run them against a database, the
//! account they send with, and free ports. Included by both with `#[path]`.
use std::process::Command;

use base64::{Engine, engine::general_purpose::STANDARD};

/// Runs `mailroom ARGS` on the database and returns what it printed (an id, a key).
pub fn operator(database_url: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(args)
        .env("MAILROOM_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// An account with a key, a project and an email type, made with the operator commands.
pub struct OperatorTenant {
    pub client_id: String,
    pub key: String,
    pub project_id: i64,
    pub type_id: i64,
}

/// An email type's subject, HTML and text templates without variables. (Unused by the delivery bench,
/// which includes this file too.)
#[allow(dead_code)]
pub const PLAIN_TEMPLATES: [&str; 3] = ["S", "<p>H</p>", "H"];

impl OperatorTenant {
    /// Migrates the database and makes the tenant; its email type has these subject, HTML and text
    /// templates.
    pub fn create(database_url: &str, [subject, html, text]: [&str; 3]) -> OperatorTenant {
        let run = |args: &[&str]| operator(database_url, args);
        run(&["migrate"]);
        let client_id = run(&["account", "create", "--name", "Tenant"]);
        let key = run(&["key", "issue", "--client-id", &client_id]);
        let project_id: i64 = run(&[
            "project",
            "create",
            "--client-id",
            &client_id,
            "--name",
            "P",
        ])
        .parse()
        .unwrap();
        let type_id: i64 = run(&[
            "email-type",
            "create",
            "--project-id",
            &project_id.to_string(),
            "--name",
            "T",
            "--subject",
            subject,
            "--html",
            html,
            "--text",
            text,
        ])
        .parse()
        .unwrap();
        OperatorTenant {
            client_id,
            key,
            project_id,
            type_id,
        }
    }

    /// The value of the `Authorization` header of the tenant's key.
    pub fn authorization(&self) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.client_id, self.key))
        )
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
