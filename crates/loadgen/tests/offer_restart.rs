//! Offers across a full stop: two `ticketing serve` processes on one database make an offer,
//! both stop before its deadline, and one starts again after it. Nothing ran at the deadline,
//! so nothing expired the offer; the restarted instance's first read still says `EXPIRED`
//! (the read compares the deadline with the database clock itself), and its sweeper passes
//! the seat on to the next in line — by the database's clock, not any instance's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use infra_postgres::test_support::TestDatabase;
use serde_json::{Value, json};

mod support;

use support::Instance;

const SWEEPER: (&str, &str) = ("OFFER_SWEEP_INTERVAL_MS", "200");

/// A client of one instance.
struct Client {
    http: reqwest::Client,
    base: String,
}

impl Client {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Registers and signs in `name`; returns the token.
    async fn user(&self, name: &str) -> String {
        let email = format!("{name}@example.com");
        let password = "a long passphrase here";
        let registration =
            json!({"email": email, "password": password, "firstName": name, "lastName": "Test"});
        self.call(reqwest::Method::POST, "/register", None, Some(registration)).await;
        let login = json!({"email": email, "password": password});
        let signed_in = self.call(reqwest::Method::POST, "/login", None, Some(login)).await;
        signed_in["token"].as_str().unwrap().to_owned()
    }

    async fn book(&self, token: &str, event: i64) -> Value {
        self.call(reqwest::Method::POST, "/book", Some(token), Some(json!({"eventId": event}))).await["booking"].clone()
    }

    async fn booking(&self, token: &str, booking: &Value) -> Value {
        self.call(reqwest::Method::GET, &format!("/bookings/{}", booking["id"]), Some(token), None).await["booking"]
            .clone()
    }
}

async fn started(env: &[(&str, &str)]) -> Instance {
    let mut instance = Instance::spawn(env);
    let ready = instance.ready().await;
    assert!(ready.is_ok(), "{ready:?}: {}", instance.stderr());
    instance
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_that_lapsed_while_every_instance_was_down_reads_expired_and_is_passed_on() {
    let db = TestDatabase::new().await;
    let env = [("DATABASE_URL", db.url()), SWEEPER];
    let instances = [started(&env).await, started(&env).await];
    let [one, two] = [0, 1].map(|i| Client { http: reqwest::Client::new(), base: instances[i].base.clone() });

    let organizer = one.user("organizer").await;
    let date = (Utc::now() + chrono::Duration::days(365)).format("%Y-%m-%d").to_string();
    let fields = json!({"name": "Drop", "description": "Offers", "date": date, "location": "Colombo",
                        "ticketLimit": 1, "price": 10, "promotion": "offer", "offerWindowSeconds": 10});
    let created = one.call(reqwest::Method::POST, "/initialize", Some(&organizer), Some(fields)).await;
    let event = created["event"]["id"].as_i64().unwrap();
    let (a, b, c) = (one.user("a").await, two.user("b").await, one.user("c").await);
    let held = one.book(&a, event).await;
    let b_booking = two.book(&b, event).await;
    let c_booking = one.book(&c, event).await;
    two.call(reqwest::Method::POST, "/cancel", Some(&a), Some(json!({"id": held["id"]}))).await;
    let offered = one.booking(&b, &b_booking).await;
    assert_eq!(offered["status"], "OFFERED", "{offered}");
    let deadline: DateTime<Utc> = offered["offerExpiresAt"].as_str().unwrap().parse().unwrap();

    drop(instances);
    let wait = (deadline - Utc::now()).to_std().unwrap_or_default() + Duration::from_secs(1);
    tokio::time::sleep(wait).await;

    let restarted = started(&env).await;
    let client = Client { http: reqwest::Client::new(), base: restarted.base.clone() };
    let first = client.booking(&b, &b_booking).await;
    assert_eq!((&first["status"], &first["offerExpiresAt"]), (&json!("EXPIRED"), &offered["offerExpiresAt"]));
    let since = Instant::now();
    loop {
        let now = client.booking(&c, &c_booking).await;
        if now["status"] == "OFFERED" {
            let next: DateTime<Utc> = now["offerExpiresAt"].as_str().unwrap().parse().unwrap();
            assert!(next > deadline + chrono::Duration::seconds(9), "a fresh window: {next}");
            break;
        }
        assert!(since.elapsed() < Duration::from_secs(2), "C was not offered within 2 s: {now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let violations = loadgen::sql::check_invariants(db.url(), event).await.unwrap();
    assert!(violations.is_empty(), "{violations:#?}");
}
