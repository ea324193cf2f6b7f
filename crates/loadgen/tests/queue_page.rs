//! The queue page (`GET /events/{id}/queue` for a browser) in a real browser: Debian's Chromium,
//! driven through chromedriver over the W3C WebDriver protocol, against an instance of the
//! service on a private PostgreSQL. A buyer third in line signs in through the page's form,
//! joins, watches the wait count down, reloads mid-wait and keeps the place, is admitted when
//! the room reaches it, books, and the page's console shows no error at any point.
//!
//! Needs `chromium` and `chromedriver` (Debian's `chromium` and `chromium-driver`; `.ci/run`
//! installs them). Without them the test is reported as ignored, saying so (the build script
//! sees them missing), and under CI (`CI` set), where they must be present, it fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use infra_postgres::test_support::TestDatabase;
use reqwest::Method;
use serde_json::{Value, json};

mod support;

use support::free_port;

/// Where Debian's `chromium` package puts the browser.
const CHROMIUM: &str = "/usr/bin/chromium";

/// Where Debian's `chromium-driver` package puts its WebDriver server.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The instance's Ed25519 key for admission tokens: base64 of the bytes 0 to 31.
const ADMISSION_SIGNING_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The key W3C WebDriver names an element reference by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// The Enter key, as WebDriver's key actions spell it.
const ENTER: char = '\u{E007}';

/// How long the page gets to show what a step waits for. The longest wait, for the admission,
/// is about 6 s.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// Every account's password.
const PASSWORD: &str = "a-browser-test-passphrase";

/// A chromedriver process, in a process group of its own and with a directory of its own as
/// `HOME` and `TMPDIR`, where it and Chromium keep profiles and crash reports. Dropping it (also
/// when the test panics) kills the whole group — a Chromium whose chromedriver was killed keeps
/// running otherwise — and removes the directory.
struct Driver {
    child: Child,
    dir: PathBuf,
    base: String,
}

