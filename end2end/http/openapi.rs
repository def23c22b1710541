//! The OpenAPI document's examples are what the real API does (so docs and API cannot drift).
use mailroom::{
    api::openapi::MESSAGE_ID_PATTERN,
    services::{Actor, accounts},
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{
    api::{Tenant, read, tenant},
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    documented_examples_match_real_answers,
    documented_error_examples_match_real_answers,
);

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

fn example<'a>(doc: &'a Value, path: &str, method: &str, status: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    let example = if status == "request" {
        &op["requestBody"]["content"]["application/json"]["example"]
    } else {
        let content = &op["responses"][status]["content"];
        let media = if status == "200" {
            "application/json"
        } else {
            "application/problem+json"
        };
        &content[media]["example"]
    };
    assert!(!example.is_null(), "{method} {path} has a {status} example");
    example
}

async fn documented_examples_match_real_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t: Tenant = tenant(&app, "Acme").await;
    let doc: Value = Client::new()
        .get(format!("{}/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["basic"]["scheme"],
        "basic"
    );

    // Check email: deterministic, so the answer is the documented one exactly.
    let (status, answer) = t
        .post(
            &app,
            "/v1/email/check",
            example(&doc, "/v1/email/check", "post", "request"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&answer, example(&doc, "/v1/email/check", "post", "200"));

    // Send: the documented request (with this tenant's ids) gives an answer of the documented shape.
    let mut request = example(&doc, "/v1/emails", "post", "request").clone();
    request["project_id"] = json!(t.project_id);
    request["type_id"] = json!(t.type_id);
    let (status, sent) = t.post(&app, "/v1/emails", &request).await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let documented = example(&doc, "/v1/emails", "post", "200");
    assert_eq!(keys(&sent["data"]), keys(&documented["data"]));
    assert_eq!(sent["data"]["email"], documented["data"]["email"]);

    // The documented 400 is what an invalid address and platform give.
    let mut invalid = request.clone();
    invalid["user"]["email"] = json!("not an email");
    invalid["user"]["platform_id"] = json!(2);
    let (status, problem) = t.post(&app, "/v1/emails", &invalid).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(&problem, example(&doc, "/v1/emails", "post", "400"));

    // Users: the documented update gives the documented user shape, by id and by email.
    let user_id = sent["data"]["user_id"].as_i64().unwrap();
    let update = example(&doc, "/v1/users/{user_id}", "put", "request");
    let (status, user) = t.put(&app, &format!("/v1/users/{user_id}"), update).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(
        keys(&user["data"]),
        keys(&example(&doc, "/v1/users/{user_id}", "put", "200")["data"])
    );
    assert_eq!(user["data"]["country_id"], "DE");
    let by_email = format!("/v1/projects/{}/users/anna%40example.com", t.project_id);
    let (status, user) = t.get(&app, &by_email).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&user["data"]),
        keys(
            &example(
                &doc,
                "/v1/projects/{project_id}/users/{email}",
                "get",
                "200"
            )["data"]
        )
    );

    // Email read, with events of the documented shape.
    let message_id = sent["data"]["message_id"].as_str().unwrap();
    let (_, email) = t.get(&app, &format!("/v1/emails/{message_id}")).await;
    let documented = example(&doc, "/v1/emails/{message_id}", "get", "200");
    assert_eq!(keys(&email["data"]), keys(&documented["data"]));
    assert_eq!(
        keys(&email["data"]["events"][0]),
        keys(&documented["data"]["events"][0])
    );

    // 401 and 404 answers are the documented ones exactly.
    let (status, problem) =
        read(Client::new().get(format!("{}/v1/users/{user_id}", app.base))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(&problem, example(&doc, "/v1/users/{user_id}", "get", "401"));
    let (status, problem) = t.get(&app, "/v1/users/987654321").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(&problem, example(&doc, "/v1/users/{user_id}", "get", "404"));
}

