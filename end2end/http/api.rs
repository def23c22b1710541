//! The /v1 API over HTTP: credentials, send, users, check, errors as problem+json.
use base64::{Engine, engine::general_purpose::STANDARD};
use mailroom::services::{Actor, accounts, api_keys, email_types, projects};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::{
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    credentials_are_required_and_checked,
    suspended_accounts_are_refused,
    send_creates_the_user_then_updates_it,
    a_send_stores_every_parameter,
    send_reports_every_bad_field,
    bad_bodies_get_problem_answers,
    users_are_updated_by_id_and_by_email,
    another_accounts_data_is_not_found,
    check_email_normalizes,
    idempotency_key_replays_the_first_answer,
    concurrent_sends_share_users_and_keys,
);

/// An account with a key, a project and an email type, created as the operator would.
pub struct Tenant {
    pub client_id: String,
    pub key: String,
    pub account_id: i64,
    pub project_id: i64,
    pub type_id: i64,
}

pub async fn tenant(app: &TestApp, name: &str) -> Tenant {
    let (db, op) = (app.db(), Actor::Operator);
    let account = accounts::create(db, &op, name).await.unwrap();
    let key = api_keys::issue(db, &app.state.secret_key, &op, account.id, "test")
        .await
        .unwrap()
        .key;
    let project_id = projects::create(db, &op, account.id, "Shop")
        .await
        .unwrap()
        .id;
    let input = email_types::EmailTypeInput {
        name: "Welcome",
        category: "trigger",
        subject: "Hello {{ name }}",
        html_body: "<p>Hello</p>",
        text_body: "Hello",
    };
    let type_id = email_types::create(db, &op, project_id, input)
        .await
        .unwrap();
    Tenant {
        client_id: account.client_id,
        key,
        account_id: account.id,
        project_id,
        type_id,
    }
}

impl Tenant {
    pub fn auth(&self, request: RequestBuilder) -> RequestBuilder {
        let token = STANDARD.encode(format!("{}:{}", self.client_id, self.key));
        request.header("authorization", format!("Basic {token}"))
    }

    pub async fn post(&self, app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
        read(
            self.auth(Client::new().post(format!("{}{path}", app.base)))
                .json(body),
        )
        .await
    }

    pub async fn put(&self, app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
        read(
            self.auth(Client::new().put(format!("{}{path}", app.base)))
                .json(body),
        )
        .await
    }

    pub async fn get(&self, app: &TestApp, path: &str) -> (StatusCode, Value) {
        read(self.auth(Client::new().get(format!("{}{path}", app.base)))).await
    }

    pub fn send_body(&self, email: &str) -> Value {
        json!({"project_id": self.project_id, "type_id": self.type_id, "category": "trigger",
               "user": {"email": email, "name": "Anna", "platform_id": 5, "language_id": "en"},
               "data": {"code": "123456"}, "meta": {"order": "A-17"}})
    }
}

pub async fn read(request: RequestBuilder) -> (StatusCode, Value) {
    let res = request.send().await.unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        assert_eq!(content_type, "application/problem+json", "{status} {body}");
        assert_eq!(body["status"], status.as_u16(), "{body}");
    }
    (status, body)
}