impl Driver {
    async fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("ticketing-chromedriver-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("HOME", &dir)
            .env("TMPDIR", &dir)
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let driver = Self { child, dir, base: format!("http://127.0.0.1:{port}") };
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Ok(status) = http.get(format!("{}/status", driver.base)).send().await
                && status.json::<Value>().await.is_ok_and(|s| s["value"]["ready"] == true)
            {
                return driver;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One headless Chromium, spoken to in W3C WebDriver.
struct Browser {
    http: reqwest::Client,
    /// The session's URL: every command's prefix.
    session: String,
}

impl Browser {
    async fn open(driver: &Driver) -> Self {
        let http = reqwest::Client::new();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
            },
            // Keeps the page's console, read at the end through `se/log`.
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let session = command(&http, Method::POST, &format!("{}/session", driver.base), &capabilities).await;
        let id = session["sessionId"].as_str().unwrap();
        Self { session: format!("{}/session/{id}", driver.base), http }
    }

    async fn get(&self, path: &str) -> Value {
        command(&self.http, Method::GET, &format!("{}{path}", self.session), &Value::Null).await
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        command(&self.http, Method::POST, &format!("{}{path}", self.session), body).await
    }

    async fn go(&self, url: &str) {
        self.post("/url", &json!({"url": url})).await;
    }

    async fn reload(&self) {
        self.post("/refresh", &json!({})).await;
    }

    /// The element `css` selects (every element the test reads is always in the page; a hidden
    /// one reads as empty text and not displayed).
    async fn find(&self, css: &str) -> String {
        let found = self.post("/element", &json!({"using": "css selector", "value": css})).await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("/element/{element}/text")).await.as_str().unwrap().to_owned()
    }

    async fn displayed(&self, css: &str) -> bool {
        let element = self.find(css).await;
        self.get(&format!("/element/{element}/displayed")).await.as_bool().unwrap()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/click"), &json!({})).await;
    }

    /// Types `text` into the element, as the keyboard would (focusing it first).
    async fn keys(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.post(&format!("/element/{element}/value"), &json!({"text": text})).await;
    }

    /// The entries of the page's console so far.
    async fn console(&self) -> Vec<Value> {
        self.post("/se/log", &json!({"type": "browser"})).await.as_array().unwrap().clone()
    }

    async fn quit(self) {
        command(&self.http, Method::DELETE, &self.session, &Value::Null).await;
    }
}

/// One WebDriver command: the answer's `value`, or a panic with the driver's error.
async fn command(http: &reqwest::Client, method: Method, url: &str, body: &Value) -> Value {
    let mut request = http.request(method.clone(), url);
    if method == Method::POST {
        request = request.json(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let mut answer: Value = response.json().await.unwrap();
    assert!(status.is_success(), "WebDriver {method} {url}: {status} {answer}");
    answer["value"].take()
}

/// Waits until `probe` finds what it looks for; fails after [`STEP_TIMEOUT`], naming `what`.
async fn until<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(started.elapsed() < STEP_TIMEOUT, "the page never showed {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One call to the service's API: the status and the JSON body.
async fn call(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url).header("Accept", "application/json");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn register(http: &reqwest::Client, base: &str, email: &str) {
    let body = json!({"email": email, "password": PASSWORD, "firstName": "Queue", "lastName": "Tester"});
    let (status, answer) = call(http, Method::POST, &format!("{base}/register"), None, Some(body)).await;
    assert_eq!(status, 201, "registering {email}: {answer}");
}

/// Registers and signs in `email`: the login token.
async fn sign_up(http: &reqwest::Client, base: &str, email: &str) -> String {
    register(http, base, email).await;
    let body = json!({"email": email, "password": PASSWORD});
    let (status, answer) = call(http, Method::POST, &format!("{base}/login"), None, Some(body)).await;
    assert_eq!(status, 200, "signing in {email}: {answer}");
    answer["token"].as_str().unwrap().to_owned()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[actix_web::test]
#[cfg_attr(missing_chromium, ignore = "chromium is not installed: apt-get install chromium chromium-driver")]
async fn a_buyer_joins_in_chromium_keeps_the_place_across_a_reload_and_books_when_admitted() {
    for tool in [CHROMIUM, CHROMEDRIVER] {
        assert!(Path::new(tool).exists(), "{tool} is missing: apt-get install chromium chromium-driver");
    }
    let driver = Driver::start().await;
    let browser = Browser::open(&driver).await;
    let db = TestDatabase::new().await;
    let base = support::in_process(
        &db,
        1,
        b"a-queue-page-secret",
        &[("ADMISSION_SIGNING_KEY", ADMISSION_SIGNING_KEY)],
    )
    .await
    .remove(0);
    let http = reqwest::Client::new();

    let organizer = sign_up(&http, &base, "organizer@example.com").await;
    let event = json!({
        "name": "Queue page", "description": "A drop behind a waiting room", "date": "2027-12-31",
        "location": "Loopback", "ticketLimit": 10, "price": 10
    });
    let (status, created) =
        call(&http, Method::POST, &format!("{base}/initialize"), Some(&organizer), Some(event)).await;
    assert_eq!(status, 201, "{created}");
    let event = created["event"]["id"].as_i64().unwrap();
    let ahead =
        [sign_up(&http, &base, "first@example.com").await, sign_up(&http, &base, "second@example.com").await];
    register(&http, &base, "buyer@example.com").await;

    // The sale starts in 3 s, one admission a second: the buyer, third in line, is reached 6 s
    // from now, time enough to sign in, join and reload while still waiting.
    let now = Utc::now();
    let room = json!({
        "opensAt": rfc3339(now - TimeDelta::minutes(1)),
        "saleStartsAt": rfc3339(now + TimeDelta::seconds(3)),
        "admissionsPerSecond": 1,
    });
    let room_url = format!("{base}/events/{event}/waiting-room");
    let (status, answer) = call(&http, Method::PUT, &room_url, Some(&organizer), Some(room)).await;
    assert_eq!(status, 201, "{answer}");
    let queue = format!("{base}/events/{event}/queue");
    for (token, position) in ahead.iter().zip(1_u64..) {
        let (status, place) = call(&http, Method::POST, &queue, Some(token), None).await;
        assert_eq!((status, place["position"].as_u64()), (201, Some(position)), "{place}");
    }

    browser.go(&queue).await;
    until("the sign-in form", async || browser.displayed("#email").await.then_some(())).await;
    browser.keys("#email", "buyer@example.com").await;
    // Enter in the password field: the form is sent from the keyboard.
    browser.keys("#password", &format!("{PASSWORD}{ENTER}")).await;
    until("the join button once signed in", async || browser.displayed("#join").await.then_some(())).await;
    browser.click("#join").await;
    let position = until("a place", async || browser.text("#position").await.parse::<u64>().ok()).await;
    assert_eq!(position, 3, "two joined before the buyer");
    let status = browser.text("#status").await;
    assert!(status.contains("number 3"), "{status}");
    let eta = browser.text("#eta").await;
    until("the estimated wait counting down", async || (browser.text("#eta").await != eta).then_some(()))
        .await;

    browser.reload().await;
    let again =
        until("the place after the reload", async || browser.text("#position").await.parse::<u64>().ok())
            .await;
    assert_eq!(again, position, "the reload kept the place");
    assert!(
        !browser.displayed("#book").await,
        "the buyer was admitted before the reload had shown the place: the test needs it mid-wait"
    );
    let (_, room) = call(&http, Method::GET, &format!("{queue}/status"), None, None).await;
    assert_eq!(room["joined"], 3, "the reload took no second place: {room}");

    until("the admission", async || browser.displayed("#book").await.then_some(())).await;
    let status = browser.text("#status").await;
    assert!(status.starts_with("You're in"), "{status}");
    // Enter on the button: booking from the keyboard.
    browser.keys("#book", &ENTER.to_string()).await;
    let result = until("the booking's result", async || {
        Some(browser.text("#booking-result").await).filter(|text| !text.is_empty())
    })
    .await;
    assert!(result.contains("CONFIRMED"), "{result}");

    let console = browser.console().await;
    let errors: Vec<&Value> = console.iter().filter(|entry| entry["level"] == "SEVERE").collect();
    assert!(errors.is_empty(), "the page's console has errors: {errors:#?}");
    browser.quit().await;
}
