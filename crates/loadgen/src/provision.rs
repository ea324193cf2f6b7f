//! Accounts and events a scenario needs, created through the API before the clock starts.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::json;

use crate::api::Api;
use crate::concurrency;

/// Every load-test account's password.
pub const PASSWORD: &str = "load-test-password";

/// A registered, logged-in user.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub id: i64,
    pub token: String,
}

/// Distinguishes this run's accounts from earlier runs' on the same database.
#[must_use]
pub fn run_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    format!("{nanos:x}")
}

/// Registers and logs in `count` users, `concurrency` at a time.
///
/// # Errors
/// When any registration or login fails (is rate limiting off on the server?).
pub async fn buyers(api: &Api, run: &str, count: usize, concurrency: usize) -> anyhow::Result<Vec<Buyer>> {
    let (api, run) = (api.clone(), run.to_owned());
    let results = concurrency::run(count, concurrency, move |i| {
        let (api, email) = (api.clone(), format!("load-{run}-{i}@example.com"));
        async move { sign_up(&api, i, &email).await }
    })
    .await?;
    results.into_iter().collect()
}

async fn sign_up(api: &Api, n: usize, email: &str) -> anyhow::Result<Buyer> {
    let body = json!({"email": email, "password": PASSWORD, "firstName": "Load", "lastName": "Test"});
    let registered = api.post(n, "/register", &body, None).await;
    anyhow::ensure!(registered.is(201), "registering {email}: {:?} {}", registered.status, registered.body);
    let id = registered.body["user"]["id"].as_i64().context("registration answer without user.id")?;
    let login = api.post(n, "/login", &json!({"email": email, "password": PASSWORD}), None).await;
    anyhow::ensure!(login.is(200), "logging in {email}: {:?} {}", login.status, login.body);
    let token = login.body["token"].as_str().context("login answer without token")?.to_owned();
    Ok(Buyer { id, token })
}

/// Creates an event with `capacity` seats, organised by `organizer`.
///
/// # Errors
/// When the service refuses.
pub async fn event(api: &Api, organizer: &Buyer, capacity: u32) -> anyhow::Result<i64> {
    let body = json!({
        "name": "Load test", "description": "A hot drop", "date": "2027-12-31",
        "location": "Loopback", "ticketLimit": capacity, "price": 10
    });
    let created = api.post(0, "/initialize", &body, Some(&organizer.token)).await;
    anyhow::ensure!(created.is(201), "creating the event: {:?} {}", created.status, created.body);
    created.body["event"]["id"].as_i64().context("event answer without event.id")
}
