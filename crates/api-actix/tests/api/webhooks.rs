//! Webhooks end to end: real receivers on loopback, signatures checked by an implementation of
//! the Standard Webhooks rule written here (not the service's), retries, takeover of a dead
//! instance's delivery, and a churn across two instances.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hmac::{Hmac, Mac};
use infra_postgres::test_support::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{
    SECRET, TestApp, another_instance, assert_error, now, serve, spawn_app, spawn_app_with, spawn_memory_app,
    spawn_memory_app_with,
};
use crate::receiver::{Received, Receiver, Reply};

const PRIVATE_OK: (&str, &str) = ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true");
const QUICK_RETRIES: (&str, &str) = ("WEBHOOK_RETRY_BASE_MS", "100");

/// The specification's rule: HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed by the base64
/// after `whsec_`, base64 after `v1,`; one of the space-separated signatures must match.
fn signed_by(secret: &str, request: &Received) -> bool {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    let (id, timestamp) = (&request.headers["webhook-id"], &request.headers["webhook-timestamp"]);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&request.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    let fresh = timestamp.parse::<u64>().unwrap().abs_diff(now()) < 300;
    fresh && request.headers["webhook-signature"].split(' ').any(|s| s == expected)
}

fn body(request: &Received) -> Value {
    serde_json::from_slice(&request.body).unwrap()
}

