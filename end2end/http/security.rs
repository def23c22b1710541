//! Browser-facing defences over HTTP: same-origin writes, the security headers of pages, and the API's
//! answers to a wrong method or a path that does not decode (problem+json like every other error).
use mailroom::{config::Config, server};
use reqwest::{Client, StatusCode, header};

use crate::{
    api::{read, tenant},
    both_databases,
    harness::{Backend, TestApp, TestDatabase, test_config},
};

both_databases!(
    writes_are_taken_only_from_the_same_origin,
    wrong_methods_and_undecodable_paths_get_problems,
    pages_carry_the_security_headers,
    https_sites_get_hsts,
);

async fn writes_are_taken_only_from_the_same_origin(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let csm = app.csm().await;
    let create = |site: &'static str, name: &'static str| {
        csm.post(format!("{}/api/create_account", app.base))
            .header(header::ACCEPT, "application/json")
            .header("sec-fetch-site", site)
            .form(&[("name", name)])
            .send()
    };
    // Another host of the same site (say a client's subdomain) is not the panel.
    let res = create("same-site", "Sibling").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = create("cross-site", "Evil").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    // `none` (typed by the user) without an Origin of this host is refused too.
    let res = create("none", "Typed").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = app
        .ok(&csm, "list_accounts", &[("search", ""), ("page", "1")])
        .await;
    assert_eq!(page["total"], 0);

    let res = create("same-origin", "Acme").await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let host = app.base.trim_start_matches("http://");
    let res = csm
        .post(format!("{}/api/create_account", app.base))
        .header(header::ACCEPT, "application/json")
        .header("sec-fetch-site", "none")
        .header(header::ORIGIN, format!("http://{host}"))
        .form(&[("name", "Globex")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let page = app
        .ok(&csm, "list_accounts", &[("search", ""), ("page", "1")])
        .await;
    assert_eq!(page["total"], 2);
}

async fn wrong_methods_and_undecodable_paths_get_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    // `read` checks that an error is application/problem+json with its status in the body.
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/v1/emails", "POST"),
        (reqwest::Method::GET, "/v1/email/check", "POST"),
        (reqwest::Method::PATCH, "/v1/users/1", "GET,HEAD,PUT"),
        (reqwest::Method::POST, "/v1/emails/msg_0", "GET,HEAD"),
    ] {
        let request = t.auth(Client::new().request(method.clone(), format!("{}{path}", app.base)));
        let res = request.try_clone().unwrap().send().await.unwrap();
        assert_eq!(res.headers()[header::ALLOW], allow, "{method} {path}");
        let (status, problem) = read(request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_eq!(
            problem["type"],
            "https://mailroom.dev/problems/method-not-allowed"
        );
    }
    // Percent-encoded bytes that are not UTF-8: a malformed request, not a text/plain rejection.
    for path in [
        "/v1/emails/%FF".to_owned(),
        "/v1/users/%C3%28".to_owned(),
        format!("/v1/projects/{}/users/anna%FF%40example.com", t.project_id),
    ] {
        let (status, problem) = t.get(&app, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {problem}");
        assert_eq!(problem["type"], "https://mailroom.dev/problems/malformed");
    }
    let (status, _) = read(
        t.auth(Client::new().put(format!("{}/v1/users/%FF", app.base)))
            .json(&serde_json::json!({"name": "Anna"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn pages_carry_the_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let res = app
        .client()
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let headers = res.headers().clone();
    let body = res.text().await.unwrap();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(headers.get("strict-transport-security").is_none());
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    // The nonce of the policy is the one on the page's inline scripts, and differs per response.
    let nonce = policy
        .split_once("'nonce-")
        .and_then(|(_, rest)| rest.split_once('\''))
        .map(|(nonce, _)| nonce.to_owned())
        .expect("a nonce in the policy");
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(body.contains(&format!("nonce=\"{nonce}\"")), "{body}");
    let again = app
        .client()
        .get(format!("{}/login", app.base))
        .send()
        .await
        .unwrap();
    let policy_again = again.headers()["content-security-policy"].to_str().unwrap();
    assert!(!policy_again.contains(&nonce));

    // A signed-in page, the not-found page and a recipient's page have them too.
    let csm = app.csm().await;
    for (client, path) in [
        (&csm, "/accounts"),
        (&csm, "/no-such-page"),
        (&app.client(), "/u/msg_0/not-a-signature"),
    ] {
        let res = client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let headers = res.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
    }
    // The API is not a page: no page headers on the send path.
    let res = Client::new()
        .post(format!("{}/v1/emails", app.base))
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("content-security-policy").is_none());
}

/// With an https public URL, pages ask browsers to keep to https.
async fn https_sites_get_hsts(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let config = Config {
        base_url: "https://mail.example".into(),
        ..test_config(&database.url)
    };
    let state = server::prepare(config).await.expect("app starts");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(server::serve(state, listener, std::future::pending()));
    let res = Client::new()
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}
