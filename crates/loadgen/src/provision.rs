//! Accounts and events a scenario needs, created through the API before the clock starts.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use argon2::{Argon2, PasswordHasher as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::json;

use crate::api::Api;
use crate::concurrency;

/// Every load-test account's password.
pub const PASSWORD: &str = "load-test-password";

/// Every load-test account's first and last name.
const NAME: (&str, &str) = ("Load", "Test");

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

/// How accounts are made before the clock starts.
#[derive(Debug, Clone, Copy)]
pub struct Provisioning<'a> {
    /// Registrations and logins at once.
    pub concurrency: usize,
    /// When given, accounts are written straight into this database (the service's), all
    /// with one Argon2id hash, and only logged in through the API: each account then costs
    /// one hash on the servers instead of two, which is most of a large stampede's set-up.
    pub database_url: Option<&'a str>,
}

impl Provisioning<'_> {
    /// One account at a time, through the API (an organizer).
    #[must_use]
    pub const fn one() -> Self {
        Self { concurrency: 1, database_url: None }
    }
}

/// Registers and logs in `count` users.
///
/// # Errors
/// When any registration or login fails (is rate limiting off on the server?).
pub async fn buyers(api: &Api, run: &str, count: usize, how: Provisioning<'_>) -> anyhow::Result<Vec<Buyer>> {
    let written = match how.database_url {
        Some(url) => Some(std::sync::Arc::new(write_accounts(url, run, count).await?)),
        None => None,
    };
    let (api, run) = (api.clone(), run.to_owned());
    let results = concurrency::run(count, how.concurrency, move |i| {
        let (api, email, written) = (api.clone(), email(&run, i), written.clone());
        async move {
            match written.as_ref().and_then(|ids| ids.get(i).copied()) {
                Some(id) => Ok(Buyer {
                    id,
                    token: log_in(&api, i, &email, 0).await?["token"]
                        .as_str()
                        .context("login answer without token")?
                        .to_owned(),
                }),
                None => sign_up(&api, i, &email).await,
            }
        }
    })
    .await?;
    results.into_iter().collect()
}

fn email(run: &str, i: usize) -> String {
    format!("load-{run}-{i}@example.com")
}

/// Inserts `count` accounts (the `i`-th at index `i`), every one with the same password hash.
async fn write_accounts(database_url: &str, run: &str, count: usize) -> anyhow::Result<Vec<i64>> {
    let hash = Argon2::default()
        .hash_password(PASSWORD.as_bytes())
        .map_err(|e| anyhow::anyhow!("hashing the load-test password: {e}"))?
        .to_string();
    let emails: Vec<String> = (0..count).map(|i| email(run, i)).collect();
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let (first_name, last_name) = NAME;
    let ids = infra_postgres::bench::write_accounts(&mut conn, &emails, first_name, last_name, &hash).await?;
    anyhow::ensure!(ids.len() == count, "wrote {} accounts of {count}", ids.len());
    Ok(ids)
}

/// Transport failures are retried: provisioning is not what is measured. A retried
/// registration may find its first attempt succeeded (409); the login then says who it is.
async fn sign_up(api: &Api, n: usize, email: &str) -> anyhow::Result<Buyer> {
    let (first_name, last_name) = NAME;
    let body = json!({"email": email, "password": PASSWORD, "firstName": first_name, "lastName": last_name});
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
    let login = log_in(api, n, email, attempts).await?;
    let token = login["token"].as_str().context("login answer without token")?.to_owned();
    let id = match registered {
        Some(id) => id,
        None => token_user_id(&token).context("the login token names no user")?,
    };
    Ok(Buyer { id, token })
}

/// A login, retried on transport errors and on 503 (the servers' hashing queue full).
async fn log_in(api: &Api, n: usize, email: &str, mut attempts: usize) -> anyhow::Result<serde_json::Value> {
    loop {
        let reply =
            api.post(n + attempts, "/login", &json!({"email": email, "password": PASSWORD}), None).await;
        attempts += 1;
        match reply.status {
            Ok(200) => return Ok(reply.body),
            Err(_) | Ok(503) if attempts < 20 => {
                tokio::time::sleep(std::time::Duration::from_millis(200)).await
            }
            _ => anyhow::bail!("logging in {email}: {:?} {}", reply.status, reply.body),
        }
    }
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
    create_event(api, organizer, &body).await
}

/// Creates an event with `capacity` seats in offer mode: a seat that frees up is offered to the
/// head of the line for `window_seconds`, and goes to the next in line if not accepted by then.
///
/// # Errors
/// When the service refuses (one without offers answers 400 naming `promotion`).
pub async fn offer_event(
    api: &Api,
    organizer: &Buyer,
    capacity: u32,
    window_seconds: u32,
) -> anyhow::Result<i64> {
    let body = json!({
        "name": "Load test", "description": "Offers with a deadline", "date": "2027-12-31",
        "location": "Loopback", "ticketLimit": capacity, "price": 10,
        "promotion": "offer", "offerWindowSeconds": window_seconds
    });
    create_event(api, organizer, &body).await
}

async fn create_event(api: &Api, organizer: &Buyer, body: &serde_json::Value) -> anyhow::Result<i64> {
    let created = api.post(0, "/initialize", body, Some(&organizer.token)).await;
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