async fn credentials_are_required_and_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let url = format!("{}/v1/email/check", app.base);
    let body = json!({"email": "a@example.com"});
    let res = Client::new().post(&url).json(&body).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        res.headers()["www-authenticate"],
        "Basic realm=\"mailroom\""
    );
    for header in [
        "Basic !!!",
        "Bearer x",
        &format!(
            "Basic {}",
            STANDARD.encode(format!("{}:mr_wrong", t.client_id))
        ),
    ] {
        let res = Client::new()
            .post(&url)
            .header("authorization", header)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header}");
    }
    assert_eq!(
        t.post(&app, "/v1/email/check", &body).await.0,
        StatusCode::OK
    );

    // A key revoked before its first use is refused at once.
    let op = Actor::Operator;
    let second = api_keys::issue(app.db(), &app.state.secret_key, &op, t.account_id, "")
        .await
        .unwrap();
    api_keys::revoke(app.db(), &op, t.account_id, second.info.id)
        .await
        .unwrap();
    let revoked = Tenant {
        key: second.key,
        ..t
    };
    assert_eq!(
        revoked.post(&app, "/v1/email/check", &body).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn suspended_accounts_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    accounts::set_suspended(app.db(), &Actor::Operator, t.account_id, true)
        .await
        .unwrap();
    let (status, body) = t
        .post(&app, "/v1/emails", &t.send_body("anna@example.com"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["title"], "Account suspended");
}

async fn send_creates_the_user_then_updates_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (status, first) = t
        .post(&app, "/v1/emails", &t.send_body(" Anna@Example.com "))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let data = &first["data"];
    assert_eq!(data["email"], "anna@example.com");
    assert_eq!(data["user_created"], true);
    assert_eq!(data["status"], "queued");
    assert!(data["message_id"].as_str().unwrap().starts_with("msg_"));

    let mut again = t.send_body("Anna@EXAMPLE.com");
    again["user"]["name"] = json!("Anna Smith");
    again["user"]["country_id"] = json!("de");
    let (_, second) = t.post(&app, "/v1/emails", &again).await;
    assert_eq!(second["data"]["user_created"], false);
    assert_eq!(second["data"]["user_id"], data["user_id"]);

    let (status, user) = t.get(&app, &format!("/v1/users/{}", data["user_id"])).await;
    assert_eq!(status, StatusCode::OK);
    let user = &user["data"];
    assert_eq!(user["name"], "Anna Smith");
    assert_eq!(user["country_id"], "DE");
    assert_eq!(user["platform_id"], 5);
    assert_eq!(user["subscribed"], true);
    assert_eq!(user["project_id"], t.project_id);

    let (status, email) = t
        .get(
            &app,
            &format!("/v1/emails/{}", data["message_id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(email["data"]["status"], "queued");
    assert_eq!(email["data"]["meta"]["order"], "A-17");
    assert_eq!(email["data"]["events"][0]["status"], "queued");
    assert_eq!(app.db().all_message_ids().await.unwrap().len(), 2);
}

/// All ten parameters of a send reach the user, when the send creates it and when a later send changes
/// them (the statements that list the parameters are built from their one definition).
async fn a_send_stores_every_parameter(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let first = json!({"name": " Anna ", "gender": "f", "platform_id": 5, "country_id": "de",
        "list_id": 0, "client_user_id": "u-1", "ak": "key-1", "age": 31,
        "photo": "https://cdn.example.com/a.png", "language_id": "EN"});
    let second = json!({"name": "Anna Smith", "gender": "u", "platform_id": 1, "country_id": "FR",
        "list_id": 9, "client_user_id": "u-2", "ak": "key-2", "age": 32,
        "photo": "http://cdn.example.com/b.png", "language_id": "fr"});
    let mut stored = first.clone();
    stored["name"] = json!("Anna");
    stored["country_id"] = json!("DE");
    stored["language_id"] = json!("en");
    for (params, stored) in [(first, stored), (second.clone(), second)] {
        let mut body = t.send_body("anna@example.com");
        body["user"] = params;
        body["user"]["email"] = json!("anna@example.com");
        let (status, sent) = t.post(&app, "/v1/emails", &body).await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        let user_id = &sent["data"]["user_id"];
        let (status, user) = t.get(&app, &format!("/v1/users/{user_id}")).await;
        assert_eq!(status, StatusCode::OK);
        for (name, value) in stored.as_object().unwrap() {
            assert_eq!(&user["data"][name], value, "{name}");
        }
        // The ten, the user's id, project, email and subscription, and its two times.
        assert_eq!(user["data"].as_object().unwrap().len(), 16, "{user}");
    }
}

async fn send_reports_every_bad_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let body = json!({"project_id": t.project_id, "type_id": "three", "category": "promo",
        "user": {"email": "not an email", "age": 200, "platform_id": 2, "gender": "x"}, "meta": [1]});
    let (status, problem) = t.post(&app, "/v1/emails", &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["title"], "Validation error");
    let fields: Vec<&str> = problem["errors"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "category",
            "meta",
            "type_id",
            "user.age",
            "user.email",
            "user.gender",
            "user.platform_id"
        ]
    );

    let mut unknown_type = t.send_body("a@example.com");
    unknown_type["type_id"] = json!(999_999);
    let (status, problem) = t.post(&app, "/v1/emails", &unknown_type).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        problem["errors"]["type_id"],
        "is not an email type of this project"
    );

    let (status, problem) = t.post(&app, "/v1/emails", &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"].as_object().unwrap().len(), 4, "{problem}");
    assert!(
        app.db().all_message_ids().await.unwrap().is_empty(),
        "nothing stored on bad input"
    );
}

async fn bad_bodies_get_problem_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let url = format!("{}/v1/emails", app.base);
    for body in [
        "{",
        "[]",
        "\"text\"",
        "null",
        "{\"project_id\": 1e400}",
        "\u{0}",
    ] {
        let (status, problem) = read(
            t.auth(Client::new().post(&url))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body:?}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        let expected = if ["[]", "\"text\"", "null"].contains(&body) {
            "The body must be a JSON object."
        } else {
            "The body is not valid JSON"
        };
        assert!(detail.starts_with(expected), "{body:?}: {detail}");
    }
    let huge = format!("{{\"data\": \"{}\"}}", "x".repeat(300 * 1024));
    let (status, _) = read(
        t.auth(Client::new().post(&url))
            .header("content-type", "application/json")
            .body(huge),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, _) = t.get(&app, "/v1/nothing-here").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for path in [
        "/v1/users/abc",
        "/v1/users/-1",
        "/v1/users/99999999999999999999999",
        "/v1/emails/msg_none",
    ] {
        assert_eq!(t.get(&app, path).await.0, StatusCode::NOT_FOUND, "{path}");
    }
}

