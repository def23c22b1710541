//! No input produces a 5xx: a generated battery of bad bodies, headers and paths against every endpoint.
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    api::{Tenant, tenant},
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(no_input_produces_a_server_error);

/// Values of every JSON type and many edge cases, to put in any field.
fn odd_values() -> Vec<Value> {
    vec![
        Value::Null,
        json!(true),
        json!(0),
        json!(-1),
        json!(i64::MIN),
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1.5),
        json!(1e300),
        json!(""),
        json!(" "),
        json!("\u{0}\u{1}\u{7f}"),
        json!("x".repeat(10_000)),
        json!("名前😀"),
        json!("a@b"),
        json!("@@@"),
        json!("'; DROP TABLE users; --"),
        json!([]),
        json!([1, "two", null]),
        json!({}),
        json!({"nested": {"deeper": [1, 2, 3]}}),
    ]
}

fn bodies(t: &Tenant) -> Vec<String> {
    let mut bodies = vec![
        String::new(),
        "{".into(),
        "}".into(),
        "null".into(),
        "[]".into(),
        "\"string\"".into(),
        "{\"a\":".into(),
        "{\"email\": \"x\", \"email\": 5}".into(),
        "\u{feff}{}".into(),
        format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
        "{\"project_id\": 1e999}".into(),
        String::from_utf8_lossy(&[0xff, 0xfe, 0x00]).into_owned(),
    ];
    let base = json!({"project_id": t.project_id, "type_id": t.type_id, "category": "trigger",
        "user": {"email": "anna@example.com"}, "email": "anna@example.com"});
    let fields = [
        "project_id",
        "type_id",
        "category",
        "user",
        "data",
        "meta",
        "email",
        "name",
        "age",
        "gender",
        "platform_id",
        "country_id",
        "list_id",
        "photo",
        "language_id",
        "ak",
        "client_user_id",
    ];
    for field in fields {
        for value in odd_values() {
            let mut body = base.clone();
            body[field] = value.clone();
            bodies.push(body.to_string());
            let mut nested = base.clone();
            nested["user"][field] = value;
            bodies.push(nested.to_string());
        }
    }
    bodies
}

async fn no_input_produces_a_server_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let http = Client::new();
    let endpoints = [
        (Method::POST, "/v1/emails".to_owned()),
        (Method::POST, "/v1/email/check".to_owned()),
        (Method::PUT, "/v1/users/1".to_owned()),
        (
            Method::PUT,
            format!("/v1/projects/{}/users/anna%40example.com", t.project_id),
        ),
    ];
    // Make the user exist so that updates reach validation.
    t.post(
        &app,
        "/v1/emails",
        &json!({"project_id": t.project_id, "type_id": t.type_id, "category": "trigger",
        "user": {"email": "anna@example.com"}}),
    )
    .await;
    let mut count = 0;
    for body in bodies(&t) {
        for (method, path) in &endpoints {
            let request = t
                .auth(http.request(method.clone(), format!("{}{path}", app.base)))
                .header("content-type", "application/json")
                .body(body.clone());
            let res = request.send().await.unwrap();
            let status = res.status();
            assert!(
                !status.is_server_error(),
                "{method} {path} answered {status} to {body:.200}"
            );
            if !status.is_success() {
                assert_eq!(
                    res.headers()["content-type"],
                    "application/problem+json",
                    "{method} {path} {status}"
                );
            }
            count += 1;
        }
    }
    // Odd paths, methods and headers.
    let paths = [
        "/v1/users/0",
        "/v1/users/%00",
        "/v1/users/9223372036854775808",
        "/v1/emails/%FF%FE",
        "/v1/projects/-5/users/x",
        "/v1/projects/1/users/%40%40",
        "/v1/projects/abc/users/a%40b.c",
        &format!("/v1/emails/{}", "m".repeat(5000)),
    ];
    for path in paths {
        for method in [
            Method::GET,
            Method::PUT,
            Method::POST,
            Method::DELETE,
            Method::PATCH,
        ] {
            let res = t
                .auth(http.request(method.clone(), format!("{}{path}", app.base)))
                .body("{}")
                .send()
                .await
                .unwrap();
            assert!(
                !res.status().is_server_error(),
                "{method} {path} answered {}",
                res.status()
            );
            count += 1;
        }
    }
    for auth in [
        "Basic",
        "Basic =",
        "Basic Og==",
        "Digest x",
        &format!("Basic {}", "A".repeat(20_000)),
    ] {
        let res = http
            .post(format!("{}/v1/email/check", app.base))
            .header("authorization", auth)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:.40}");
        count += 1;
    }
    assert!(count > 1500, "{count} requests sent");
}
