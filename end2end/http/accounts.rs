use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    accounts_are_created_searched_and_paginated,
    suspend_and_reactivate_are_audited,
    account_names_are_validated
);

async fn accounts_are_created_searched_and_paginated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let mut client_ids = Vec::new();
    for i in 1..=23 {
        client_ids.push(app.account(&csm, &format!("Company {i:02}")).await.1);
    }
    client_ids.sort();
    client_ids.dedup();
    assert_eq!(client_ids.len(), 23, "client_ids are unique");
    assert!(client_ids.iter().all(|c| c.len() >= 19));

    let first = app
        .ok(&csm, "list_accounts", &[("search", ""), ("page", "1")])
        .await;
    assert_eq!(first["total"], 23);
    assert_eq!(first["items"].as_array().unwrap().len(), 20);
    assert_eq!(first["items"][0]["name"], "Company 23", "newest first");
    let second = app
        .ok(&csm, "list_accounts", &[("search", ""), ("page", "2")])
        .await;
    assert_eq!(second["items"].as_array().unwrap().len(), 3);

    let found = app
        .ok(
            &csm,
            "list_accounts",
            &[("search", "company 1"), ("page", "1")],
        )
        .await;
    assert_eq!(found["total"], 10);
    let by_client_id = app
        .ok(
            &csm,
            "list_accounts",
            &[("search", &client_ids[0]), ("page", "1")],
        )
        .await;
    assert_eq!(by_client_id["total"], 1);
    let wildcard = app
        .ok(&csm, "list_accounts", &[("search", "%"), ("page", "1")])
        .await;
    assert_eq!(wildcard["total"], 0, "LIKE wildcards are matched literally");
}

async fn suspend_and_reactivate_are_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (account_id, _) = app.account(&csm, "Acme").await;
    let id = account_id.to_string();
    app.ok(
        &csm,
        "set_account_suspended",
        &[("account_id", &id), ("suspended", "true")],
    )
    .await;
    let page = app.ok(&csm, "get_account", &[("account_id", &id)]).await;
    assert!(page["account"]["suspended_at"].is_i64());
    app.ok(
        &csm,
        "set_account_suspended",
        &[("account_id", &id), ("suspended", "false")],
    )
    .await;
    app.ok(
        &csm,
        "create_project",
        &[("account_id", &id), ("name", "Shop")],
    )
    .await;
    app.ok(
        &csm,
        "add_client_user",
        &[
            ("account_id", &id),
            ("email", "a@acme.test"),
            ("password", "client-password-1"),
        ],
    )
    .await;
    let page = app.ok(&csm, "get_account", &[("account_id", &id)]).await;
    assert!(page["account"]["suspended_at"].is_null());
    let actions: Vec<&str> = page["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "login.added",
            "project.created",
            "account.reactivated",
            "account.suspended",
            "account.created"
        ]
    );
    assert_eq!(page["projects"][0]["name"], "Shop");
    assert_eq!(page["logins"][0]["email"], "a@acme.test");

    let missing = app
        .call(
            &csm,
            "set_account_suspended",
            &[("account_id", "424242"), ("suspended", "true")],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn account_names_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    for name in ["", "   ", &"x".repeat(121)] {
        let res = app.call(&csm, "create_account", &[("name", name)]).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], "name");
    }
}
