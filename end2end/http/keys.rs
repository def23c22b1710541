use mailroom::{db::Db, services::api_keys};
use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    issue_authenticate_and_revoke_a_key,
    several_keys_are_active_at_once
);

async fn stored_key_columns(app: &TestApp) -> Vec<(String, String)> {
    let sql = "SELECT prefix, key_hash FROM api_keys";
    match app.db() {
        Db::Sqlite(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
        Db::Postgres(pool) => sqlx::query_as(sql).fetch_all(pool).await.unwrap(),
    }
}

async fn issue_authenticate_and_revoke_a_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (account_id, client_id) = app.account(&csm, "Acme").await;
    let id = account_id.to_string();
    let issued = app
        .ok(
            &csm,
            "issue_api_key",
            &[("account_id", &id), ("label", "production")],
        )
        .await;
    let key = issued["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("mr_") && key.len() == 43, "{key}");
    assert_eq!(issued["info"]["label"], "production");
    assert_eq!(issued["info"]["prefix"].as_str().unwrap(), &key[..11]);

    // The database holds a hash, never the key.
    let stored = stored_key_columns(&app).await;
    assert_eq!(stored.len(), 1);
    let (prefix, hash) = &stored[0];
    assert_eq!(prefix, &key[..11]);
    assert_ne!(hash, &key);
    assert!(!hash.contains(&key[3..]));
    assert_eq!(hash.len(), 64);

    // The account page shows the key's prefix, not the key.
    let page = app.ok(&csm, "get_account", &[("account_id", &id)]).await;
    assert!(
        !page.to_string().contains(&key),
        "the full key must not be shown again"
    );
    assert_eq!(page["keys"][0]["prefix"], key[..11]);
    let key_id = page["keys"][0]["id"].to_string();

    // Authentication finds the key by its hash, and only with the right client_id.
    let secret = &app.state.secret_key;
    assert_eq!(
        api_keys::authenticate(app.db(), secret, &client_id, &key)
            .await
            .unwrap()
            .map(|owner| owner.account_id),
        Some(account_id)
    );
    assert_eq!(
        api_keys::authenticate(app.db(), secret, "cl_wrong", &key)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        api_keys::authenticate(app.db(), secret, &client_id, "mr_wrong")
            .await
            .unwrap(),
        None
    );

    app.ok(
        &csm,
        "revoke_api_key",
        &[("account_id", &id), ("key_id", &key_id)],
    )
    .await;
    assert_eq!(
        api_keys::authenticate(app.db(), secret, &client_id, &key)
            .await
            .unwrap(),
        None
    );
    let again = app
        .call(
            &csm,
            "revoke_api_key",
            &[("account_id", &id), ("key_id", &key_id)],
        )
        .await;
    assert_eq!(again.status(), StatusCode::NOT_FOUND);

    let page = app.ok(&csm, "get_account", &[("account_id", &id)]).await;
    assert!(page["keys"][0]["revoked_at"].is_i64());
    let audit: Vec<String> = page["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        audit,
        ["api_key.revoked", "api_key.issued", "account.created"]
    );
    assert_eq!(page["audit"][0]["actor_email"], "csm@example.com");
}

async fn several_keys_are_active_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (account_id, client_id) = app.account(&csm, "Acme").await;
    let id = account_id.to_string();
    let old = app
        .ok(&csm, "issue_api_key", &[("account_id", &id), ("label", "")])
        .await;
    let new = app
        .ok(
            &csm,
            "issue_api_key",
            &[("account_id", &id), ("label", "rotated")],
        )
        .await;
    let secret = &app.state.secret_key;
    for key in [&old["key"], &new["key"]] {
        assert!(
            api_keys::authenticate(app.db(), secret, &client_id, key.as_str().unwrap())
                .await
                .unwrap()
                .is_some()
        );
    }
    let too_long = "x".repeat(81);
    let res = app
        .call(
            &csm,
            "issue_api_key",
            &[("account_id", &id), ("label", &too_long)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let missing = app
        .call(
            &csm,
            "issue_api_key",
            &[("account_id", "999999"), ("label", "")],
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}
