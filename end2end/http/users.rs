//! Users for support over the panel's server functions: the Users list (search, filters, keyset pages
//! that stay correct under inserts), profiles with the masked `ak`, the timeline of emails with their
//! status history, the email page, unsubscribing from a profile, and who may see and do what.
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

use crate::{
    api::{Tenant, tenant},
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    search_profiles_and_tenants,
    keyset_pages_stay_correct_under_inserts,
    timeline_and_email_page_show_the_status_history,
    unsubscribe_from_the_profile_then_sends_are_suppressed,
    project_activity_searches_filters_and_pages,
    an_email_without_a_copy_is_re_rendered_from_its_template_version,
    the_webhooks_tab_lists_the_webhooks_about_a_user,
);

async fn send(app: &TestApp, t: &Tenant, user: Value) -> Value {
    let mut body = t.send_body("unused@example.com");
    body["user"] = user;
    let (status, answer) = t.post(app, "/v1/emails", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"].clone()
}

async fn users(app: &TestApp, who: &Client, form: &[(&str, &str)]) -> Value {
    app.ok(who, "list_users", form).await
}

fn emails_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn search_profiles_and_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let acme = tenant(&app, "Acme").await;
    let globex = tenant(&app, "Globex").await;
    let anna = send(
        &app,
        &acme,
        json!({"email": "Anna@Acme.test", "client_user_id": "c-42", "ak": "ak-secret-1"}),
    )
    .await;
    send(&app, &acme, json!({"email": "annabel@acme.test"})).await;
    send(&app, &acme, json!({"email": "bob@acme.test"})).await;
    let other = send(&app, &globex, json!({"email": "anna@globex.test"})).await;
    let anna_id = anna["user_id"].as_i64().unwrap();
    let other_id = other["user_id"].as_i64().unwrap();

    let csm = app.csm().await;
    let support = app.staff(&csm, "support@mailroom.test", "support").await;
    let client = app
        .client_of(&csm, acme.account_id, "client@acme.test")
        .await;

    // Support searches every account; the prefix is normalized as sends normalize addresses.
    let found = users(&app, &support, &[("q", " ANN")]).await;
    assert_eq!(
        emails_of(&found["page"]["items"]),
        ["anna@acme.test", "anna@globex.test", "annabel@acme.test"],
        "address order"
    );
    let found = users(&app, &support, &[("q", "Anna@Acme.test")]).await;
    assert_eq!(emails_of(&found["page"]["items"]), ["anna@acme.test"]);
    // A user id or client_user_id is an exact match.
    let found = users(&app, &support, &[("q", "c-42")]).await;
    assert_eq!(emails_of(&found["exact"]), ["anna@acme.test"]);
    let found = users(&app, &support, &[("q", &other_id.to_string())]).await;
    assert_eq!(emails_of(&found["exact"]), ["anna@globex.test"]);
    // Filters: project, subscription state.
    let globex_project = globex.project_id.to_string();
    let found = users(&app, &support, &[("project_id", &globex_project)]).await;
    assert_eq!(emails_of(&found["page"]["items"]), ["anna@globex.test"]);
    let found = users(&app, &support, &[("state", "suppressed")]).await;
    assert_eq!(found["page"]["items"], json!([]));
    let found = users(&app, &support, &[]).await;
    assert_eq!(
        emails_of(&found["page"]["items"]),
        [
            "anna@globex.test",
            "bob@acme.test",
            "annabel@acme.test",
            "anna@acme.test"
        ],
        "newest first without a search"
    );

    // By latest email, newest first: a new email moves its user to the top.
    let found = users(&app, &support, &[("sort", "activity")]).await;
    assert_eq!(
        emails_of(&found["page"]["items"]),
        [
            "anna@globex.test",
            "bob@acme.test",
            "annabel@acme.test",
            "anna@acme.test"
        ]
    );
    send(&app, &acme, json!({"email": "anna@acme.test"})).await;
    let found = users(&app, &support, &[("sort", "activity")]).await;
    assert_eq!(emails_of(&found["page"]["items"])[0], "anna@acme.test");
    assert_eq!(found["page"]["items"][0]["last_status"], "queued");
    // The latest email's status and (staff) the account.
    let found = users(&app, &support, &[("last_status", "queued")]).await;
    assert_eq!(emails_of(&found["page"]["items"]).len(), 4);
    let found = users(&app, &support, &[("last_status", "sent")]).await;
    assert_eq!(found["page"]["items"], json!([]));
    let globex_account = globex.account_id.to_string();
    let found = users(&app, &support, &[("account_id", &globex_account)]).await;
    assert_eq!(emails_of(&found["page"]["items"]), ["anna@globex.test"]);

    // A client sees its own account's users only: through search, exact matches and filters.
    let found = users(&app, &client, &[("q", "anna")]).await;
    assert_eq!(
        emails_of(&found["page"]["items"]),
        ["anna@acme.test", "annabel@acme.test"]
    );
    let found = users(&app, &client, &[("q", &other_id.to_string())]).await;
    assert_eq!(found["exact"], json!([]));
    let found = users(&app, &client, &[("project_id", &globex_project)]).await;
    assert_eq!(found["page"]["items"], json!([]));
    let found = users(&app, &client, &[("account_id", &globex_account)]).await;
    assert_eq!(
        emails_of(&found["page"]["items"]).len(),
        3,
        "its own account, whatever it asks"
    );
    let found = users(&app, &client, &[("sort", "activity")]).await;
    assert_eq!(emails_of(&found["page"]["items"]).len(), 3);
    let choices = app.ok(&client, "user_project_choices", &[]).await;
    assert_eq!(choices.as_array().unwrap().len(), 1);
    let other_id = other_id.to_string();
    for (function, form) in [
        ("user_profile", vec![("user_id", other_id.as_str())]),
        ("user_timeline", vec![("user_id", other_id.as_str())]),
        ("reveal_user_ak", vec![("user_id", other_id.as_str())]),
        (
            "email_detail",
            vec![("message_id", other["message_id"].as_str().unwrap())],
        ),
    ] {
        let res = app.call(&client, function, &form).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{function}");
    }

    // The profile leaves ak out; revealing it is audited.
    let id = anna_id.to_string();
    let profile = app.ok(&support, "user_profile", &[("user_id", &id)]).await;
    assert_eq!(profile["user"]["email"], "anna@acme.test");
    assert_eq!(profile["user"]["params"]["client_user_id"], "c-42");
    assert_eq!(profile["user"]["params"]["ak"], Value::Null);
    assert_eq!(profile["has_ak"], true);
    assert_eq!(
        (
            profile["project_name"].as_str(),
            profile["email_count"].as_i64()
        ),
        (Some("Shop"), Some(2))
    );
    let ak = app
        .ok(&support, "reveal_user_ak", &[("user_id", &id)])
        .await;
    assert_eq!(ak, "ak-secret-1");
    let audit = app
        .db()
        .audit_of_account(acme.account_id, 10)
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "user.ak_revealed" && e.actor_email == "support@mailroom.test"),
        "{audit:?}"
    );
    let res = app
        .call(&app.client(), "user_profile", &[("user_id", &id)])
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "signed out");
}