async fn users_are_updated_by_id_and_by_email(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (_, sent) = t
        .post(&app, "/v1/emails", &t.send_body("anna+news@example.com"))
        .await;
    let user_id = sent["data"]["user_id"].as_i64().unwrap();

    let (status, user) = t
        .put(
            &app,
            &format!("/v1/users/{user_id}"),
            &json!({"age": 31, "gender": "f"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["data"]["age"], 31);
    assert_eq!(user["data"]["name"], "Anna", "untouched fields stay");

    let path = format!(
        "/v1/projects/{}/users/{}",
        t.project_id, "anna%2Bnews%40example.com"
    );
    let (status, user) = t
        .put(
            &app,
            &path,
            &json!({"list_id": 7, "photo": "https://cdn.example.com/a.png"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["data"]["list_id"], 7);
    assert_eq!(user["data"]["user_id"], user_id);
    let (status, fetched) = t.get(&app, &path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(fetched["data"]["photo"], "https://cdn.example.com/a.png");

    let (status, problem) = t
        .put(
            &app,
            &format!("/v1/users/{user_id}"),
            &json!({"email": "x@y.com", "age": -1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"].as_object().unwrap().len(), 2);
    let (status, _) = t.put(&app, "/v1/users/424242", &json!({"age": 3})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "users are not created by PUT"
    );
    let path = format!("/v1/projects/{}/users/nobody%40example.com", t.project_id);
    assert_eq!(
        t.put(&app, &path, &json!({"age": 3})).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn another_accounts_data_is_not_found(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let a = tenant(&app, "Acme").await;
    let b = tenant(&app, "Other").await;
    let (_, sent) = a
        .post(&app, "/v1/emails", &a.send_body("anna@example.com"))
        .await;
    let user_id = sent["data"]["user_id"].as_i64().unwrap();
    let message_id = sent["data"]["message_id"].as_str().unwrap();
    assert_eq!(
        b.get(&app, &format!("/v1/users/{user_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.put(&app, &format!("/v1/users/{user_id}"), &json!({"age": 1}))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&app, &format!("/v1/emails/{message_id}")).await.0,
        StatusCode::NOT_FOUND
    );
    let path = format!("/v1/projects/{}/users/anna%40example.com", a.project_id);
    assert_eq!(b.get(&app, &path).await.0, StatusCode::NOT_FOUND);
    // Paths the API does not have are problem+json 404s too (`read` checks the content type).
    for path in ["/v1", "/v1/", "/v1/nope", "/v1/users/1/nope"] {
        let (status, problem) = a.get(&app, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(problem["status"], 404, "{path}");
    }
    // Sending into another account's project is a validation error of project_id.
    let mut foreign = b.send_body("x@example.com");
    foreign["project_id"] = json!(a.project_id);
    let (status, problem) = b.post(&app, "/v1/emails", &foreign).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        problem["errors"]["project_id"],
        "is not a project of this account"
    );
}

async fn check_email_normalizes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let (status, body) = t
        .post(
            &app,
            "/v1/email/check",
            &json!({"email": " anna@gmial,com "}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["data"],
        json!({"input": " anna@gmial,com ", "email": "anna@gmail.com", "valid": true, "changed": true,
               "reason": null, "suggestion": null, "disposable": false})
    );
    let (_, body) = t
        .post(&app, "/v1/email/check", &json!({"email": "anna"}))
        .await;
    assert_eq!(body["data"]["valid"], false);
    assert_eq!(body["data"]["reason"], "syntax");
    let (status, problem) = t.post(&app, "/v1/email/check", &json!({"email": 5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["errors"]["email"], "must be a string");
    // null is read as not given, as in every other body of the API.
    for body in [json!({"email": null}), json!({})] {
        let (status, problem) = t.post(&app, "/v1/email/check", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(problem["errors"]["email"], "is required", "{body}");
    }
}

async fn idempotency_key_replays_the_first_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let url = format!("{}/v1/emails", app.base);
    let body = t.send_body("anna@example.com");
    let send = |key: &str, body: &Value| {
        read(
            t.auth(Client::new().post(&url))
                .header("idempotency-key", key)
                .json(body),
        )
    };
    let (status, first) = send("order-17", &body).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, repeat) = send("order-17", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(repeat, first, "the repeat answers as the first time");
    assert_eq!(
        app.db().all_message_ids().await.unwrap().len(),
        1,
        "and stores nothing new"
    );

    let mut changed = body.clone();
    changed["data"]["code"] = json!("999999");
    let (status, problem) = send("order-17", &changed).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, _) = send(&"k".repeat(256), &body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, other) = send("order-18", &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(other["data"]["message_id"], first["data"]["message_id"]);
    assert_eq!(other["data"]["user_created"], false);
}

/// Many sends at once end up in shared batches of the send writer: each new user is created by exactly one
/// send, repeats of one Idempotency-Key store one email, and every answered email is stored.
async fn concurrent_sends_share_users_and_keys(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = std::sync::Arc::new(tenant(&app, "Acme").await);
    let url = format!("{}/v1/emails", app.base);
    let client = Client::new();
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..80 {
        let (t, url, client) = (t.clone(), url.clone(), client.clone());
        sends.spawn(async move {
            let request = if i < 60 {
                let mut body = t.send_body(&format!("user{}@example.com", i % 8));
                body["user"]["name"] = json!(format!("Name {i}"));
                t.auth(client.post(&url)).json(&body)
            } else {
                // 20 repeats of one request, racing each other.
                t.auth(client.post(&url))
                    .header("idempotency-key", "same")
                    .json(&t.send_body("repeat@example.com"))
            };
            (i, read(request).await)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = sends.join_next().await {
        let (i, (status, body)) = joined.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        answers.push((i, body["data"].clone()));
    }
    for user in 0..8 {
        let email = format!("user{user}@example.com");
        let of_user: Vec<&Value> = answers
            .iter()
            .filter(|(i, _)| *i < 60 && i % 8 == user)
            .map(|(_, d)| d)
            .collect();
        let created = of_user.iter().filter(|d| d["user_created"] == true).count();
        assert_eq!(created, 1, "{email}: created by exactly one send");
        assert!(
            of_user
                .iter()
                .all(|d| d["user_id"] == of_user[0]["user_id"])
        );
    }
    let repeats: Vec<&Value> = answers
        .iter()
        .filter(|(i, _)| *i >= 60)
        .map(|(_, d)| d)
        .collect();
    assert!(
        repeats.iter().all(|d| *d == repeats[0]),
        "the repeats answer as the first"
    );
    assert_eq!(repeats[0]["user_created"], true);
    let stored = app.db().all_message_ids().await.unwrap();
    assert_eq!(stored.len(), 61);
    for (_, data) in &answers {
        assert!(stored.contains(&data["message_id"].as_str().unwrap().to_owned()));
    }
}
