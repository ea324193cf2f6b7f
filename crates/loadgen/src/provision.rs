//! Accounts and events a scenario needs, created through the API before the clock starts.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

/// Transport failures are retried: provisioning is not what is measured. A retried
/// registration may find its first attempt succeeded (409); the login then says who it is.
async fn sign_up(api: &Api, n: usize, email: &str) -> anyhow::Result<Buyer> {
    let body = json!({"email": email, "password": PASSWORD, "firstName": "Load", "lastName": "Test"});
    let mut attempts = 0;
    let registered = loop {
        attempts += 1;
        let reply = api.post(n + attempts, "/register", &body, None).await;
        match reply.status {
            Err(_) if attempts < 3 => continue,
            Ok(201) => break reply.body["user"]["id"].as_i64(),
            Ok(409) if attempts > 1 => break None,
            _ => anyhow::bail!("registering {email}: {:?} {}", reply.status, reply.body),
        }
    };
    let login = loop {
        let reply = api.post(n, "/login", &json!({"email": email, "password": PASSWORD}), None).await;
        match reply.status {
            Err(_) if attempts < 6 => attempts += 1,
            Ok(200) => break reply.body,
            _ => anyhow::bail!("logging in {email}: {:?} {}", reply.status, reply.body),
        }
    };
    let token = login["token"].as_str().context("login answer without token")?.to_owned();
    let id = match registered {
        Some(id) => id,
        None => token_user_id(&token).context("the login token names no user")?,
    };
    Ok(Buyer { id, token })
}

/// The `id` claim of a token, read without verifying it (the server just issued it).
fn token_user_id(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<serde_json::Value>(&bytes).ok()?["id"].as_i64()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_id_is_read_from_a_token() {
        // {"alg":"HS256"} . {"id":42,"sub":"42"} . signature
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6NDIsInN1YiI6IjQyIn0.c2ln";
        assert_eq!(token_user_id(token), Some(42));
        assert_eq!(token_user_id("garbage"), None);
    }
}
