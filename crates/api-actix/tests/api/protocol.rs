//! What every endpoint shares: the error shape, body limits, request ids, rate limiting.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_memory_app, spawn_memory_app_with};

#[actix_web::test]
async fn a_body_over_64_kib_is_413_in_json() {
    let app = spawn_memory_app().await;
    let huge = json!({"email": "a@b.com", "password": "x".repeat(70 * 1024)});

    let answer = app.post("/login", &huge, None).await;

    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{answer:?}");
    assert_eq!(answer.body["code"], "payload_too_large");
}

#[actix_web::test]
async fn a_body_that_is_not_json_is_400_and_a_wrong_content_type_415() {
    let app = spawn_memory_app().await;
    let garbled =
        app.client.post(app.url("/login")).header("Content-Type", "application/json").body("{not json");
    let form = app.client.post(app.url("/login")).header("Content-Type", "text/plain").body("email=a@b.com");
    let scalar = app.client.post(app.url("/login")).json(&json!("hello"));

    let garbled = app.send(garbled).await;
    let form = app.send(form).await;
    let scalar = app.send(scalar).await;

    assert_eq!((garbled.status, &garbled.body["code"]), (StatusCode::BAD_REQUEST, &json!("invalid_request")));
    assert_eq!(
        (form.status, &form.body["code"]),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, &json!("unsupported_media_type"))
    );
    assert_error(&scalar, StatusCode::BAD_REQUEST, "\"value\" must be of type object");
}

#[actix_web::test]
async fn unknown_routes_and_wrong_methods_answer_in_json() {
    let app = spawn_memory_app().await;

    let unknown = app.get("/nowhere").await;
    let wrong_method = app.get("/login").await;
    let wrong_method_on_status = app.send(app.client.delete(app.url("/status/1"))).await;

    assert_error(&unknown, StatusCode::NOT_FOUND, "No route for GET /nowhere");
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED, "{wrong_method:?}");
    assert_eq!(wrong_method_on_status.status, StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn every_response_carries_a_request_id_echoing_the_clients() {
    let app = spawn_memory_app().await;

    let generated = app.get("/status/1").await;
    let echoed = app.send(app.client.get(app.url("/status/1")).header("x-request-id", "trace-42")).await;
    let hostile = app.send(app.client.get(app.url("/nowhere")).header("x-request-id", "a b\tc")).await;

    let generated = generated.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");
    assert_eq!(echoed.headers["x-request-id"], "trace-42");
    assert_ne!(hostile.headers["x-request-id"], "a b\tc");
}

#[actix_web::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let app = spawn_memory_app_with(&[("RATE_LIMIT_PER_SECOND", "1"), ("RATE_LIMIT_BURST", "3")]).await;

    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(app.get("/status/1").await);
    }

    assert!(answers[..3].iter().all(|a| a.status == StatusCode::NOT_FOUND), "the burst passes: {answers:?}");
    let limited = &answers[4];
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "Too many requests");
    let retry: u64 = limited.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    assert!(limited.headers.contains_key("x-request-id"));
}
