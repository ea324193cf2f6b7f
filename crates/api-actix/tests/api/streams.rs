//! A notification stream lives no longer than its session, on whichever instance holds it, and
//! a user's own changes are in their feed on the very next request.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    PASSWORD, TestApp, another_instance, spawn_app, spawn_memory_app, spawn_memory_app_with,
};
use crate::sse::EventStream;

async fn stream(app: &TestApp, address: &str, token: &str) -> EventStream {
    let response = app
        .client
        .get(format!("{address}/me/notifications/stream"))
        .header("Authorization", token)
        .send()
        .await
        .unwrap();
    EventStream::new(response)
}

#[actix_web::test]
async fn a_stream_ends_when_its_token_is_logged_out_through_another_instance() {
    let app = spawn_app().await;
    let other = another_instance(&app, &[]);
    let (_, token) = app.user("leaver").await;
    let mut open = stream(&app, &app.address, &token).await;

    let logged_out =
        app.client.post(format!("{other}/logout")).header("Authorization", &token).send().await.unwrap();
    assert_eq!(logged_out.status(), StatusCode::NO_CONTENT);

    let took = open.closed(Duration::from_secs(2)).await.expect("the stream outlived its logout");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(open.ended.as_deref(), Some("revoked"));
}

#[actix_web::test]
async fn a_stream_ends_when_its_user_changes_the_password_elsewhere() {
    let app = spawn_memory_app().await;
    let other = another_instance(&app, &[]);
    let (_, token) = app.user("changer").await;
    let mut open = stream(&app, &other, &token).await;

    let body = json!({"currentPassword": PASSWORD, "newPassword": "a different long secret"});
    let changed = app.post("/me/password", &body, Some(&token)).await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");

    let took = open.closed(Duration::from_secs(2)).await.expect("the stream outlived the password change");
    assert!(took < Duration::from_secs(1), "{took:?}");
    assert_eq!(open.ended.as_deref(), Some("revoked"));
    let fresh = changed.body["token"].as_str().unwrap();
    let mut reopened = stream(&app, &other, fresh).await;
    assert_eq!(reopened.closed(Duration::from_millis(300)).await, None, "the new session's stream stays");
}

#[actix_web::test]
async fn a_stream_ends_when_its_token_expires() {
    let app = spawn_memory_app_with(&[("JWT_TTL", "2")]).await;
    let (_, token) = app.user("short").await;
    let mut open = stream(&app, &app.address, &token).await;

    let took = open.closed(Duration::from_secs(4)).await.expect("the stream outlived its token");
    assert!(took <= Duration::from_millis(2500), "{took:?}");
    assert_eq!(open.ended.as_deref(), Some("expired"));
}

#[actix_web::test]
async fn one_stream_more_than_the_cap_ends_the_oldest_so_a_dropped_client_reconnects_at_once() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("tabs").await;
    let mut first = stream(&app, &app.address, &token).await;
    let mut rest = Vec::new();
    for _ in 1..8 {
        rest.push(stream(&app, &app.address, &token).await);
    }

    let ninth = stream(&app, &app.address, &token).await;

    assert!(first.closed(Duration::from_secs(1)).await.is_some(), "the oldest stream ended");
    assert_eq!(first.ended.as_deref(), Some("superseded"));
    for open in &mut rest {
        assert_eq!(open.closed(Duration::from_millis(50)).await, None, "the others stay");
    }
    drop(ninth);
}

async fn own_notice_on_the_next_request(app: &TestApp) {
    let (_, organizer) = app.user("organizer").await;
    let (_, buyer) = app.user("buyer").await;
    for round in 0..10 {
        let event = app.event(&organizer, 5).await;
        let booked = app.book(&buyer, event).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{booked:?}");
        let feed = app.get_as("/me/notifications?limit=100", &buyer).await;
        let kinds: Vec<(&str, i64)> = feed.body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| (n["type"].as_str().unwrap(), n["data"]["booking"]["eventId"].as_i64().unwrap()))
            .collect();
        assert!(kinds.contains(&("booking.confirmed", event)), "round {round}: {kinds:?}");
    }
}

#[actix_web::test]
async fn a_users_own_booking_is_in_their_feed_on_the_next_request_on_postgres() {
    own_notice_on_the_next_request(&spawn_app().await).await;
}

#[actix_web::test]
async fn a_users_own_booking_is_in_their_feed_on_the_next_request_in_memory() {
    own_notice_on_the_next_request(&spawn_memory_app().await).await;
}
