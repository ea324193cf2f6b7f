//! Sessions that end: logout, password change, and key rotation, on one instance and across
//! two.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    Answer, PASSWORD, TestApp, another_instance, assert_error, spawn_memory_app, spawn_memory_app_with,
};

async fn logout(app: &TestApp, address: &str, token: &str) -> StatusCode {
    app.client.post(format!("{address}/logout")).header("Authorization", token).send().await.unwrap().status()
}

async fn my_bookings(app: &TestApp, address: &str, token: &str) -> StatusCode {
    app.client
        .get(format!("{address}/me/bookings"))
        .header("Authorization", token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Polls until `token` is refused at `address`; returns how long that took.
async fn refused_within(app: &TestApp, address: &str, token: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let status = my_bookings(app, address, token).await;
        if status == StatusCode::UNAUTHORIZED {
            return start.elapsed();
        }
        assert_eq!(status, StatusCode::OK);
        assert!(start.elapsed() < limit, "still accepted after {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn login(app: &TestApp, name: &str, password: &str) -> Answer {
    app.post("/login", &json!({"email": format!("{name}@example.com"), "password": password}), None).await
}

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> Answer {
    app.post("/me/password", &json!({"currentPassword": current, "newPassword": new}), Some(token)).await
}

#[actix_web::test]
async fn a_logged_out_token_is_refused_and_the_users_other_tokens_still_act() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("ada").await;
    let other = login(&app, "ada", PASSWORD).await.body["token"].as_str().unwrap().to_owned();

    assert_eq!(logout(&app, &app.address, &token).await, StatusCode::NO_CONTENT);

    assert_eq!(my_bookings(&app, &app.address, &token).await, StatusCode::UNAUTHORIZED);
    assert_eq!(logout(&app, &app.address, &token).await, StatusCode::UNAUTHORIZED, "it cannot log out twice");
    assert_eq!(my_bookings(&app, &app.address, &other).await, StatusCode::OK);
}

#[actix_web::test]
async fn a_logout_holds_on_another_instance_within_a_second() {
    let app = spawn_memory_app().await;
    let second = another_instance(&app, &[]);
    let (_, token) = app.user("ada").await;
    assert_eq!(
        my_bookings(&app, &second, &token).await,
        StatusCode::OK,
        "known to the second instance first"
    );

    assert_eq!(logout(&app, &app.address, &token).await, StatusCode::NO_CONTENT);

    let took = refused_within(&app, &second, &token, Duration::from_secs(1)).await;
    println!("the second instance refused the logged-out token after {took:?}");
}

#[actix_web::test]
async fn a_password_change_ends_every_earlier_session_everywhere_and_returns_a_new_one() {
    let app = spawn_memory_app().await;
    let second = another_instance(&app, &[]);
    let (_, token) = app.user("ada").await;
    let elsewhere = login(&app, "ada", PASSWORD).await.body["token"].as_str().unwrap().to_owned();
    assert_eq!(my_bookings(&app, &second, &elsewhere).await, StatusCode::OK);

    let changed = change_password(&app, &token, PASSWORD, "a much better secret").await;

    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    let fresh = changed.body["token"].as_str().unwrap();
    assert_eq!(
        my_bookings(&app, &app.address, &token).await,
        StatusCode::UNAUTHORIZED,
        "this instance at once"
    );
    let took = refused_within(&app, &second, &elsewhere, Duration::from_secs(1)).await;
    println!("the second instance refused the pre-change token after {took:?}");
    assert_eq!(my_bookings(&app, &second, fresh).await, StatusCode::OK);
    assert_eq!(my_bookings(&app, &app.address, fresh).await, StatusCode::OK);
    assert_eq!(login(&app, "ada", PASSWORD).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(login(&app, "ada", "a much better secret").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_password_is_not_changed_without_the_current_one_or_to_a_weak_one() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("ada.lovelace").await;

    for (current, new, message) in [
        ("not-the-password", "a much better secret", "\"currentPassword\" is not the account's password"),
        (PASSWORD, "short", "\"newPassword\" length must be at least 8 characters long"),
        (PASSWORD, "Password", "\"newPassword\" is one of the most commonly used passwords; choose another"),
        (
            PASSWORD,
            "ada.lovelace-1815",
            "\"newPassword\" must not contain the name part of the email address",
        ),
    ] {
        let refused = change_password(&app, &token, current, new).await;
        assert_error(&refused, StatusCode::BAD_REQUEST, message);
    }
    let missing =
        app.post("/me/password", &json!({"newPassword": "a much better secret"}), Some(&token)).await;
    assert_error(&missing, StatusCode::BAD_REQUEST, "\"currentPassword\" is required");

    assert_eq!(my_bookings(&app, &app.address, &token).await, StatusCode::OK, "nothing was revoked");
    assert_eq!(login(&app, "ada.lovelace", PASSWORD).await.status, StatusCode::OK, "nothing was changed");
}

#[actix_web::test]
async fn registration_refuses_common_passwords_and_ones_containing_the_address() {
    let app = spawn_memory_app().await;
    for (email, password, message) in [
        (
            "grace@example.com",
            "12345678",
            "\"password\" is one of the most commonly used passwords; choose another",
        ),
        (
            "grace@example.com",
            "iloveyou",
            "\"password\" is one of the most commonly used passwords; choose another",
        ),
        (
            "grace.hopper@example.com",
            "Grace.Hopper.1906",
            "\"password\" must not contain the name part of the email address",
        ),
    ] {
        let refused = app
            .post(
                "/register",
                &json!({"email": email, "password": password, "firstName": "Grace", "lastName": "Hopper"}),
                None,
            )
            .await;
        assert_error(&refused, StatusCode::BAD_REQUEST, message);
    }
}

#[actix_web::test]
async fn a_rotated_key_still_verifies_its_tokens_and_an_unknown_key_id_is_refused() {
    let old_secret = "last-months-signing-secret";
    let new_secret = "this-months-signing-secret";
    let before = spawn_memory_app_with(&[("JWT_SECRET", old_secret)]).await;
    let (_, old_token) = before.user("ada").await;
    let rotated =
        another_instance(&before, &[("JWT_SECRET", new_secret), ("JWT_PREVIOUS_SECRETS", old_secret)]);
    let forgotten = another_instance(&before, &[("JWT_SECRET", new_secret)]);

    assert_eq!(my_bookings(&before, &rotated, &old_token).await, StatusCode::OK);
    assert_eq!(my_bookings(&before, &forgotten, &old_token).await, StatusCode::UNAUTHORIZED);
    let new_token = before
        .client
        .post(format!("{rotated}/login"))
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(my_bookings(&before, &forgotten, &new_token).await, StatusCode::OK);
    assert_eq!(
        my_bookings(&before, &before.address, &new_token).await,
        StatusCode::UNAUTHORIZED,
        "the old key's instance does not know the new key"
    );
}
