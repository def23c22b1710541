use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, CSM_EMAIL, CSM_PASSWORD, TestApp},
};

both_databases!(
    health_endpoints_answer,
    login_succeeds_and_sets_a_safe_cookie,
    wrong_password_and_unknown_email_are_refused_alike,
    failed_logins_are_throttled_per_email,
    logout_ends_the_session,
    disabled_login_loses_its_session,
    cross_site_posts_are_refused,
    pages_redirect_anonymous_visitors_to_login,
);

async fn health_endpoints_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    for path in ["/healthz", "/readyz"] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
}

async fn login_succeeds_and_sets_a_safe_cookie(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let res = app.login(&client, "  CSM@Example.com ", CSM_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("mailroom_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
    let first_id = cookie.split(';').next().unwrap().to_owned();

    let me = app.ok(&client, "current_user", &[]).await;
    assert_eq!(me["email"], CSM_EMAIL);
    assert_eq!(me["role"], "csm");

    // Signing in again cycles the session id (no session fixation).
    let res = app.login(&client, CSM_EMAIL, CSM_PASSWORD).await;
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("new session cookie")
        .to_str()
        .unwrap();
    assert_ne!(cookie.split(';').next().unwrap(), first_id);
}

async fn wrong_password_and_unknown_email_are_refused_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    let wrong = app.login(&client, CSM_EMAIL, "not-the-password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong_body = wrong.text().await.unwrap();
    let unknown = app
        .login(&client, "nobody@example.com", "not-the-password")
        .await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.text().await.unwrap(), wrong_body);
    assert!(wrong_body.contains("BadCredentials"), "{wrong_body}");
    assert_eq!(
        app.ok(&client, "current_user", &[]).await,
        serde_json::Value::Null
    );

    let empty = app.login(&client, "", "x").await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
}

async fn failed_logins_are_throttled_per_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = app.client();
    for _ in 0..5 {
        assert_eq!(
            app.login(&client, CSM_EMAIL, "wrong-password")
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Even the right password is refused while throttled, with a clear message.
    let res = app.login(&client, CSM_EMAIL, CSM_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many failed sign-in attempts. Try again in 15 minutes."),
        "{body}"
    );
    // Another email from the same IP is not locked out by these five.
    let other = app
        .login(&client, "someone@example.com", "wrong-password")
        .await;
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

async fn logout_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    app.ok(&csm, "logout", &[]).await;
    assert_eq!(
        app.ok(&csm, "current_user", &[]).await,
        serde_json::Value::Null
    );
    assert_eq!(
        app.call(&csm, "list_accounts", &[("search", ""), ("page", "1")])
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn disabled_login_loses_its_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (account_id, _) = app.account(&csm, "Acme").await;
    let client = app.client_of(&csm, account_id, "anna@acme.test").await;
    let me = app.ok(&client, "current_user", &[]).await;
    let id = me["id"].as_i64().unwrap().to_string();
    app.ok(
        &csm,
        "set_login_disabled",
        &[("user_id", &id), ("disabled", "true")],
    )
    .await;
    assert_eq!(
        app.ok(&client, "current_user", &[]).await,
        serde_json::Value::Null
    );
    let again = app
        .login(&app.client(), "anna@acme.test", "client-password-1")
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

async fn cross_site_posts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let res = csm
        .post(format!("{}/api/create_account", app.base))
        .header("origin", "https://evil.example")
        .form(&[("name", "Evil")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = app
        .ok(&csm, "list_accounts", &[("search", ""), ("page", "1")])
        .await;
    assert_eq!(page["total"], 0);
}

async fn pages_redirect_anonymous_visitors_to_login(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .client()
        .get(format!("{}/accounts", app.base))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/login");
    let login = app
        .client()
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert!(login.text().await.unwrap().contains("Sign in"));
}