async fn keyset_pages_stay_correct_under_inserts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    for n in 0..120 {
        send(&app, &t, json!({"email": format!("user{n:03}@acme.test")})).await;
    }
    let support = app
        .staff(&app.csm().await, "support@mailroom.test", "support")
        .await;

    for (q, sort) in [("", ""), ("user", ""), ("", "activity")] {
        let mut seen: Vec<String> = Vec::new();
        let mut pages = Vec::new();
        let mut after = String::new();
        loop {
            let found = users(
                &app,
                &support,
                &[("q", q), ("sort", sort), ("after", &after)],
            )
            .await;
            let page = found["page"].clone();
            seen.extend(emails_of(&page["items"]));
            pages.push(page.clone());
            // Users created between pages neither repeat nor shift the pages.
            if pages.len() == 1 {
                // Newer than page 1 (newest first), or before it in address order.
                for n in 0..5 {
                    let email = format!("{q}-late{n}x{}{sort}@acme.test", q.len());
                    send(&app, &t, json!({ "email": email.trim_start_matches('-') })).await;
                }
            }
            match page["next"].as_str() {
                Some(next) => after = next.to_owned(),
                None => break,
            }
        }
        let mut expected: Vec<String> = (0..120).map(|n| format!("user{n:03}@acme.test")).collect();
        if q.is_empty() {
            // Newest first (by creation, or by latest email: each has one): the users of before the first page, from the newest.
            expected.reverse();
        }
        let late = |e: &String| e.contains("late");
        let seen_original: Vec<String> = seen.iter().filter(|e| !late(e)).cloned().collect();
        assert_eq!(seen_original, expected, "q = {q:?}, sort = {sort:?}");
        let this_runs = format!("x{}{sort}@", q.len());
        assert!(
            !seen.iter().any(|e| e.contains(&this_runs)),
            "users created meanwhile sort before page 1"
        );
        assert_eq!(pages.len(), 3, "50 + 50 + 20");
        assert_eq!(pages[0]["prev"], Value::Null);
        if sort == "activity" {
            continue;
        }

        // Previous from the last page gives the middle page again.
        let before = pages[2]["prev"].as_str().unwrap();
        let back = users(&app, &support, &[("q", q), ("before", before)]).await;
        assert_eq!(back["page"]["items"], pages[1]["items"], "q = {q:?}");
        assert_eq!(back["page"]["next"], pages[1]["next"]);
    }
}