async fn openapi(app: &TestApp) -> Value {
    Client::new()
        .get(format!("{}/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The constraints the server enforces are in the schemas, so that a request the document calls valid
/// is taken (an empty message id passed the schema and was refused), and the 403, 409 and 413 examples
/// are the real answers.
async fn documented_error_examples_match_real_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t: Tenant = tenant(&app, "Acme").await;
    let doc = openapi(&app).await;

    let schemas = &doc["components"]["schemas"];
    let read_param = &doc["paths"]["/v1/emails/{message_id}"]["get"]["parameters"][0];
    assert_eq!(read_param["name"], "message_id");
    for message_id in [
        &schemas["BounceDoc"]["properties"]["message_id"],
        &schemas["ComplaintDoc"]["properties"]["message_id"],
        &read_param["schema"],
    ] {
        assert_eq!(message_id["pattern"], MESSAGE_ID_PATTERN, "{message_id}");
        assert_eq!(message_id["minLength"], 5, "{message_id}");
        assert_eq!(message_id["maxLength"], 64, "{message_id}");
    }
    let params = &schemas["UserParamsDoc"]["properties"];
    assert_eq!(params["gender"]["enum"], json!(["m", "f", "u", null]));
    assert_eq!(params["platform_id"]["enum"], json!([0, 1, 3, 4, 5, null]));
    assert_eq!(params["name"]["maxLength"], 255);
    assert_eq!(
        (
            params["age"]["minimum"].clone(),
            params["age"]["maximum"].clone()
        ),
        (json!(0), json!(150))
    );
    assert_eq!(params["list_id"]["minimum"], 0);
    for code in ["DE", "de", "US"] {
        assert!(
            params["country_id"]["enum"]
                .as_array()
                .unwrap()
                .contains(&json!(code))
        );
    }
    assert!(
        !params["country_id"]["enum"]
            .as_array()
            .unwrap()
            .contains(&json!("ZZ"))
    );
    let send = &schemas["SendEmailDoc"]["properties"];
    assert_eq!(send["category"]["enum"], json!(["system", "trigger"]));
    assert_eq!(send["project_id"]["minimum"], 1);
    assert_eq!(
        schemas["BounceDoc"]["properties"]["type"]["enum"],
        json!(["hard", "soft", null])
    );

    // A sent message id has the documented form (letters and digits after `msg_`, at most 64).
    let (status, sent) = t
        .post(&app, "/v1/emails", &t.send_body("anna@example.com"))
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let message_id = sent["data"]["message_id"].as_str().unwrap();
    let random = message_id.strip_prefix("msg_").unwrap();
    assert!(!random.is_empty() && random.len() <= 60, "{message_id}");
    assert!(
        random.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{message_id}"
    );
    // The shortest id the pattern allows is taken (and names nothing), not refused.
    let (status, _) = t
        .post(
            &app,
            "/v1/events/complaint",
            &json!({"message_id": "msg_0"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 409: the same Idempotency-Key with another body.
    let key = ("idempotency-key", "order-17");
    let post = |body: Value| {
        t.auth(Client::new().post(format!("{}/v1/emails", app.base)))
            .header(key.0, key.1)
            .json(&body)
    };
    let (status, _) = read(post(t.send_body("anna@example.com"))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = read(post(t.send_body("bert@example.com"))).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(&problem, example(&doc, "/v1/emails", "post", "409"));

    // 413: a body over 256 KiB.
    let big = json!({"email": "x".repeat(300 * 1024)});
    let (status, problem) = t.post(&app, "/v1/email/check", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(&problem, example(&doc, "/v1/email/check", "post", "413"));
    assert_eq!(&problem, example(&doc, "/v1/users/{user_id}", "put", "413"));

    // 403: a suspended account (another one: this one's credentials are cached as active).
    let suspended = tenant(&app, "Suspended").await;
    accounts::set_suspended(app.db(), &Actor::Operator, suspended.account_id, true)
        .await
        .unwrap();
    let (status, problem) = suspended
        .post(&app, "/v1/emails", &suspended.send_body("anna@example.com"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(&problem, example(&doc, "/v1/emails", "post", "403"));
    assert_eq!(&problem, example(&doc, "/v1/users/{user_id}", "get", "403"));
}
