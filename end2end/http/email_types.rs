//! Email types in the panel: CSMs and the project's own clients create them; support only reads.
use reqwest::StatusCode;

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(email_types_are_created_by_csm_and_own_clients);

async fn email_types_are_created_by_csm_and_own_clients(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let (own, _) = app.account(&csm, "Own").await;
    let (other, _) = app.account(&csm, "Other").await;
    let project = app
        .ok(
            &csm,
            "create_project",
            &[("account_id", &own.to_string()), ("name", "Shop")],
        )
        .await["id"]
        .to_string();
    let foreign = app
        .ok(
            &csm,
            "create_project",
            &[("account_id", &other.to_string()), ("name", "X")],
        )
        .await["id"]
        .to_string();
    let client = app.client_of(&csm, own, "c@own.test").await;
    let support = app.staff(&csm, "s@m.test", "support").await;
    let form = |project: &str, name: &str, text: &str| {
        vec![
            ("project_id", project.to_owned()),
            ("name", name.to_owned()),
            ("category", "trigger".to_owned()),
            ("subject", "Hi".to_owned()),
            ("html_body", "<p>Hi</p>".to_owned()),
            ("text_body", text.to_owned()),
        ]
    };
    let call = |client: &reqwest::Client, args: Vec<(&'static str, String)>| {
        let app = &app;
        let client = client.clone();
        async move {
            let form: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&client, "create_email_type", &form).await.status()
        }
    };
    assert_eq!(
        call(&client, form(&project, "Welcome", "Hi")).await,
        StatusCode::OK
    );
    assert_eq!(
        call(&csm, form(&project, "Reset", "Hi")).await,
        StatusCode::OK
    );
    assert_eq!(
        call(&support, form(&project, "Nope", "Hi")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&client, form(&foreign, "Nope", "Hi")).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&client, form(&project, "No text", "  ")).await,
        StatusCode::BAD_REQUEST
    );

    let list = app
        .ok(&support, "list_email_types", &[("project_id", &project)])
        .await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Welcome", "Reset"]);
    let res = app
        .call(&client, "list_email_types", &[("project_id", &foreign)])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
