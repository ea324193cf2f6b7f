//! Every way a token can be wrong answers 401 "Access denied", like the original.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::json;
use ticketing::http::auth::{Claims, TokenService};

use crate::helpers::{SECRET, TestApp, assert_error, base64url, now, spawn_memory_app};

/// The `kid` the app gives tokens signed with `secret`.
fn key_id(secret: &str) -> String {
    TokenService::new(secret.as_bytes(), &[], Duration::from_secs(60)).key_ids()[0].to_owned()
}

fn sign(claims: &Claims, secret: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(key_id(secret));
    encode(&header, claims, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn claims(id: i64, issued: u64, expires: u64) -> Claims {
    Claims {
        id,
        sub: id.to_string(),
        email: "ada@example.com".to_owned(),
        iat: issued,
        exp: expires,
        jti: format!("{:032x}", u128::from(now()) << 20 | u128::try_from(id).unwrap()),
        r#gen: 0,
    }
}

async fn book_with(app: &TestApp, authorization: Option<&str>) -> crate::helpers::Answer {
    app.post("/book", &json!({"eventId": 1}), authorization).await
}

#[actix_web::test]
async fn the_originals_bare_header_and_the_bearer_scheme_both_work() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("ada").await;
    let event = app.event(&token, 5).await;

    let bare = app.post("/book", &json!({"eventId": event}), Some(&token)).await;
    let bearer = app.post("/cancel", &json!({"eventId": event}), Some(&format!("Bearer {token}"))).await;

    assert_eq!(bare.status, StatusCode::CREATED, "{bare:?}");
    assert_eq!(bearer.status, StatusCode::OK, "{bearer:?}");
}

#[actix_web::test]
async fn a_token_carries_the_originals_claims() {
    let app = spawn_memory_app().await;
    let (id, token) = app.user("ada").await;

    let key = jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes());
    let claims = jsonwebtoken::decode::<serde_json::Value>(
        &token,
        &key,
        &jsonwebtoken::Validation::new(Algorithm::HS256),
    )
    .unwrap()
    .claims;

    assert_eq!(claims["id"], json!(id));
    assert_eq!(claims["sub"], json!(id.to_string()));
    assert_eq!(claims["email"], json!("ada@example.com"));
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 3600);
}

#[actix_web::test]
async fn a_missing_or_malformed_header_is_refused() {
    let app = spawn_memory_app().await;
    for header in [None, Some(""), Some("Bearer"), Some("Basic YWRhOnB3"), Some("not-a-token")] {
        assert_error(&book_with(&app, header).await, StatusCode::UNAUTHORIZED, "Access denied");
    }
}

#[actix_web::test]
async fn a_tampered_token_is_refused() {
    let app = spawn_memory_app().await;
    let (id, token) = app.user("ada").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = base64url(json!({"id": id + 1, "sub": (id + 1).to_string(), "email": "x@y.z", "iat": now(), "exp": now() + 600}).to_string().as_bytes());

    assert_error(&book_with(&app, Some(&parts.join("."))).await, StatusCode::UNAUTHORIZED, "Access denied");
}

#[actix_web::test]
async fn a_token_signed_with_another_secret_is_refused() {
    let app = spawn_memory_app().await;
    let (id, _) = app.user("ada").await;
    let forged = sign(&claims(id, now(), now() + 600), "somebody-elses-secret");

    assert_error(&book_with(&app, Some(&forged)).await, StatusCode::UNAUTHORIZED, "Access denied");
}

#[actix_web::test]
async fn an_expired_token_is_refused() {
    let app = spawn_memory_app().await;
    let (id, _) = app.user("ada").await;
    let expired = sign(&claims(id, now() - 7200, now() - 3600), SECRET);

    assert_error(&book_with(&app, Some(&expired)).await, StatusCode::UNAUTHORIZED, "Access denied");
}

#[actix_web::test]
async fn a_correctly_signed_token_issued_in_the_future_or_living_too_long_is_refused() {
    let app = spawn_memory_app().await;
    let (id, _) = app.user("timeless").await;
    let from_the_future = sign(&claims(id, now() + 3600, now() + 4200), SECRET);
    let nearly_forever = sign(&claims(id, now(), now() + 10 * 365 * 24 * 3600), SECRET);
    let ordinary = sign(&claims(id, now(), now() + 600), SECRET);

    for token in [from_the_future, nearly_forever] {
        assert_error(&book_with(&app, Some(&token)).await, StatusCode::UNAUTHORIZED, "Access denied");
    }
    assert_ne!(book_with(&app, Some(&ordinary)).await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn an_unsigned_alg_none_token_is_refused() {
    let app = spawn_memory_app().await;
    let (id, _) = app.user("ada").await;
    let header = base64url(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = base64url(serde_json::to_string(&claims(id, now(), now() + 600)).unwrap().as_bytes());

    for token in [format!("{header}.{payload}."), format!("{header}.{payload}")] {
        assert_error(&book_with(&app, Some(&token)).await, StatusCode::UNAUTHORIZED, "Access denied");
    }
}

#[actix_web::test]
async fn a_valid_token_for_a_user_who_does_not_exist_is_refused() {
    let app = spawn_memory_app().await;
    let ghost = sign(&claims(424_242, now(), now() + 600), SECRET);

    assert_error(&book_with(&app, Some(&ghost)).await, StatusCode::UNAUTHORIZED, "Access denied");
}
