//! Rate limits that fit clients: a budget per user, per client address without a token (the
//! proxy's forwarded address only when the proxy is trusted), a stricter one for signing in, and
//! the budget's state on every answer.

use std::net::IpAddr;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, spawn_memory_app_with};

async fn my_bookings(app: &TestApp, token: &str) -> reqwest::Response {
    app.client.get(app.url("/me/bookings")).header("Authorization", token).send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned())
}

#[actix_web::test]
async fn each_user_has_a_budget_of_their_own_and_sees_it_in_the_headers() {
    let app = spawn_memory_app_with(&[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "5")]).await;
    let (_, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;

    let mut remaining = Vec::new();
    for _ in 0..5 {
        let answer = my_bookings(&app, &ada).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(header(&answer, "ratelimit-limit").as_deref(), Some("5"));
        remaining.push(header(&answer, "ratelimit-remaining").unwrap().parse::<u32>().unwrap());
    }
    let refused = my_bookings(&app, &ada).await;
    let other = my_bookings(&app, &bob).await;

    assert!(remaining.windows(2).all(|w| w[1] <= w[0]), "{remaining:?}");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header(&refused, "retry-after").is_some());
    assert_eq!(header(&refused, "ratelimit-remaining").as_deref(), Some("0"));
    assert_eq!(other.status(), StatusCode::OK, "bob shares ada's address, not her budget");
}

#[actix_web::test]
async fn a_revoked_token_draws_on_its_senders_address_not_on_its_users_budget() {
    let app = spawn_memory_app_with(&[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "5")]).await;
    let (_, leaked) = app.user("ada").await;
    let again = app.post("/login", &json!({"email": "ada@example.com", "password": PASSWORD}), None).await;
    let fresh = again.body["token"].as_str().unwrap().to_owned();
    let logout = app.client.post(app.url("/logout")).header("Authorization", &leaked).send().await.unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    // Whoever holds the leaked token now sends it again and again, from another address.
    let elsewhere = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, 11])).build().unwrap();
    let mut replayed = Vec::new();
    for _ in 0..8 {
        let answer =
            elsewhere.get(app.url("/me/bookings")).header("Authorization", &leaked).send().await.unwrap();
        replayed.push(answer.status());
    }
    let owner = my_bookings(&app, &fresh).await;

    assert!(replayed.iter().all(|s| [401, 429].contains(&s.as_u16())), "{replayed:?}");
    assert_eq!(replayed.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "its address's budget: {replayed:?}");
    assert_eq!(owner.status(), StatusCode::OK, "the user's own budget is untouched");
}

async fn status_from(app: &TestApp, forwarded_for: &str) -> StatusCode {
    app.client
        .get(app.url("/status/1"))
        .header("X-Forwarded-For", forwarded_for)
        .send()
        .await
        .unwrap()
        .status()
}

#[actix_web::test]
async fn a_trusted_proxys_forwarded_address_has_its_own_budget_and_an_untrusted_one_counts_for_nothing() {
    let limits = [("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "3")];
    let behind_proxy =
        spawn_memory_app_with(&[limits[0], limits[1], ("TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    let direct = spawn_memory_app_with(&limits).await;

    for app in [&behind_proxy, &direct] {
        for _ in 0..3 {
            assert_ne!(status_from(app, "198.51.100.1").await, StatusCode::TOO_MANY_REQUESTS);
        }
        assert_eq!(status_from(app, "198.51.100.1").await, StatusCode::TOO_MANY_REQUESTS);
    }
    assert_ne!(status_from(&behind_proxy, "198.51.100.2").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        status_from(&direct, "198.51.100.2").await,
        StatusCode::TOO_MANY_REQUESTS,
        "without TRUSTED_PROXIES the header is the client's own claim"
    );
}

#[actix_web::test]
async fn a_client_cannot_pick_its_address_with_a_line_of_its_own_above_the_proxys() {
    let app = spawn_memory_app_with(&[
        ("RATE_LIMIT_PER_SECOND", "1"),
        ("RATE_LIMIT_BURST", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;

    let mut statuses = Vec::new();
    for forged in 1..=6 {
        // The client's own line first, then the line its proxy added (HAProxy's forwardfor).
        let answer = app
            .client
            .get(app.url("/status/1"))
            .header("X-Forwarded-For", format!("203.0.113.{forged}"))
            .header("X-Forwarded-For", "198.51.100.1")
            .send()
            .await
            .unwrap();
        statuses.push(answer.status());
    }

    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert!(refused >= 2, "every forged line made a new client: {statuses:?}");
}

/// A `/login` for `email` from `source` (any address of 127/8 reaches loopback).
async fn login_from(app: &TestApp, source: u8, email: &str, password: &str) -> StatusCode {
    let client = reqwest::Client::builder().local_address(IpAddr::from([127, 0, 0, source])).build().unwrap();
    let body = json!({"email": email, "password": password});
    client.post(app.url("/login")).json(&body).send().await.unwrap().status()
}

/// Sign-in budgets of three failures per account and address, fifteen per account.
async fn strict_sign_in() -> TestApp {
    let app = spawn_memory_app_with(&[
        ("RATE_LIMIT_PER_SECOND", "100"),
        ("RATE_LIMIT_BURST", "100"),
        ("SIGN_IN_PER_MINUTE", "1"),
        ("SIGN_IN_BURST", "3"),
    ])
    .await;
    app.user("target").await;
    app
}

#[actix_web::test]
async fn an_address_guessing_a_password_is_stopped_before_it_is_checked_and_the_owner_signs_in() {
    let app = strict_sign_in().await;
    let target = "target@example.com";

    let mut guesses = Vec::new();
    for guess in ["guess-one", "guess-two", "guess-three", PASSWORD] {
        guesses.push(login_from(&app, 21, target, guess).await);
    }
    let mut owner = Vec::new();
    for _ in 0..4 {
        owner.push(login_from(&app, 22, target, PASSWORD).await);
    }
    let other_account = login_from(&app, 21, "other@example.com", "guess-one").await;

    use StatusCode as S;
    assert_eq!(
        guesses,
        [S::UNAUTHORIZED, S::UNAUTHORIZED, S::UNAUTHORIZED, S::TOO_MANY_REQUESTS],
        "not checked"
    );
    assert_eq!(
        owner,
        [S::OK; 4],
        "another address's failures are not the owner's, and success costs nothing"
    );
    assert_eq!(other_account, S::UNAUTHORIZED, "each account has its own budget per address");
}

#[actix_web::test]
async fn a_guessing_storm_over_many_addresses_never_locks_the_owner_out_but_slows_the_guessers() {
    let app = strict_sign_in().await;
    let target = "target@example.com";

    // Five addresses, each within its own budget of three: fifteen failures, the account's.
    let mut storm = Vec::new();
    for source in 30..35 {
        for guess in ["guess-one", "guess-two", "guess-three"] {
            storm.push(login_from(&app, source, target, guess).await);
        }
    }
    let owner = login_from(&app, 40, target, PASSWORD).await;
    let newcomer =
        [login_from(&app, 41, target, "guess-one").await, login_from(&app, 41, target, "guess-two").await];

    assert!(storm.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{storm:?}");
    assert_eq!(owner, StatusCode::OK, "the owner's correct password is always checked");
    assert_eq!(
        newcomer,
        [StatusCode::UNAUTHORIZED, StatusCode::TOO_MANY_REQUESTS],
        "while the account is under attack, one failure locks its address out"
    );
}
