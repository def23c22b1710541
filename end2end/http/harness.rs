//! Starts Mailroom for a test and talks to it over HTTP.
use std::net::SocketAddr;

use mailroom::{
    config::Config,
    db::Db,
    jobs::{Deliverer, DeliveryOptions, Transport},
    server,
    state::AppState,
};
use reqwest::{Client, Response, header};
use serde_json::Value;

pub const CSM_EMAIL: &str = "csm@example.com";
pub const CSM_PASSWORD: &str = "csm-password-123";

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares each listed async test function `f(Backend)` once per database.
#[macro_export]
macro_rules! both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::harness::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::harness::Backend::Postgres).await })*
        }
    };
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    _database: TestDatabase,
}

/// A database that exists for one test only.
pub struct TestDatabase {
    pub url: String,
    drop_pg: Option<(String, String)>,
    /// The SQLite database's folder, removed when dropped.
    _dir: Option<tempfile::TempDir>,
}

fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn postgres_admin_url() -> String {
    std::env::var("MAILROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::Builder::new()
                    .prefix("mailroom_test_")
                    .tempdir()
                    .unwrap();
                let url = format!("sqlite://{}", dir.path().join("mailroom.db").display());
                TestDatabase {
                    url,
                    drop_pg: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin = postgres_admin_url();
                let name = format!("mailroom_test_{}", unique_suffix());
                let mut conn = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL must run at 127.0.0.1:5432");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let url = match admin.rsplit_once('/') {
                    Some((server, _)) => format!("{server}/{name}"),
                    None => panic!("MAILROOM_TEST_POSTGRES_URL needs a database path"),
                };
                TestDatabase {
                    url,
                    drop_pg: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_pg.take() {
            // Dropped from a plain thread: the test's runtime is shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

pub fn test_config(database_url: &str) -> Config {
    Config {
        site_addr: "127.0.0.1:0".parse().unwrap(),
        database_url: database_url.to_owned(),
        base_url: "http://127.0.0.1".into(),
        admin_email: Some(CSM_EMAIL.into()),
        admin_password: Some(CSM_PASSWORD.into()),
        smtp_url: None,
        webhook_allow_private: true,
        secret_key: None,
        delivery_workers: 0,
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::spawn_with(backend, |_| {}).await
    }

    /// `spawn` with the test configuration changed first (e.g. private webhook addresses refused).
    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let database = TestDatabase::new(backend).await;
        let mut config = test_config(&database.url);
        tweak(&mut config);
        let state = server::prepare(config).await.expect("app starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        tokio::spawn(server::serve(
            state.clone(),
            listener,
            std::future::pending(),
        ));
        TestApp {
            base: format!("http://{addr}"),
            state,
            _database: database,
        }
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// A delivery worker of this app (the spawned app runs none: tests deliver when they choose).
    pub fn deliverer(&self, transport: Transport, options: DeliveryOptions) -> Deliverer {
        Deliverer::new(
            self.state.db.clone(),
            transport,
            options,
            &self.state.config.base_url,
            self.state.secret_key.clone(),
            self.state.metrics.clone(),
        )
    }

    /// Runs every due campaign import to its end (the spawned app runs no importer); returns how many
    /// imports ran.
    pub async fn import(&self) -> usize {
        mailroom::jobs::Importer::new(
            self.state.db.clone(),
            self.state.upload_dir.clone(),
            mailroom::jobs::ImportOptions::default(),
            self.state.delivery_wake.clone(),
        )
        .drain()
        .await
        .unwrap()
    }

    /// Delivers everything due to the captured outbox; returns how many emails were handled.
    pub async fn deliver(&self) -> usize {
        self.deliverer(Transport::Outbox, DeliveryOptions::default())
            .drain()
            .await
            .unwrap()
    }

    /// A browser-like client with its own cookie jar (one signed-in person).
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Response {
        self.call(client, "login", &[("email", email), ("password", password)])
            .await
    }

    /// A signed-in client; panics if the login fails.
    pub async fn signed_in(&self, email: &str, password: &str) -> Client {
        let client = self.client();
        let res = self.login(&client, email, password).await;
        assert!(
            res.status().is_success(),
            "login of {email} failed: {}",
            res.status()
        );
        client
    }

    pub async fn csm(&self) -> Client {
        self.signed_in(CSM_EMAIL, CSM_PASSWORD).await
    }

    /// Calls a server function as the panel's own JavaScript does.
    pub async fn call(&self, client: &Client, function: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(format!("{}/api/{function}", self.base))
            .header(header::ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Calls a server function that must succeed, and returns its JSON answer.
    pub async fn ok(&self, client: &Client, function: &str, form: &[(&str, &str)]) -> Value {
        let res = self.call(client, function, form).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_success(), "{function} answered {status}: {body}");
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }

    /// Creates an account as the CSM; returns (account id, client_id).
    pub async fn account(&self, csm: &Client, name: &str) -> (i64, String) {
        let account = self.ok(csm, "create_account", &[("name", name)]).await;
        (
            account["id"].as_i64().unwrap(),
            account["client_id"].as_str().unwrap().to_owned(),
        )
    }

    /// Adds a client login to an account and signs it in.
    pub async fn client_of(&self, csm: &Client, account_id: i64, email: &str) -> Client {
        let id = account_id.to_string();
        self.ok(
            csm,
            "add_client_user",
            &[
                ("account_id", &id),
                ("email", email),
                ("password", "client-password-1"),
            ],
        )
        .await;
        self.signed_in(email, "client-password-1").await
    }

    /// Adds a staff login and signs it in.
    pub async fn staff(&self, csm: &Client, email: &str, role: &str) -> Client {
        self.ok(
            csm,
            "add_staff",
            &[
                ("email", email),
                ("role", role),
                ("password", "staff-password-1"),
            ],
        )
        .await;
        self.signed_in(email, "staff-password-1").await
    }
}