/// The webhook's delivery log once it shows `n` attempts (an attempt is recorded just after
/// the receiver answers).
async fn log_of(app: &TestApp, token: &str, webhook: i64, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let log = app.get_as(&format!("/webhooks/{webhook}/deliveries"), token).await;
        assert_eq!(log.status, StatusCode::OK, "{log:?}");
        let attempts = log.body["deliveries"].as_array().unwrap().clone();
        if attempts.len() >= n || std::time::Instant::now() > deadline {
            return attempts;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn subscribe(app: &TestApp, token: &str, body: &Value) -> (i64, String) {
    let created = app.post("/webhooks", body, Some(token)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    (created.body["webhook"]["id"].as_i64().unwrap(), created.body["secret"].as_str().unwrap().to_owned())
}

#[actix_web::test]
async fn a_receiver_that_fails_twice_gets_the_same_signed_delivery_three_times() {
    let app = spawn_app_with(&[PRIVATE_OK, QUICK_RETRIES]).await;
    let receiver = Receiver::start(&[Reply::Status(500), Reply::Status(500)]);
    let (_, organizer) = app.user("organizer").await;
    let (buyer_id, buyer) = app.user("buyer").await;
    let event = app.event(&organizer, 5).await;
    let (webhook, secret) =
        subscribe(&app, &organizer, &json!({"url": receiver.url, "types": ["booking.confirmed"]})).await;
    assert!(secret.starts_with("whsec_"));

    let booking = app.book(&buyer, event).await.body["booking"]["id"].clone();
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;

    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| signed_by(&secret, r)), "every attempt is signed");
    let ids: HashSet<&String> = got.iter().map(|r| &r.headers["webhook-id"]).collect();
    assert_eq!(ids.len(), 1, "one webhook-id on every retry: {ids:?}");
    assert!(got.iter().all(|r| r.headers["content-type"] == "application/json"));
    let notification = body(&got[2]);
    assert_eq!(notification["type"], "booking.confirmed");
    assert_eq!(notification["data"]["booking"]["id"], booking);
    assert_eq!(notification["data"]["booking"]["userId"], buyer_id);
    assert!(got[1].at - got[0].at >= Duration::from_millis(100), "the first retry waits the base delay");

    let attempts = log_of(&app, &organizer, webhook, 3).await;
    let codes: Vec<&Value> = attempts.iter().map(|a| &a["statusCode"]).collect();
    assert_eq!(codes, [&json!(200), &json!(500), &json!(500)], "newest first: {attempts:?}");
    assert_eq!(attempts[0]["nextAttemptAt"], Value::Null);
    assert!(attempts[1]["nextAttemptAt"].is_string() && attempts[1]["error"].is_string());
    assert!(attempts.iter().all(|a| a["notificationId"] == notification["id"]));
}

#[actix_web::test]
async fn a_webhook_is_its_organizers_alone_and_private_targets_are_refused_by_default() {
    let strict = spawn_app().await;
    let (_, someone) = strict.user("someone").await;
    for url in ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://[::1]/", "http://10.0.0.1/"] {
        let refused = strict.post("/webhooks", &json!({"url": url}), Some(&someone)).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{url}: {refused:?}");
        assert!(refused.body["error"].as_str().unwrap().starts_with("\"url\""), "{refused:?}");
    }

    let app = spawn_app_with(&[PRIVATE_OK]).await;
    let (_, organizer) = app.user("organizer").await;
    let (_, stranger) = app.user("stranger").await;
    let event = app.event(&organizer, 5).await;
    let theirs = app
        .post("/webhooks", &json!({"url": "http://127.0.0.1:9/", "eventId": event}), Some(&stranger))
        .await;
    assert_error(&theirs, StatusCode::FORBIDDEN, "Access denied");
    let unknown = app
        .post("/webhooks", &json!({"url": "http://127.0.0.1:9/", "eventId": event + 99}), Some(&organizer))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{unknown:?}");

    let (webhook, _) =
        subscribe(&app, &organizer, &json!({"url": "http://127.0.0.1:9/", "eventId": event})).await;
    let listed = app.get_as("/webhooks", &organizer).await;
    assert_eq!(listed.body["webhooks"][0]["id"], webhook);
    assert_eq!(listed.body["webhooks"][0]["eventId"], event);
    assert!(listed.body["webhooks"][0].get("secret").is_none(), "{listed:?}");
    assert_eq!(app.get_as("/webhooks", &stranger).await.body["webhooks"], json!([]));
    let not_theirs = app.get_as(&format!("/webhooks/{webhook}/deliveries"), &stranger).await;
    assert_error(&not_theirs, StatusCode::NOT_FOUND, &format!("Webhook with ID {webhook} not found"));
    let delete = |token: &str| {
        app.client.delete(app.url(&format!("/webhooks/{webhook}"))).header("Authorization", token).send()
    };
    assert_eq!(delete(&stranger).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(delete(&organizer).await.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_as(&format!("/webhooks/{webhook}/deliveries"), &organizer).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The addresses the previous filter let through (issue "Promises kept to the letter", 3), and
/// URLs with a port of 0 or a bidirectional override (8): each a 400 naming the field, and
/// nothing stored.
#[actix_web::test]
async fn embedded_internal_addresses_reserved_ranges_port_zero_and_bidi_overrides_are_refused() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("organizer").await;
    for url in [
        "http://[::127.0.0.1]/",
        "http://[::a9fe:a9fe]/",
        "http://[64:ff9b::127.0.0.1]/",
        "http://[2002:7f00:1::]/",
        "http://198.18.0.1/",
        "http://240.0.0.1/",
        "http://[fec0::1]/",
        "http://[100::1]/",
        "http://[2001:db8::1]/",
    ] {
        let refused = app.post("/webhooks", &json!({"url": url}), Some(&organizer)).await;
        assert_error(&refused, StatusCode::BAD_REQUEST, REFUSED_TARGET);
    }
    for (url, problem) in [
        ("https://example.com:0/hook", "a webhook URL's port is a number from 1 to 65535"),
        (
            "https://example.com/\u{202e}gnp.exe",
            "a webhook URL names a host and has no spaces, control or formatting characters",
        ),
    ] {
        let refused = app.post("/webhooks", &json!({"url": url}), Some(&organizer)).await;
        assert_error(&refused, StatusCode::BAD_REQUEST, &format!("\"url\" is invalid: {problem}"));
    }
    assert_eq!(app.get_as("/webhooks", &organizer).await.body["webhooks"], json!([]));
}

/// `WEBHOOKS_PER_USER` caps an organizer's webhooks: one more is a 409 with its own code and
/// stores nothing; deleting one makes room; another organizer's count is their own.
#[actix_web::test]
async fn an_organizer_past_the_webhook_cap_is_refused_until_one_is_deleted() {
    let app = spawn_memory_app_with(&[PRIVATE_OK, ("WEBHOOKS_PER_USER", "2")]).await;
    let (_, organizer) = app.user("organizer").await;
    let (_, other) = app.user("other").await;
    let hook = |n: u32| json!({"url": format!("http://127.0.0.1:9/{n}")});
    let (first, _) = subscribe(&app, &organizer, &hook(1)).await;
    subscribe(&app, &organizer, &hook(2)).await;

    let refused = app.post("/webhooks", &hook(3), Some(&organizer)).await;
    assert_error(
        &refused,
        StatusCode::CONFLICT,
        "An organizer may have at most 2 webhooks; delete one to add another",
    );
    assert_eq!(refused.body["code"], "webhook_limit_reached");
    assert_eq!(app.get_as("/webhooks", &organizer).await.body["webhooks"].as_array().unwrap().len(), 2);
    subscribe(&app, &other, &hook(4)).await;
    let deleted =
        app.client.delete(app.url(&format!("/webhooks/{first}"))).header("Authorization", &organizer);
    assert_eq!(deleted.send().await.unwrap().status(), StatusCode::NO_CONTENT);
    subscribe(&app, &organizer, &hook(3)).await;
}

/// One organizer's silent receivers delay nobody else's deliveries ("Hostile traffic", 3): an
/// organizer with 40 webhooks to a receiver that accepts and never answers edits their event
/// twice — 80 deliveries, each hanging for the whole 10 s timeout, 64 of them (their share)
/// posted — and another organizer's delivery still arrives within 2 s. Before, a round claimed the 64 oldest due deliveries and
/// waited for all of them: the other organizer's waited the full timeout behind them.
#[actix_web::test]
async fn silent_receivers_of_one_organizer_delay_nobody_elses_delivery() {
    let app = spawn_app_with(&[PRIVATE_OK, ("WEBHOOKS_PER_USER", "40")]).await;
    let silent = Receiver::start(&[Reply::Hang; 256]);
    let honest = Receiver::start(&[]);
    let (_, attacker) = app.user("attacker").await;
    let (_, organizer) = app.user("organizer").await;
    let (_, buyer) = app.user("buyer").await;
    let theirs = app.event(&attacker, 5).await;
    let event = app.event(&organizer, 5).await;
    for _ in 0..40 {
        subscribe(&app, &attacker, &json!({"url": silent.url})).await;
    }
    subscribe(&app, &organizer, &json!({"url": honest.url, "types": ["booking.confirmed"]})).await;

    for limit in [6, 7] {
        assert_eq!(
            app.patch(&format!("/events/{theirs}"), &json!({"ticketLimit": limit}), &attacker).await.status,
            StatusCode::OK
        );
    }
    silent.wait_for(64, Duration::from_secs(5)).await;
    app.book(&buyer, event).await;
    let booked = std::time::Instant::now();
    let got = honest.wait_for(1, Duration::from_secs(2)).await;

    assert!(got[0].at - booked < Duration::from_secs(2), "{:?}", got[0].at - booked);
    assert_eq!(silent.received().len(), 64, "the attacker holds their share of the workers, no more");
}

/// A receiver that keeps failing trips its webhook's breaker: after two failures in a row
/// (`WEBHOOK_BREAKER_FAILURES=2`) nothing more is posted for the pause, which the listing and
/// the deliveries log show. Without it, a retry came every 100 ms, 200 ms, 400 ms, …
#[actix_web::test]
async fn a_receiver_that_keeps_failing_is_left_alone_for_a_while_and_the_listing_says_so() {
    let app = spawn_app_with(&[PRIVATE_OK, QUICK_RETRIES, ("WEBHOOK_BREAKER_FAILURES", "2")]).await;
    let failing = Receiver::start(&[Reply::Status(500); 64]);
    let (_, organizer) = app.user("organizer").await;
    let (_, buyer) = app.user("buyer").await;
    let event = app.event(&organizer, 5).await;
    let (webhook, _) = subscribe(&app, &organizer, &json!({"url": failing.url})).await;
    app.book(&buyer, event).await;

    failing.wait_for(2, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;

    assert_eq!(failing.received().len(), 2, "nothing more while the breaker is open");
    let listed = app.get_as("/webhooks", &organizer).await.body["webhooks"][0].clone();
    assert_eq!(listed["consecutiveFailures"], 2, "{listed}");
    let paused_until = listed["pausedUntil"].as_str().unwrap().to_owned();
    let attempts = log_of(&app, &organizer, webhook, 2).await;
    assert_eq!(attempts[0]["nextAttemptAt"], paused_until.as_str(), "the log shows the pause: {attempts:?}");
    let until = chrono::DateTime::parse_from_rfc3339(&paused_until).unwrap();
    let pause = until.signed_duration_since(chrono::Utc::now());
    assert!(pause > chrono::TimeDelta::seconds(50), "a minute by default: {pause}");
}

/// The one answer for a target deliveries may not go to, whatever the reason.
const REFUSED_TARGET: &str = "\"url\" does not resolve to a public address";

/// Webhooks are no network oracle: an internal name and one that does not resolve are refused
/// in the same words, and a delivery that cannot connect is logged as `unreachable`, without
/// the system's message (which port refused, which route is missing).
#[actix_web::test]
async fn refused_targets_read_alike_and_the_log_shows_classes_not_the_transports_words() {
    let strict = spawn_memory_app().await;
    let (_, someone) = strict.user("someone").await;
    for url in ["http://localhost/hook", "http://no-such-host.invalid/hook", "http://[::ffff:10.0.0.1]/"] {
        let refused = strict.post("/webhooks", &json!({"url": url}), Some(&someone)).await;
        assert_error(&refused, StatusCode::BAD_REQUEST, REFUSED_TARGET);
    }

    let app = spawn_app_with(&[PRIVATE_OK, QUICK_RETRIES]).await;
    let (_, organizer) = app.user("organizer").await;
    let (_, buyer) = app.user("buyer").await;
    let event = app.event(&organizer, 5).await;
    let closed = free_port();
    let (webhook, _) =
        subscribe(&app, &organizer, &json!({"url": format!("http://127.0.0.1:{closed}/")})).await;
    app.book(&buyer, event).await;

    let attempts = log_of(&app, &organizer, webhook, 1).await;
    assert_eq!(attempts[0]["error"], "unreachable", "{attempts:?}");
    assert_eq!(attempts[0]["statusCode"], Value::Null);
    let shown = serde_json::to_string(&attempts).unwrap();
    assert!(!shown.contains("os error") && !shown.contains("refused"), "{shown}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[actix_web::test]
async fn a_delivery_claimed_by_an_instance_that_dies_is_delivered_by_another() {
    let db = TestDatabase::new().await;
    let receiver = Receiver::start(&[Reply::Hang]);
    let port = free_port();
    let mut doomed = Command::new(env!("CARGO_BIN_EXE_ticketing"))
        .env_clear()
        .envs([
            ("DATABASE_URL", db.url()),
            ("JWT_SECRET", SECRET),
            ("HOST", "127.0.0.1"),
            ("PORT", &port.to_string()),
            ("RATE_LIMIT_PER_SECOND", "0"),
            ("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true"),
            ("WEBHOOK_TIMEOUT_MS", "1000"),
            ("WEBHOOK_LEASE_MS", "1500"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = TestApp::running_at(format!("http://127.0.0.1:{port}"), db);
    let mut up = false;
    for _ in 0..200 {
        if first.client.get(first.url("/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the first instance did not start");
    let (_, organizer) = first.user("organizer").await;
    let (_, buyer) = first.user("buyer").await;
    let event = first.event(&organizer, 5).await;
    let (webhook, secret) = subscribe(&first, &organizer, &json!({"url": receiver.url})).await;
    first.book(&buyer, event).await;

    let claimed = receiver.wait_for(1, Duration::from_secs(5)).await;
    doomed.kill().unwrap();
    doomed.wait().unwrap();

    let db = first.into_db();
    let url = db.url().to_owned();
    let survivor = serve(db, &url, &[PRIVATE_OK]);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[1].headers["webhook-id"], claimed[0].headers["webhook-id"]);
    assert!(got[1].at - got[0].at >= Duration::from_millis(1000), "taken over only after the lease");
    assert!(signed_by(&secret, &got[1]));
    let attempts = log_of(&survivor, &organizer, webhook, 1).await;
    let codes: Vec<&Value> = attempts.iter().map(|a| &a["statusCode"]).collect();
    assert_eq!(codes, [&json!(200)], "the dead instance's attempt was never settled: {attempts:?}");
}

#[derive(diesel::QueryableByName, Debug)]
struct Stored {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    booking_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
}

/// Which notice kinds may follow which for one booking: its life as the rules allow it.
fn allowed_after(previous: Option<&str>, next: &str) -> bool {
    matches!(
        (previous, next),
        (None, "booking.confirmed" | "booking.waitlisted")
            | (Some("booking.waitlisted"), "booking.promoted" | "booking.cancelled")
            | (Some("booking.confirmed" | "booking.promoted"), "booking.cancelled")
    )
}

#[actix_web::test]
async fn a_churn_across_two_instances_delivers_every_notice_and_only_what_happened() {
    let app = spawn_app_with(&[PRIVATE_OK]).await;
    let other = another_instance(&app, &[PRIVATE_OK]);
    let receiver = Receiver::start(&[]);
    let (_, organizer) = app.user("organizer").await;
    let event = app.event(&organizer, 3).await;
    subscribe(&app, &organizer, &json!({"url": receiver.url})).await;
    let mut buyers = Vec::new();
    for i in 0..8 {
        buyers.push(app.user(&format!("buyer{i}")).await.1);
    }

    let rounds = buyers.iter().enumerate().map(|(i, token)| {
        let (app, other) = (&app, other.clone());
        async move {
            for round in 0..6 {
                let instance = if (i + round) % 2 == 0 { app.address.clone() } else { other.clone() };
                let at = app.at(&instance);
                at.post("/book", &json!({"eventId": event}), token).await;
                at.post("/cancel", &json!({"eventId": event}), token).await;
            }
            // End holding a live booking, so the event ends full with a line.
            app.book(token, event).await;
        }
    });
    futures_util::future::join_all(rounds).await;

    let mut conn = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    let stored: Vec<Stored> = diesel::sql_query(
        "SELECT n.id, n.kind, n.booking_id, b.status FROM notifications n
         LEFT JOIN bookings b ON b.id = n.booking_id WHERE n.event_id = $1 ORDER BY n.id",
    )
    .bind::<BigInt, _>(event)
    .load(&mut conn)
    .await
    .unwrap();
    let got = receiver.wait_for(stored.len(), Duration::from_secs(20)).await;

    let mut lives: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for notice in &stored {
        let life = lives.entry(notice.booking_id.unwrap()).or_default();
        assert!(allowed_after(life.last().copied(), &notice.kind), "{life:?} then {notice:?}");
        life.push(&notice.kind);
    }
    for (booking, life) in &lives {
        let last = stored.iter().rfind(|n| n.booking_id == Some(*booking)).unwrap();
        let expected = match *life.last().unwrap() {
            "booking.waitlisted" => "PENDING",
            "booking.cancelled" => "CANCELLED",
            _ => "CONFIRMED",
        };
        assert_eq!(last.status.as_deref(), Some(expected), "booking {booking}: {life:?}");
    }
    let by_id: HashMap<i64, &Stored> = stored.iter().map(|n| (n.id, n)).collect();
    let mut delivered = HashSet::new();
    for request in &got {
        let notification = body(request);
        let id = notification["id"].as_i64().unwrap();
        let row = by_id
            .get(&id)
            .unwrap_or_else(|| panic!("delivered a notice that was never committed: {notification}"));
        assert_eq!(notification["type"], row.kind.as_str());
        assert_eq!(notification["data"]["booking"]["id"].as_i64(), row.booking_id);
        delivered.insert(id);
    }
    let promotions = stored.iter().filter(|n| n.kind == "booking.promoted").count();
    assert!(promotions > 0, "the churn promoted nobody: {stored:?}");
    assert_eq!(delivered.len(), stored.len(), "every notice delivered at least once");
}

/// Deliveries carry groups as the feed does: a booking's `quantity` and, while it waits,
/// `seatsAhead`; an event's `maxPerBooking` and `overtakeLimit`.
#[actix_web::test]
async fn deliveries_carry_quantities_and_the_events_seating() {
    let app = spawn_app_with(&[PRIVATE_OK]).await;
    let receiver = Receiver::start(&[]);
    let (_, organizer) = app.user("organizer").await;
    let (_, first) = app.user("first").await;
    let (_, second) = app.user("second").await;
    let event = app.event(&organizer, 3).await;
    subscribe(&app, &organizer, &json!({"url": receiver.url})).await;

    let seated = app.post("/book", &json!({"eventId": event, "quantity": 2}), Some(&first)).await;
    assert_eq!(seated.body["booking"]["status"], "CONFIRMED", "{seated:?}");
    let waiting = app.post("/book", &json!({"eventId": event, "quantity": 2}), Some(&second)).await;
    assert_eq!(waiting.body["booking"]["status"], "PENDING", "{waiting:?}");
    let changed = app
        .patch(&format!("/events/{event}"), &json!({"maxPerBooking": 4, "overtakeLimit": 2}), &organizer)
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");

    let mut got: Vec<Value> = receiver.wait_for(3, Duration::from_secs(10)).await.iter().map(body).collect();
    got.sort_by_key(|n| n["id"].as_i64());
    let booking = |n: &Value| {
        let b = &n["data"]["booking"];
        (n["type"].clone(), b["quantity"].clone(), b["waitlistPosition"].clone(), b["seatsAhead"].clone())
    };
    assert_eq!(booking(&got[0]), (json!("booking.confirmed"), json!(2), Value::Null, Value::Null));
    assert_eq!(booking(&got[1]), (json!("booking.waitlisted"), json!(2), json!(1), json!(0)));
    let summary = &got[2]["data"]["event"];
    assert_eq!(
        (&got[2]["type"], &summary["maxPerBooking"], &summary["overtakeLimit"], &summary["waitingListCount"]),
        (&json!("event.updated"), &json!(4), &json!(2), &json!(2))
    );
}
