//! Notifications through HTTP: the feed, and live streams across instances.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, another_instance, assert_error, spawn_memory_app, spawn_memory_app_with};
use crate::sse::EventStream;

/// Polls the caller's feed until it holds `n` notifications (the listener publishes within
/// milliseconds of a commit; this allows for a slow machine).
async fn feed_of(app: &TestApp, token: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = app.get_as("/me/notifications?limit=100", token).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        let items = answer.body["notifications"].as_array().unwrap().clone();
        if items.len() >= n || Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn kinds(items: &[Value]) -> Vec<&str> {
    items.iter().map(|n| n["type"].as_str().unwrap()).collect()
}

#[actix_web::test]
async fn every_change_reaches_its_holders_feed_in_order() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, alice) = app.user("alice").await;
    let (bob_id, bob) = app.user("bob").await;
    let event = app.event(&organizer, 1).await;

    let seat = app.book(&alice, event).await.body["booking"]["id"].clone();
    let line = app.book(&bob, event).await.body["booking"]["id"].clone();
    assert_eq!(app.post("/cancel", &json!({"id": seat}), Some(&alice)).await.status, StatusCode::OK);
    let raised = app.patch(&format!("/events/{event}"), &json!({"ticketLimit": 2}), &organizer).await;
    assert_eq!(raised.status, StatusCode::OK);
    let called_off = app.post(&format!("/events/{event}/cancel"), &json!({}), Some(&organizer)).await;
    assert_eq!(called_off.status, StatusCode::OK);

    let alices = feed_of(&app, &alice, 2).await;
    assert_eq!(kinds(&alices), ["booking.confirmed", "booking.cancelled"]);
    assert!(alices.iter().all(|n| n["data"]["booking"]["id"] == seat));
    let bobs = feed_of(&app, &bob, 3).await;
    assert_eq!(kinds(&bobs), ["booking.waitlisted", "booking.promoted", "booking.cancelled"]);
    assert!(
        bobs.iter().all(|n| n["data"]["booking"]["id"] == line && n["data"]["booking"]["userId"] == bob_id)
    );
    let statuses: Vec<&Value> = bobs.iter().map(|n| &n["data"]["booking"]["status"]).collect();
    assert_eq!(statuses, [&json!("PENDING"), &json!("CONFIRMED"), &json!("CANCELLED")]);
    assert_eq!(bobs[0]["data"]["booking"]["waitlistPosition"], 1);
    let ids: Vec<i64> = bobs.iter().map(|n| n["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(bobs.iter().all(|n| n["createdAt"].is_string()));
    assert_eq!(feed_of(&app, &organizer, 0).await, Vec::<Value>::new(), "event notices go to webhooks");

    let first = app.get_as("/me/notifications?limit=1", &bob).await;
    assert_eq!(kinds(first.body["notifications"].as_array().unwrap()), ["booking.waitlisted"]);
    let after = first.body["nextAfter"].as_i64().unwrap();
    let rest = app.get_as(&format!("/me/notifications?after={after}"), &bob).await;
    assert_eq!(
        kinds(rest.body["notifications"].as_array().unwrap()),
        ["booking.promoted", "booking.cancelled"]
    );
    let last = rest.body["nextAfter"].as_i64().unwrap();
    let none = app.get_as(&format!("/me/notifications?after={last}"), &bob).await;
    assert_eq!(
        (none.body["notifications"].clone(), none.body["nextAfter"].clone()),
        (json!([]), Value::Null)
    );
}

#[actix_web::test]
async fn the_feed_refuses_bad_parameters_and_strangers() {
    let app = spawn_memory_app().await;
    let (_, user) = app.user("user").await;
    for query in ["after=-1", "after=x", "limit=0", "limit=101"] {
        let answer = app.get_as(&format!("/me/notifications?{query}"), &user).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}: {answer:?}");
    }
    assert_error(&app.get("/me/notifications").await, StatusCode::UNAUTHORIZED, "Access denied");
    assert_error(&app.get("/me/notifications/stream").await, StatusCode::UNAUTHORIZED, "Access denied");
    let bad_resume = app.client.get(app.url("/me/notifications/stream")).header("Authorization", &user);
    let answer = app.send(bad_resume.header("Last-Event-ID", "yesterday")).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
}

#[actix_web::test]
async fn a_stream_on_one_instance_sees_a_promotion_committed_through_another_within_a_second() {
    let app = spawn_memory_app().await;
    let other = another_instance(&app, &[]);
    let (_, organizer) = app.user("organizer").await;
    let (_, alice) = app.user("alice").await;
    let (_, bob) = app.user("bob").await;
    let event = app.event(&organizer, 1).await;
    let seat = app.book(&alice, event).await.body["booking"]["id"].clone();
    let line = app.book(&bob, event).await.body["booking"]["id"].clone();
    // A fresh stream starts after what is settled when it opens: wait for bob's first notice.
    feed_of(&app, &bob, 1).await;

    let mut stream = EventStream::new(
        app.client
            .get(app.url("/me/notifications/stream"))
            .header("Authorization", &bob)
            .send()
            .await
            .unwrap(),
    );
    let cancelled = app.at(&other).post("/cancel", &json!({"id": seat}), &alice).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let committed = Instant::now();

    let promoted = stream.next(Duration::from_secs(1)).await.expect("no event within a second of the commit");
    assert!(committed.elapsed() <= Duration::from_secs(1));
    assert_eq!(
        (promoted.kind.as_str(), &promoted.data["type"]),
        ("booking.promoted", &json!("booking.promoted"))
    );
    assert_eq!(promoted.data["data"]["booking"]["id"], line);
    assert_eq!(promoted.data["id"], promoted.id);
    drop(stream);

    // Missed while disconnected: the event called off (bob's booking ends), and a new booking.
    let called_off = app.at(&other).post(&format!("/events/{event}/cancel"), &json!({}), &organizer).await;
    assert_eq!(called_off.status, StatusCode::OK);
    let next_event = app.event(&organizer, 5).await;
    assert_eq!(
        app.at(&other).post("/book", &json!({"eventId": next_event}), &bob).await.status,
        StatusCode::CREATED
    );

    let resumed =
        app.at(&other).get("/me/notifications/stream", &bob).header("Last-Event-ID", promoted.id.to_string());
    let mut stream = EventStream::new(resumed.send().await.unwrap());
    let replayed = stream.drain(Duration::from_millis(1500)).await;
    let replayed: Vec<&str> = replayed.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(replayed, ["booking.cancelled", "booking.confirmed"], "exactly what was missed");
}

#[actix_web::test]
async fn a_quiet_stream_carries_heartbeats_and_a_fresh_one_starts_with_what_is_new() {
    let app = spawn_memory_app_with(&[("SSE_HEARTBEAT_MS", "100")]).await;
    let (_, organizer) = app.user("organizer").await;
    let (_, user) = app.user("user").await;
    let event = app.event(&organizer, 5).await;
    app.book(&user, event).await;
    feed_of(&app, &user, 1).await;

    let response = app.client.get(app.url("/me/notifications/stream")).header("Authorization", &user);
    let mut stream = EventStream::new(response.send().await.unwrap());
    assert!(stream.next(Duration::from_millis(500)).await.is_none(), "the past is not replayed");
    assert!(stream.comments.iter().filter(|c| *c == "keep-alive").count() >= 2, "{:?}", stream.comments);
    let cancelled = app.post("/cancel", &json!({"eventId": event}), Some(&user)).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    let live = stream.next(Duration::from_secs(1)).await.unwrap();
    assert_eq!(live.kind, "booking.cancelled");
}