async fn timeline_and_email_page_show_the_status_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    // (The template greets by name: without one, delivery fails.)
    let first = send(&app, &t, json!({"email": "anna@acme.test", "name": "Anna"})).await;
    assert_eq!(app.deliver().await, 1);
    let second = send(&app, &t, json!({"email": "anna@acme.test"})).await;
    let user_id = first["user_id"].as_i64().unwrap().to_string();
    let support = app
        .staff(&app.csm().await, "support@mailroom.test", "support")
        .await;

    let timeline = app
        .ok(&support, "user_timeline", &[("user_id", &user_id)])
        .await;
    let items = timeline["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["message_id"], second["message_id"], "newest first");
    assert_eq!(items[0]["type_name"], "Welcome");
    let statuses = |item: &Value| -> Vec<String> {
        item["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["status"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(statuses(&items[0]), ["queued"]);
    assert_eq!(statuses(&items[1]), ["queued", "sent"]);
    assert_eq!(timeline["next"], Value::Null);
    // Filtered by the current status.
    let sent = app
        .ok(
            &support,
            "user_timeline",
            &[("user_id", &user_id), ("status", "sent")],
        )
        .await;
    let sent = sent["items"].as_array().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["message_id"], first["message_id"]);

    let message_id = first["message_id"].as_str().unwrap();
    let detail = app
        .ok(&support, "email_detail", &[("message_id", message_id)])
        .await;
    assert_eq!(detail["email"]["status"], "sent");
    assert_eq!(detail["email"]["email"], "anna@acme.test");
    assert_eq!(detail["type_name"], "Welcome");
    assert!(
        detail["outbox_id"].as_i64().is_some(),
        "captured in the outbox"
    );
    assert_eq!(detail["webhooks"], json!([]));
    let res = app
        .call(&support, "email_detail", &[("message_id", "msg_nope")])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    // Changes of the parameters are recorded once each, with old and new values; a send repeating
    // the stored values records nothing.
    let changes = |app: &TestApp| {
        let (support, user_id) = (support.clone(), user_id.clone());
        let app_base = app.base.clone();
        async move {
            let res = support
                .post(format!("{app_base}/api/user_changes"))
                .header("accept", "application/json")
                .form(&[("user_id", user_id.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            let page: Value = res.json().await.unwrap();
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    let source = c["source"].as_str().unwrap_or_default().to_owned();
                    (
                        c["field"].clone(),
                        c["old"].clone(),
                        c["new"].clone(),
                        source,
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(changes(&app).await, []);
    let path = format!("/v1/users/{user_id}");
    let (status, _) = t
        .put(&app, &path, &json!({"name": "Anna K", "age": 30}))
        .await;
    assert_eq!(status, StatusCode::OK);
    send(
        &app,
        &t,
        json!({"email": "anna@acme.test", "name": "Anna K"}),
    )
    .await;
    let (status, _) = t
        .put(&app, &path, &json!({"age": 31, "ak": "hidden-1"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        changes(&app).await,
        [
            (json!("age"), json!("30"), json!("31"), "api".to_owned()),
            (json!("ak"), Value::Null, Value::Null, "api".to_owned()),
            (json!("age"), Value::Null, json!("30"), "api".to_owned()),
            (
                json!("name"),
                json!("Anna"),
                json!("Anna K"),
                "api".to_owned()
            ),
        ],
        "newest first; the value of ak is never copied"
    );

    // The pages render on the server with what the functions return.
    let page = support
        .get(format!("{}/users/{user_id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("anna@acme.test") && html.contains(message_id),
        "profile page"
    );
    let page = support
        .get(format!("{}/emails/{message_id}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Status history"));
    let page = support
        .get(format!("{}/users?q=anna", app.base))
        .send()
        .await
        .unwrap();
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(&format!("/users/{user_id}"))
    );
}

async fn unsubscribe_from_the_profile_then_sends_are_suppressed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let sent = send(&app, &t, json!({"email": "anna@acme.test"})).await;
    let id = sent["user_id"].as_i64().unwrap().to_string();
    let csm = app.csm().await;
    let support = app.staff(&csm, "support@mailroom.test", "support").await;
    let client = app.client_of(&csm, t.account_id, "client@acme.test").await;
    let other = tenant(&app, "Globex").await;
    let stranger = app
        .client_of(&csm, other.account_id, "client@globex.test")
        .await;

    let form = [("user_id", id.as_str()), ("subscribed", "false")];
    let res = app.call(&support, "set_user_subscribed", &form).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "support only reads");
    let res = app.call(&stranger, "set_user_subscribed", &form).await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "another account's user"
    );
    app.ok(&client, "set_user_subscribed", &form).await;

    let again = send(&app, &t, json!({"email": "anna@acme.test"})).await;
    assert_eq!(again["status"], "suppressed");
    let found = users(&app, &support, &[("state", "unsubscribed")]).await;
    assert_eq!(emails_of(&found["page"]["items"]), ["anna@acme.test"]);

    app.ok(
        &csm,
        "set_user_subscribed",
        &[("user_id", &id), ("subscribed", "true")],
    )
    .await;
    let back = send(&app, &t, json!({"email": "anna@acme.test"})).await;
    assert_eq!(back["status"], "queued");
    let actions: Vec<String> = app
        .db()
        .audit_of_account(t.account_id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(
        actions.contains(&"user.unsubscribed".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"user.resubscribed".to_owned()),
        "{actions:?}"
    );
    // The user's change log names who changed the subscription.
    let changes = app.ok(&support, "user_changes", &[("user_id", &id)]).await;
    let changes: Vec<(String, String, String)> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let text = |k: &str| c[k].as_str().unwrap_or_default().to_owned();
            (text("field"), text("new"), text("source"))
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                "subscribed".into(),
                "1".into(),
                "panel: csm@example.com".into()
            ),
            (
                "subscribed".into(),
                "0".into(),
                "panel: client@acme.test".into()
            ),
        ]
    );
}

async fn project_activity_searches_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let first = send(&app, &t, json!({"email": "anna@acme.test", "name": "Anna"})).await;
    assert_eq!(app.deliver().await, 1);
    for n in 0..54 {
        send(&app, &t, json!({"email": format!("bob{n}@acme.test")})).await;
    }
    let csm = app.csm().await;
    let support = app.staff(&csm, "support@mailroom.test", "support").await;
    let other = tenant(&app, "Globex").await;
    let stranger = app
        .client_of(&csm, other.account_id, "client@globex.test")
        .await;
    let project = t.project_id.to_string();
    let activity = |who: Client, form: Vec<(&'static str, String)>| {
        let app_base = app.base.clone();
        async move {
            let res = who
                .post(format!("{app_base}/api/project_activity"))
                .header("accept", "application/json")
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let recipients = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["recipient"].as_str().unwrap().to_owned())
            .collect()
    };

    // Newest first, 50 a page, then the rest.
    let (status, page) = activity(support.clone(), vec![("project_id", project.clone())]).await;
    assert_eq!(status, StatusCode::OK);
    let first_page = recipients(&page);
    assert_eq!(
        (first_page.len(), first_page[0].as_str()),
        (50, "bob53@acme.test")
    );
    let next = page["next"].as_str().unwrap().to_owned();
    let (_, rest) = activity(
        support.clone(),
        vec![("project_id", project.clone()), ("before", next)],
    )
    .await;
    let rest = recipients(&rest);
    assert_eq!(rest.len(), 5);
    assert_eq!(rest.last().unwrap(), "anna@acme.test");

    // By recipient (prefix), by message id, by status, by day.
    let (_, page) = activity(
        support.clone(),
        vec![("project_id", project.clone()), ("q", "ANNA".into())],
    )
    .await;
    assert_eq!(recipients(&page), ["anna@acme.test"]);
    let message_id = first["message_id"].as_str().unwrap().to_owned();
    let (_, page) = activity(
        support.clone(),
        vec![("project_id", project.clone()), ("q", message_id.clone())],
    )
    .await;
    assert_eq!(page["items"][0]["message_id"], json!(message_id));
    let (_, page) = activity(
        support.clone(),
        vec![("project_id", project.clone()), ("status", "sent".into())],
    )
    .await;
    assert_eq!(recipients(&page), ["anna@acme.test"]);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, page) = activity(
        support.clone(),
        vec![
            ("project_id", project.clone()),
            ("until", "2000-01-01".into()),
        ],
    )
    .await;
    assert_eq!(page["items"], json!([]));
    let (_, page) = activity(
        support.clone(),
        vec![
            ("project_id", project.clone()),
            ("from", today.clone()),
            ("until", today),
            ("q", "bob1".into()),
        ],
    )
    .await;
    assert_eq!(recipients(&page).len(), 11, "bob1 and bob10..bob19");
    let (status, _) = activity(
        support.clone(),
        vec![
            ("project_id", project.clone()),
            ("from", "yesterday".into()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The chart's rollup: today's accepted and sent emails, each added up once however often it runs.
    // (The server's own periodic run may have added some already.)
    let added = app.db().roll_up_daily(i64::MAX).await.unwrap();
    assert!(added <= 56, "55 emails and one event at most: {added}");
    assert_eq!(app.db().roll_up_daily(i64::MAX).await.unwrap(), 0);
    let chart = app
        .ok(&support, "project_chart", &[("project_id", &project)])
        .await;
    let today = chrono::Utc::now().timestamp_millis() / 86_400_000;
    let mut counts: Vec<(i64, String, i64)> = chart["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["day"].as_i64().unwrap(),
                c["status"].as_str().unwrap().to_owned(),
                c["count"].as_i64().unwrap(),
            )
        })
        .collect();
    counts.sort();
    assert_eq!(
        counts,
        [(today, "queued".into(), 55), (today, "sent".into(), 1)]
    );
    assert_eq!(chart["days"], 30);
    let other_chart = app
        .ok(
            &support,
            "project_chart",
            &[("project_id", &other.project_id.to_string())],
        )
        .await;
    assert_eq!(other_chart["counts"], json!([]), "per project");

    // Another account's client does not see the project, its emails nor its chart.
    let (status, _) = activity(stranger.clone(), vec![("project_id", project.clone())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let res = app
        .call(&stranger, "project_chart", &[("project_id", &project)])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let page = support
        .get(format!("{}/projects/{project}/activity?q=anna", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains(&message_id));
}

/// An email whose copy was not kept (here: not delivered yet) is shown re-rendered from the templates
/// in effect when it was created, labelled so; a later change of the email type does not change it.
async fn an_email_without_a_copy_is_re_rendered_from_its_template_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let before = send(
        &app,
        &t,
        json!({"email": "anna@example.com", "name": "Anna"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    mailroom::services::email_types::update(
        app.db(),
        &mailroom::services::Actor::Operator,
        t.type_id,
        mailroom::services::email_types::EmailTypeInput {
            name: "Welcome",
            category: "trigger",
            subject: "Welcome back, {{ name }}",
            html_body: "<p>Back</p>",
            text_body: "Back",
        },
    )
    .await
    .unwrap();
    let after = send(&app, &t, json!({"email": "anna@example.com"})).await;
    let csm = app.csm().await;
    let detail = |id: Value| {
        let (app, csm) = (&app, &csm);
        async move {
            app.ok(csm, "email_detail", &[("message_id", id.as_str().unwrap())])
                .await
        }
    };
    let old = detail(before["message_id"].clone()).await;
    assert!(old["content"].is_null());
    assert_eq!(old["rerendered"]["subject"], "Hello Anna", "{old}");
    assert_eq!(old["rerendered"]["version_matches"], true);
    let new = detail(after["message_id"].clone()).await;
    assert_eq!(new["rerendered"]["subject"], "Welcome back, Anna", "{new}");
    assert_eq!(new["rerendered"]["text"], "Back");
    // Once delivered to the outbox, the kept copy is shown instead.
    app.deliver().await;
    let kept = detail(after["message_id"].clone()).await;
    assert!(
        kept["rerendered"].is_null() && kept["content"].is_object(),
        "{kept}"
    );
}

/// The profile's Webhooks tab: the webhooks about the user's emails, newest first, only to whoever may
/// read the user.
async fn the_webhooks_tab_lists_the_webhooks_about_a_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let other = tenant(&app, "Globex").await;
    mailroom::services::webhooks::set_project(
        app.db(),
        true,
        &mailroom::services::Actor::Operator,
        t.project_id,
        "http://127.0.0.1:9/hooks",
        None,
    )
    .await
    .unwrap();
    let anna = send(
        &app,
        &t,
        json!({"email": "anna@example.com", "name": "Anna"}),
    )
    .await;
    send(&app, &t, json!({"email": "bob@example.com", "name": "Bob"})).await;
    app.deliver().await;
    let csm = app.csm().await;
    let user_id = anna["user_id"].to_string();
    let page = app
        .ok(&csm, "user_webhooks", &[("user_id", &user_id)])
        .await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["event_type"], "email.sent");
    assert_eq!(items[0]["email_message_id"], anna["message_id"]);
    // The timeline shows each email's subject.
    let timeline = app
        .ok(&csm, "user_timeline", &[("user_id", &user_id)])
        .await;
    assert_eq!(timeline["items"][0]["subject"], "Hello Anna", "{timeline}");
    let client = app
        .client_of(&csm, other.account_id, "client@globex.test")
        .await;
    let res = app
        .call(&client, "user_webhooks", &[("user_id", &user_id)])
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
