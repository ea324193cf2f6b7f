use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use infra_memory::MemoryStore;
use infra_postgres::test_support::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use ticketing::app::config::Config;
use ticketing::app::startup::{Adapters, Application};
use ticketing::app::wiring;
use ticketing::secret::Secret;

pub const SECRET: &str = "a-secret-for-the-http-tests";
pub const PASSWORD: &str = "correct-horse";

/// A running server on a free port, with a store of its own.
pub struct TestApp {
    pub address: String,
    /// `METRICS_ADDR`'s listener, when the test set one.
    pub metrics_address: Option<String>,
    pub client: reqwest::Client,
    store: Store,
}

/// What the app under test stores in.
enum Store {
    /// A database of its own: for the paths whose behaviour is the database's (bookings under
    /// load, keyed writes, webhooks, operations).
    Postgres(TestDatabase),
    /// The in-memory adapter, which keeps the same port contract: for HTTP behaviour, with no
    /// database to create.
    Memory(MemoryStore),
}

/// A JSON answer.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with some environment variables overridden (rate limiting is off unless
/// a test turns it on).
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let db = TestDatabase::new().await;
    let url = db.url().to_owned();
    serve(db, &url, overrides)
}

/// Serves the app on the database at `url` (which may reach `db` some other way, e.g. through
/// a proxy).
pub fn serve(db: TestDatabase, url: &str, overrides: &[(&str, &str)]) -> TestApp {
    run(build(url, overrides), Store::Postgres(db))
}

/// The app on the in-memory adapter.
pub async fn spawn_memory_app() -> TestApp {
    spawn_memory_app_with(&[]).await
}

/// The app on the in-memory adapter, with some environment variables overridden.
pub async fn spawn_memory_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let store = MemoryStore::new();
    run(build_on_memory(&store, overrides), Store::Memory(store))
}

fn run(app: Application, store: Store) -> TestApp {
    let address = format!("http://127.0.0.1:{}", app.port());
    let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp { address, metrics_address, client: reqwest::Client::new(), store }
}

fn config(overrides: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<&str, &str> = HashMap::from([
        ("HOST", "127.0.0.1"),
        ("PORT", "0"),
        ("RATE_LIMIT_PER_SECOND", "0"),
        ("WORKERS", "2"),
    ]);
    vars.extend(overrides.iter().copied());
    Config::from_lookup(|var| vars.get(var).map(|v| (*v).to_owned())).unwrap()
}

fn signing(config: &Config) -> Secret {
    config.auth.jwt_secret.clone().unwrap_or_else(|| Secret::new(SECRET.to_owned()))
}

/// The application as `main` builds it, on the database at `url`, not yet running.
pub fn build(url: &str, overrides: &[(&str, &str)]) -> Application {
    let config = config(overrides);
    let store = wiring::store(url, &config.database).unwrap();
    let tokens = wiring::tokens(&signing(&config), &config.auth);
    Application::build(&config, wiring::adapters(&store, &config).unwrap(), tokens).unwrap()
}

/// The application on `store`, not yet running: every store port in memory (`infra-memory`),
/// passwords hashed and webhooks sent as in production.
fn build_on_memory(store: &MemoryStore, overrides: &[(&str, &str)]) -> Application {
    let config = config(overrides);
    let adapters = Adapters {
        store: store.clone(),
        public_reads: store.clone(),
        hasher: wiring::hasher(&config.auth).unwrap(),
        sender: wiring::sender(&config.webhooks).unwrap(),
    };
    let tokens = wiring::tokens(&signing(&config), &config.auth);
    Application::build(&config, adapters, tokens).unwrap()
}

impl TestApp {
    /// A server the test started itself at `address`, on `db`.
    pub fn running_at(address: String, db: TestDatabase) -> Self {
        Self { address, metrics_address: None, client: reqwest::Client::new(), store: Store::Postgres(db) }
    }

