use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(the_last_csm_cannot_be_disabled, staff_logins_are_validated);

async fn the_last_csm_cannot_be_disabled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let first_id = app.ok(&csm, "current_user", &[]).await["id"].to_string();
    let res = app
        .call(
            &csm,
            "set_login_disabled",
            &[("user_id", &first_id), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("The last active CSM cannot be disabled.")
    );

    // A disabled support login does not count as a CSM.
    let _support = app.staff(&csm, "help@mailroom.test", "support").await;
    let second = app.staff(&csm, "second@mailroom.test", "csm").await;
    let second_id = app.ok(&second, "current_user", &[]).await["id"].to_string();
    app.ok(
        &second,
        "set_login_disabled",
        &[("user_id", &first_id), ("disabled", "true")],
    )
    .await;
    let res = app
        .call(
            &second,
            "set_login_disabled",
            &[("user_id", &second_id), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);

    let staff = app.ok(&second, "list_staff", &[]).await;
    let active_csms = staff
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "csm" && u["disabled_at"].is_null())
        .count();
    assert_eq!(active_csms, 1);
}

async fn staff_logins_are_validated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let cases = [
        (("not-an-email", "support", "long-enough-pw"), "email"),
        (("a@b.test", "client", "long-enough-pw"), "role"),
        (("a@b.test", "support", "short"), "password"),
        (("csm@example.com", "support", "long-enough-pw"), "email"),
    ];
    for ((email, role, password), field) in cases {
        let res = app
            .call(
                &csm,
                "add_staff",
                &[("email", email), ("role", role), ("password", password)],
            )
            .await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{email} {role}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["Invalid"]["field"], field, "{body}");
    }
}
