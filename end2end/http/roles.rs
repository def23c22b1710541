//! Every server function checks the role on the server, whatever the panel shows.
use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    anonymous_calls_are_unauthenticated,
    client_cannot_use_staff_functions,
    client_sees_only_its_own_account,
    support_reads_but_cannot_write,
);

/// Every CSM-only server function with plausible arguments (ids are filled in per test).
fn csm_only_calls(
    account_id: &str,
    other_id: &str,
) -> Vec<(&'static str, Vec<(&'static str, String)>)> {
    vec![
        ("create_account", vec![("name", "Intruder Ltd".into())]),
        (
            "set_account_suspended",
            vec![
                ("account_id", account_id.into()),
                ("suspended", "true".into()),
            ],
        ),
        (
            "issue_api_key",
            vec![("account_id", account_id.into()), ("label", "x".into())],
        ),
        (
            "revoke_api_key",
            vec![("account_id", account_id.into()), ("key_id", "1".into())],
        ),
        (
            "add_client_user",
            vec![
                ("account_id", account_id.into()),
                ("email", "x@x.test".into()),
                ("password", "long-enough-pw".into()),
            ],
        ),
        (
            "create_project",
            vec![("account_id", account_id.into()), ("name", "P".into())],
        ),
        ("list_staff", vec![]),
        (
            "add_staff",
            vec![
                ("email", "s@x.test".into()),
                ("role", "csm".into()),
                ("password", "long-enough-pw".into()),
            ],
        ),
        (
            "set_login_disabled",
            vec![("user_id", other_id.into()), ("disabled", "true".into())],
        ),
    ]
}

async fn expect_status(
    app: &TestApp,
    client: &reqwest::Client,
    function: &str,
    args: &[(&str, String)],
    want: StatusCode,
) {
    let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = app.call(client, function, &form).await;
    assert_eq!(res.status(), want, "{function} should answer {want}");
}

async fn anonymous_calls_are_unauthenticated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = app.client();
    for (function, args) in csm_only_calls("1", "1") {
        expect_status(&app, &anonymous, function, &args, StatusCode::UNAUTHORIZED).await;
    }
    for (function, args) in [
        (
            "list_accounts",
            vec![("search", String::new()), ("page", "1".into())],
        ),
        ("get_account", vec![("account_id", "1".into())]),
        ("list_projects", vec![("page", "1".into())]),
        ("get_project", vec![("project_id", "1".into())]),
    ] {
        expect_status(&app, &anonymous, function, &args, StatusCode::UNAUTHORIZED).await;
    }
}

async fn client_cannot_use_staff_functions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (own, _) = app.account(&csm, "Own Co").await;
    let client = app.client_of(&csm, own, "client@own.test").await;
    let csm_id = app.ok(&csm, "current_user", &[]).await["id"].to_string();
    for (function, args) in csm_only_calls(&own.to_string(), &csm_id) {
        expect_status(&app, &client, function, &args, StatusCode::FORBIDDEN).await;
    }
    expect_status(
        &app,
        &client,
        "list_accounts",
        &[("search", String::new()), ("page", "1".into())],
        StatusCode::FORBIDDEN,
    )
    .await;
    expect_status(
        &app,
        &client,
        "get_account",
        &[("account_id", own.to_string())],
        StatusCode::FORBIDDEN,
    )
    .await;
    // Nothing changed.
    let page = app
        .ok(&csm, "list_accounts", &[("search", ""), ("page", "1")])
        .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["active_key_count"], 0);
    assert!(
        app.ok(&csm, "current_user", &[]).await.is_object(),
        "the CSM was not disabled"
    );
}

async fn client_sees_only_its_own_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (own, _) = app.account(&csm, "Own Co").await;
    let (other, _) = app.account(&csm, "Other Co").await;
    let own_project = app
        .ok(
            &csm,
            "create_project",
            &[("account_id", &own.to_string()), ("name", "Shop")],
        )
        .await;
    let other_project = app
        .ok(
            &csm,
            "create_project",
            &[("account_id", &other.to_string()), ("name", "Secret")],
        )
        .await;
    let client = app.client_of(&csm, own, "client@own.test").await;

    let list = app.ok(&client, "list_projects", &[("page", "1")]).await;
    let names: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Shop"]);
    let id = own_project["id"].to_string();
    assert_eq!(
        app.ok(&client, "get_project", &[("project_id", &id)]).await["name"],
        "Shop"
    );
    // Another account's project does not exist for this client.
    let id = other_project["id"].to_string();
    expect_status(
        &app,
        &client,
        "get_project",
        &[("project_id", id)],
        StatusCode::NOT_FOUND,
    )
    .await;
    // Staff see both.
    assert_eq!(
        app.ok(&csm, "list_projects", &[("page", "1")]).await["total"],
        2
    );
}

async fn support_reads_but_cannot_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (account_id, _) = app.account(&csm, "Acme").await;
    let support = app.staff(&csm, "help@mailroom.test", "support").await;
    let csm_id = app.ok(&csm, "current_user", &[]).await["id"].to_string();
    for (function, args) in csm_only_calls(&account_id.to_string(), &csm_id) {
        expect_status(&app, &support, function, &args, StatusCode::FORBIDDEN).await;
    }
    let list = app
        .ok(&support, "list_accounts", &[("search", ""), ("page", "1")])
        .await;
    assert_eq!(list["total"], 1);
    let page = app
        .ok(
            &support,
            "get_account",
            &[("account_id", &account_id.to_string())],
        )
        .await;
    assert_eq!(page["account"]["name"], "Acme");
}
