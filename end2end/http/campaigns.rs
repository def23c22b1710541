//! Campaigns: a CSV upload becomes a draft with its mapping guessed, the import creates and updates
//! users and queues one campaign email each (rows validated like the API, rejects downloadable),
//! campaign emails wait behind trigger emails, pause / resume / cancel, bad files refused with nothing
//! created, roles, the API, and a 100,000-row import.
use std::time::Instant;

use reqwest::{Client, StatusCode, multipart};
use serde_json::{Value, json};

use crate::{
    api::{Tenant, tenant},
    both_databases,
    harness::{Backend, TestApp},
};

both_databases!(
    import_creates_updates_and_queues_with_row_reports,
    bad_files_are_refused_and_nothing_is_created,
    roles_and_tenants,
    pause_resume_cancel_and_queue_priority,
    the_api_creates_and_follows_a_campaign,
    a_100_000_row_import,
);

/// Posts the new-campaign form as the panel's plain form does; returns the redirect's location.
pub async fn upload(
    app: &TestApp,
    who: &Client,
    project_id: i64,
    type_id: i64,
    name: &str,
    file: Vec<u8>,
) -> (StatusCode, String) {
    let form = multipart::Form::new()
        .text("project_id", project_id.to_string())
        .text("name", name.to_owned())
        .text("type_id", type_id.to_string())
        .part(
            "file",
            multipart::Part::bytes(file)
                .file_name("users.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let res = who
        .post(format!("{}/campaigns/upload", app.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status(), location)
}

/// Uploads and returns the new campaign's id (the upload must succeed).
async fn draft(app: &TestApp, who: &Client, t: &Tenant, file: &str) -> i64 {
    let (status, location) = upload(
        app,
        who,
        t.project_id,
        t.type_id,
        "Winter sale",
        file.into(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{location}");
    location
        .strip_prefix("/campaigns/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("redirected to {location}"))
}

/// Launches a draft with the mapping its preview guessed.
async fn launch(app: &TestApp, who: &Client, id: i64) -> Value {
    let preview = app
        .ok(who, "campaign_preview", &[("id", &id.to_string())])
        .await;
    let uses: Vec<String> = preview["uses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_owned())
        .collect();
    let mut form = vec![("id".to_owned(), id.to_string())];
    for (i, used) in uses.iter().enumerate() {
        form.push((format!("uses[{i}]"), used.clone()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.ok(who, "launch_campaign", &form).await
}

async fn view(app: &TestApp, who: &Client, id: i64) -> Value {
    app.ok(who, "get_campaign", &[("id", &id.to_string())])
        .await
}

fn status_count(view: &Value, status: &str) -> i64 {
    view["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s[0] == status)
        .map_or(0, |s| s[1].as_i64().unwrap())
}

async fn send(app: &TestApp, t: &Tenant, user: Value) -> Value {
    let mut body = t.send_body("unused@example.com");
    body["user"] = user;
    let (status, answer) = t.post(app, "/v1/emails", &body).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["data"].clone()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    match app.db() {
        mailroom::db::Db::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
        mailroom::db::Db::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await.unwrap(),
    }
}

async fn import_creates_updates_and_queues_with_row_reports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let anna = send(
        &app,
        &t,
        json!({"email": "anna@example.com", "name": "Anna Old", "age": 30}),
    )
    .await;
    let csm = app.csm().await;
    let client = app.client_of(&csm, t.account_id, "client@acme.test").await;
    // Dora unsubscribed earlier: the campaign records her email as suppressed and sends nothing.
    let dora = send(&app, &t, json!({"email": "dora@example.com"})).await;
    app.ok(
        &client,
        "set_user_subscribed",
        &[
            ("user_id", &dora["user_id"].to_string()),
            ("subscribed", "false"),
        ],
    )
    .await;

    let file = "\u{feff}Email;Name;AGE;coupon\r\n\
        anna@example.com;Anna New;30;A1\r\n\
        bob@example.com;Bob;41;B1\r\n\
        not-an-address;Nobody;20;X\r\n\
        carl@example.com;Carl;old;C1\r\n\
        \" Eve@GMAIL.con \";Eve;25;E1\r\n\
        bob@example.com;Bobby;42;B2\r\n\
        dora@example.com;Dora;;D1\r\n\
        frank@example.com;Frank\r\n\
        \"gina@example.com\";\"Gina; \"\"G\"\"\";33;G1\r\n\
        hank@example.com;Hank;30;H1;extra\r\n";
    let id = draft(&app, &client, &t, file).await;
    let preview = app
        .ok(&client, "campaign_preview", &[("id", &id.to_string())])
        .await;
    assert_eq!(
        preview["columns"],
        json!(["Email", "Name", "AGE", "coupon"])
    );
    assert_eq!(
        preview["uses"],
        json!(["email", "name", "age", "data:coupon"])
    );
    assert_eq!(preview["rows"].as_array().unwrap().len(), 10);
    let draft_view = view(&app, &client, id).await;
    assert_eq!(draft_view["campaign"]["state"], "draft");
    assert_eq!(draft_view["campaign"]["total_rows"], 10);
    assert_eq!(draft_view["campaign"]["delimiter"], ";");

    let launched = launch(&app, &client, id).await;
    assert_eq!(launched["state"], "scheduled");
    assert_eq!(app.import().await, 1);
    let v = view(&app, &client, id).await;
    let c = &v["campaign"];
    assert_eq!(c["state"], "sending", "{c}");
    assert_eq!(c["rows_read"], 10);
    assert_eq!(
        c["rows_rejected"], 4,
        "bad address, bad age, too few fields, too many fields"
    );
    assert_eq!(c["rows_corrected"], 1);
    assert_eq!(c["rows_duplicate"], 1);
    assert_eq!(c["users_created"], 3, "bob, eve, gina");
    assert_eq!(c["users_updated"], 2, "anna, and dora (her name)");
    assert_eq!(c["emails_queued"], 4, "anna, bob, eve, gina");
    assert_eq!(c["emails_suppressed"], 1, "dora");
    assert_eq!(status_count(&v, "queued"), 4);
    assert_eq!(status_count(&v, "suppressed"), 1);

    // The last row of an address wins; the update is in anna's change log as the campaign's.
    let bob = app
        .ok(&client, "list_users", &[("q", "bob@example.com")])
        .await;
    let bob_id = bob["page"]["items"][0]["id"].as_i64().unwrap();
    let bob = app
        .ok(&client, "user_profile", &[("user_id", &bob_id.to_string())])
        .await;
    assert_eq!(bob["user"]["params"]["name"], "Bobby");
    assert_eq!(bob["user"]["params"]["age"], 42);
    let changes = app
        .ok(
            &client,
            "user_changes",
            &[("user_id", &anna["user_id"].to_string())],
        )
        .await;
    let change = &changes["items"][0];
    assert_eq!(
        (change["field"].as_str(), change["new"].as_str()),
        (Some("name"), Some("Anna New"))
    );
    assert_eq!(change["source"], "campaign CSV");
    let eve = app
        .ok(&client, "list_users", &[("q", "eve@gmail.com")])
        .await;
    assert_eq!(eve["page"]["items"].as_array().unwrap().len(), 1, "{eve}");

    // Row notes in file order, with line numbers (the header is line 1).
    let notes = app
        .ok(
            &client,
            "campaign_rows",
            &[("id", &id.to_string()), ("kind", "rejected")],
        )
        .await;
    let lines: Vec<i64> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [4, 5, 9, 11]);
    assert!(
        notes["items"][1]["detail"]
            .as_str()
            .unwrap()
            .contains("age: must be an integer"),
        "{notes}"
    );
    let all = app
        .ok(&client, "campaign_rows", &[("id", &id.to_string())])
        .await;
    let kinds: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"corrected") && kinds.contains(&"duplicate"),
        "{kinds:?}"
    );

    // The rejects file: the row as read, its line and the reason.
    let res = client
        .get(format!("{}/campaigns/{id}/rejects.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = res.text().await.unwrap();
    let mut rows = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        ["Email", "Name", "AGE", "coupon", "line", "reason"]
    );
    let records: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    assert_eq!(&records[0][0], "not-an-address");
    assert_eq!(&records[0][4], "4");
    assert!(
        records[2][records[2].len() - 1].contains("has 2 fields"),
        "{records:?}"
    );
    assert!(
        records[3][records[3].len() - 1].contains(
            "has 5 fields, the header has 4 (a field with the delimiter in it must be in quotes)"
        ),
        "{records:?}"
    );

    // Sending: category campaign, the data column in the email's data; then the campaign is done.
    let data: String = match app.db() {
        mailroom::db::Db::Sqlite(pool) => sqlx::query_scalar("SELECT data FROM emails WHERE campaign_id = $1 AND category = 'campaign' ORDER BY id LIMIT 1").bind(id).fetch_one(pool).await.unwrap(),
        mailroom::db::Db::Postgres(pool) => sqlx::query_scalar("SELECT data FROM emails WHERE campaign_id = $1 AND category = 'campaign' ORDER BY id LIMIT 1").bind(id).fetch_one(pool).await.unwrap(),
    };
    assert_eq!(data, r#"{"coupon":"A1"}"#);
    // The campaign's 4, and the two trigger emails of the start (dora's is suppressed when sent).
    assert_eq!(app.deliver().await, 4 + 2);
    app.import().await;
    let v = view(&app, &client, id).await;
    assert_eq!(v["campaign"]["state"], "done");
    assert_eq!(status_count(&v, "sent"), 4);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM outbox").await, 4 + 1);
}

async fn bad_files_are_refused_and_nothing_is_created(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let csm = app.csm().await;
    let mut long_line = b"email,name\na@example.com,".to_vec();
    long_line.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    long_line.push(b'\n');
    let mut utf16 = vec![0xFF, 0xFE];
    for unit in "email,name\na@example.com,Ann\n".encode_utf16() {
        utf16.extend(unit.to_le_bytes());
    }
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty upload", Vec::new(), "empty"),
        (
            "header only",
            b"email,name\r\n".to_vec(),
            "header but no rows",
        ),
        (
            "no email column",
            b"mail_to,name\nanna@example.com,Anna\n".to_vec(),
            "No email column",
        ),
        (
            "wrong delimiter",
            b"email|name\nanna@example.com|Anna\n".to_vec(),
            "separated by \"|\"",
        ),
        ("UTF-16", utf16, "UTF-16"),
        (
            "binary",
            b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0".to_vec(),
            "binary",
        ),
        (
            "Latin-1",
            b"email,name\nrenee@example.com,Ren\xe9e\n".to_vec(),
            "Line 2 is not UTF-8",
        ),
        ("a 10 MB line", long_line, "longer than 1 MiB"),
    ];
    for (what, file, expected) in cases {
        let (status, location) =
            upload(&app, &csm, t.project_id, t.type_id, "Typed name", file).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{what}");
        let url = reqwest::Url::parse(&format!("http://x{location}")).unwrap();
        assert_eq!(
            url.path(),
            format!("/projects/{}/campaigns", t.project_id),
            "{what}"
        );
        let query: std::collections::HashMap<_, _> = url.query_pairs().collect();
        assert!(
            query["error"].contains(expected),
            "{what}: {}",
            query["error"]
        );
        assert_eq!(
            query["name"], "Typed name",
            "{what}: the typed name is kept"
        );
    }
    // A name or an email type that is not the project's is refused too, before anything is stored.
    let (_, location) = upload(
        &app,
        &csm,
        t.project_id,
        t.type_id,
        " ",
        b"email\na@example.com\n".to_vec(),
    )
    .await;
    assert!(location.contains("error=Name"), "{location}");
    let other = tenant(&app, "Globex").await;
    let (_, location) = upload(
        &app,
        &csm,
        t.project_id,
        other.type_id,
        "X",
        b"email\na@example.com\n".to_vec(),
    )
    .await;
    assert!(location.contains("error=Email+type"), "{location}");

    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM campaigns").await, 0);
    let left: Vec<_> = std::fs::read_dir(&app.state.upload_dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("campaign-"))
        .collect();
    // The PostgreSQL tests share the working folder's upload folder: only this test's files count.
    if matches!(backend, Backend::Sqlite) {
        assert!(left.is_empty(), "no file is left behind: {left:?}");
    }

    // A row whose quote is never closed takes the rest of the file: rejected for its field count.
    let id = draft(
        &app,
        &csm,
        &t,
        "email,name\n\"anna@example.com,Anna\nbob@example.com,Bob\n",
    )
    .await;
    launch(&app, &csm, id).await;
    app.import().await;
    let c = &view(&app, &csm, id).await["campaign"];
    assert_eq!(
        (c["rows_read"].as_i64(), c["rows_rejected"].as_i64()),
        (Some(1), Some(1)),
        "{c}"
    );
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users").await, 0);
}

async fn roles_and_tenants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let acme = tenant(&app, "Acme").await;
    let globex = tenant(&app, "Globex").await;
    let csm = app.csm().await;
    let support = app.staff(&csm, "support@mailroom.test", "support").await;
    let client = app
        .client_of(&csm, acme.account_id, "client@acme.test")
        .await;
    let file = b"email\nanna@example.com\n".to_vec();

    // Support cannot upload; a client cannot upload to another account's project.
    let (status, _) = upload(
        &app,
        &support,
        acme.project_id,
        acme.type_id,
        "X",
        file.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = upload(
        &app,
        &client,
        globex.project_id,
        globex.type_id,
        "X",
        file.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM campaigns").await, 0);

    let id = draft(&app, &csm, &globex, "email\nanna@example.com\n").await;
    let id_text = id.to_string();
    // The client of another account sees nothing of it, changes nothing.
    for function in ["get_campaign", "campaign_preview", "campaign_rows"] {
        let res = app.call(&client, function, &[("id", &id_text)]).await;
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{function}");
    }
    let res = app
        .call(
            &client,
            "control_campaign",
            &[("id", &id_text), ("action", "cancel")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = client
        .get(format!("{}/campaigns/{id}/rejects.csv", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let mine = app.ok(&client, "list_campaigns", &[]).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 0);
    // Support reads, and cannot launch or control.
    assert_eq!(view(&app, &support, id).await["can_edit"], false);
    let res = app
        .call(
            &support,
            "launch_campaign",
            &[("id", &id_text), ("uses[0]", "email")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .call(&support, "discard_campaign", &[("id", &id_text)])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let all = app.ok(&support, "list_campaigns", &[]).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    // A bad mapping is refused beside its field.
    let res = app
        .call(
            &csm,
            "launch_campaign",
            &[("id", &id_text), ("uses[0]", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The CSM discards the draft: nothing is left.
    let project = app.ok(&csm, "discard_campaign", &[("id", &id_text)]).await;
    assert_eq!(project, json!(globex.project_id));
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM campaigns").await, 0);
}

async fn pause_resume_cancel_and_queue_priority(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let csm = app.csm().await;
    let rows: String = (0..30)
        .map(|i| format!("user{i}@example.com,User {i}\n"))
        .collect();
    let id = draft(&app, &csm, &t, &format!("email,name\n{rows}")).await;
    launch(&app, &csm, id).await;
    app.import().await;
    // A trigger email queued after the campaign's 30 is claimed first.
    send(&app, &t, json!({"email": "urgent@example.com"})).await;
    let claimed = app
        .db()
        .claim_due_emails(1, mailroom::db::now_ms() + 60_000)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].type_id, t.type_id);
    let category = scalar(
        &app,
        &format!(
            "SELECT COUNT(*) FROM emails WHERE id = {} AND category = 'trigger'",
            claimed[0].id
        ),
    )
    .await;
    assert_eq!(category, 1, "the trigger email goes first");
    crate::delivery::expire_leases(app.db()).await;

    // Paused: nothing of the campaign is sent; resumed: all of it.
    let paused = app
        .ok(
            &csm,
            "control_campaign",
            &[("id", &id.to_string()), ("action", "pause")],
        )
        .await;
    assert_eq!(paused["state"], "paused");
    assert_eq!(app.deliver().await, 1, "only the trigger email");
    let res = app
        .call(
            &csm,
            "control_campaign",
            &[("id", &id.to_string()), ("action", "pause")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "already paused");
    let resumed = app
        .ok(
            &csm,
            "control_campaign",
            &[("id", &id.to_string()), ("action", "resume")],
        )
        .await;
    assert_eq!(resumed["state"], "sending");
    assert_eq!(app.deliver().await, 30);

    // Cancelled after a part was sent: the sent stay sent, the rest are cancelled (with the event).
    let id = draft(
        &app,
        &csm,
        &t,
        &format!("email,name\n{rows}extra@example.com,Extra\n"),
    )
    .await;
    launch(&app, &csm, id).await;
    app.import().await;
    let deliverer = app.deliverer(
        mailroom::jobs::Transport::Outbox,
        mailroom::jobs::DeliveryOptions {
            batch: 10,
            ..Default::default()
        },
    );
    assert_eq!(deliverer.run_once().await.unwrap(), 10);
    let cancelled = app
        .ok(
            &csm,
            "control_campaign",
            &[("id", &id.to_string()), ("action", "cancel")],
        )
        .await;
    assert_eq!(cancelled["state"], "cancelled");
    let v = view(&app, &csm, id).await;
    assert_eq!(status_count(&v, "sent"), 10, "{v}");
    assert_eq!(status_count(&v, "cancelled"), 21, "{v}");
    assert_eq!(app.deliver().await, 0);
    let events = scalar(&app, &format!("SELECT COUNT(*) FROM email_events ev JOIN emails e ON e.id = ev.email_id WHERE e.campaign_id = {id} AND ev.status = 'cancelled'")).await;
    assert_eq!(events, 21);
    let res = app
        .call(
            &csm,
            "control_campaign",
            &[("id", &id.to_string()), ("action", "resume")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
}

async fn the_api_creates_and_follows_a_campaign(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let other = tenant(&app, "Globex").await;
    let http = Client::new();
    let post = |project_id: i64, fields: Value, file: &'static str| {
        let form = multipart::Form::new()
            .text("fields", fields.to_string())
            .part(
                "file",
                multipart::Part::bytes(file.as_bytes().to_vec()).file_name("u.csv"),
            );
        t.auth(http.post(format!("{}/v1/projects/{project_id}/campaigns", app.base)))
            .multipart(form)
            .send()
    };
    let res = post(
        t.project_id,
        json!({"name": "API", "type_id": t.type_id}),
        "email,name\nann@example.com,Ann\nbad,Bad\n",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let answer: Value = res.json().await.unwrap();
    let id = answer["data"]["id"].as_i64().unwrap();
    assert_eq!(answer["data"]["state"], "scheduled");
    assert_eq!(answer["data"]["file"]["rows"], 2);
    app.import().await;
    let res = t
        .auth(http.get(format!("{}/v1/campaigns/{id}", app.base)))
        .send()
        .await
        .unwrap();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(answer["data"]["state"], "sending", "{answer}");
    assert_eq!(answer["data"]["progress"]["users_created"], 1);
    assert_eq!(answer["data"]["progress"]["rows_rejected"], 1);
    assert_eq!(answer["data"]["statuses"]["queued"], 1);

    // Errors: a bad file, missing fields, another account's project or campaign.
    let res = post(
        t.project_id,
        json!({"name": "API", "type_id": t.type_id}),
        "name\nAnn\n",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["errors"]["file"]
            .as_str()
            .unwrap()
            .contains("No email column"),
        "{problem}"
    );
    let res = post(
        t.project_id,
        json!({"type_id": "x"}),
        "email\na@example.com\n",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let problem: Value = res.json().await.unwrap();
    assert!(
        problem["errors"]["fields.name"].is_string()
            && problem["errors"]["fields.type_id"].is_string(),
        "{problem}"
    );
    let res = post(
        other.project_id,
        json!({"name": "X", "type_id": other.type_id}),
        "email\na@example.com\n",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = other
        .auth(http.get(format!("{}/v1/campaigns/{id}", app.base)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM campaigns").await, 1);
}

async fn a_100_000_row_import(backend: Backend) {
    const ROWS: usize = 100_000;
    let app = TestApp::spawn(backend).await;
    let t = tenant(&app, "Acme").await;
    let csm = app.csm().await;
    let mut file = String::from("email,name,age,country_id,coupon\n");
    for i in 0..ROWS {
        // Every 50th row has a bad age; every 100th repeats an earlier address.
        let n = if i % 100 == 99 { i - 50 } else { i };
        let age = if i % 50 == 7 {
            "x".to_owned()
        } else {
            (i % 90).to_string()
        };
        file.push_str(&format!("user{n}@example.com,User {n},{age},DE,C{i}\n"));
    }
    let id = draft(&app, &csm, &t, &file).await;
    launch(&app, &csm, id).await;
    let started = Instant::now();
    app.import().await;
    let took = started.elapsed();
    let c = view(&app, &csm, id).await["campaign"].clone();
    eprintln!("{backend:?}: {ROWS} rows imported in {took:?}");
    assert_eq!(c["state"], "sending");
    assert_eq!(c["rows_read"], ROWS);
    assert_eq!(c["rows_rejected"], ROWS / 50);
    let users = scalar(&app, "SELECT COUNT(*) FROM users").await;
    let emails = scalar(
        &app,
        &format!("SELECT COUNT(*) FROM emails WHERE campaign_id = {id}"),
    )
    .await;
    assert_eq!(users, emails, "one email per user");
    assert_eq!(c["emails_queued"].as_i64(), Some(emails));
    let rejected_or_duplicate =
        c["rows_rejected"].as_i64().unwrap() + c["rows_duplicate"].as_i64().unwrap();
    assert_eq!(users + rejected_or_duplicate, ROWS as i64, "{c}");
}