    /// The app's database, to serve it from another instance.
    ///
    /// # Panics
    /// When the app runs on the in-memory adapter.
    pub fn into_db(self) -> TestDatabase {
        match self.store {
            Store::Postgres(db) => db,
            Store::Memory(_) => panic!("this test runs on the in-memory adapter"),
        }
    }

    /// The app's database.
    ///
    /// # Panics
    /// When the app runs on the in-memory adapter: such a test has no SQL to run.
    pub fn db(&self) -> &TestDatabase {
        match &self.store {
            Store::Postgres(db) => db,
            Store::Memory(_) => panic!("this test runs on the in-memory adapter"),
        }
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text:?}"));
        Answer { status, headers, body }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post(&self, path: &str, body: &Value, token: Option<&str>) -> Answer {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(self.url(path))).await
    }

    pub async fn get_as(&self, path: &str, token: &str) -> Answer {
        self.send(self.client.get(self.url(path)).header("Authorization", token)).await
    }

    pub async fn patch(&self, path: &str, body: &Value, token: &str) -> Answer {
        self.send(self.client.patch(self.url(path)).json(body).header("Authorization", token)).await
    }

    /// Registers `name@example.com` and logs in; returns the user id and a token.
    pub async fn user(&self, name: &str) -> (i64, String) {
        let email = format!("{name}@example.com");
        let registered = self
            .post(
                "/register",
                &json!({"email": email, "password": PASSWORD, "firstName": name, "lastName": "Test"}),
                None,
            )
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{registered:?}");
        let login = self.post("/login", &json!({"email": email, "password": PASSWORD}), None).await;
        assert_eq!(login.status, StatusCode::OK, "{login:?}");
        (registered.body["user"]["id"].as_i64().unwrap(), login.body["token"].as_str().unwrap().to_owned())
    }

    pub async fn event(&self, token: &str, seats: i64) -> i64 {
        let created = self.post("/initialize", &event_body(seats), Some(token)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.body["event"]["id"].as_i64().unwrap()
    }

    pub async fn book(&self, token: &str, event: i64) -> Answer {
        self.post("/book", &json!({"eventId": event}), Some(token)).await
    }
}

pub fn event_body(seats: i64) -> Value {
    json!({
        "name": "New Years Eve Party",
        "description": "A night of fun and games",
        "date": "2027-12-31",
        "location": "Colombo",
        "ticketLimit": seats,
        "price": 1000
    })
}

pub fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The error body every failure has: `{"error": message, "code": code}`.
pub fn assert_error(answer: &Answer, status: StatusCode, message: &str) {
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(answer.body["error"], message, "{answer:?}");
    assert!(answer.body["code"].is_string(), "{answer:?}");
}

/// base64url without padding, for hand-made tokens.
pub fn base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Another instance on `app`'s store (as a second server behind a balancer would be);
/// returns its address.
pub fn another_instance(app: &TestApp, overrides: &[(&str, &str)]) -> String {
    let instance = match &app.store {
        Store::Postgres(db) => build(db.url(), overrides),
        Store::Memory(store) => build_on_memory(store, overrides),
    };
    let address = format!("http://127.0.0.1:{}", instance.port());
    actix_web::rt::spawn(instance.run_until_stopped());
    address
}

impl TestApp {
    /// The same app's requests, sent to another instance at `address`.
    pub fn at(&self, address: &str) -> Instance<'_> {
        Instance { app: self, address: address.to_owned() }
    }
}

/// Requests to one instance of a multi-instance app.
pub struct Instance<'a> {
    app: &'a TestApp,
    address: String,
}

impl Instance<'_> {
    pub async fn post(&self, path: &str, body: &Value, token: &str) -> Answer {
        let request =
            self.app.client.post(format!("{}{path}", self.address)).json(body).header("Authorization", token);
        self.app.send(request).await
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.app.client.get(format!("{}{path}", self.address)).header("Authorization", token)
    }
}
