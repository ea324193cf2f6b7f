//! The audit trail (issue 32) through the real app: `GET /bookings/{id}/history` for the
//! booking's holder and its event's organizer, `GET /events/{id}/history` (newest first, a
//! page at a time, by action) and `GET /events/{id}/integrity` for the organizer; each entry
//! with the `x-request-id` of the request that made the change; a refused or replayed request
//! adds none. Each scenario runs on the in-memory adapter, on PostgreSQL, and across two
//! instances.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::groups::{Setup, on_every_setup};
use crate::helpers::Answer;

async fn post_as(s: &Setup, path: &str, body: &Value, token: &str, request_id: &str) -> Answer {
    s.send_with(Method::POST, path, Some(body), Some(token), None, &[("x-request-id", request_id)]).await
}

async fn get(s: &Setup, path: &str, token: &str) -> Answer {
    s.send(Method::GET, path, None, Some(token), None).await
}

/// `(action, actor, actorId, requestId)` of each entry.
fn steps(entries: &Value) -> Vec<(String, String, Value, Value)> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
                e["actorId"].clone(),
                e["requestId"].clone(),
            )
        })
        .collect()
}

/// Limit 1: A books and B waits, each in a request of a known id; A cancels, which promotes
/// B. B's history: waitlisted (B's request), then promoted — by another user, whom B does not
/// learn, nor their request. The organizer reads that it was A, in A's cancel's request; A, a
/// stranger to B's booking, is told it is not found.
async fn a_bookings_history_says_who_did_what_in_which_request(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = s.event(&organizer, 1, &json!({})).await;
    let (a_id, a) = s.user("a").await;
    let (b_id, b) = s.user("b").await;
    let booked = post_as(s, "/book", &json!({"eventId": event}), &a, "book-a").await;
    assert_eq!(booked.status, StatusCode::CREATED, "{booked:?}");
    let waiting = post_as(s, "/book", &json!({"eventId": event}), &b, "book-b").await;
    let b_booking = waiting.body["booking"]["id"].as_i64().unwrap();
    let cancelled = post_as(s, "/cancel", &json!({"id": booked.body["booking"]["id"]}), &a, "cancel-a").await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");

    let own = get(s, &format!("/bookings/{b_booking}/history"), &b).await;
    assert_eq!(own.status, StatusCode::OK, "{own:?}");
    assert_eq!(
        steps(&own.body["entries"]),
        [
            ("waitlisted".to_owned(), "user".to_owned(), json!(b_id), json!("book-b")),
            ("promoted".to_owned(), "user".to_owned(), Value::Null, Value::Null),
        ]
    );
    let promoted = &own.body["entries"][1];
    assert_eq!(
        (
            &promoted["fromStatus"],
            &promoted["toStatus"],
            &promoted["seatsChange"],
            &promoted["waitingChange"]
        ),
        (&json!("PENDING"), &json!("CONFIRMED"), &json!(1), &json!(-1))
    );
    assert_eq!(
        (&promoted["ticketLimit"], &promoted["bookingId"], &promoted["eventId"]),
        (&json!(1), &json!(b_booking), &json!(event))
    );
    let text = own.body.to_string();
    assert!(!text.contains("@example.com") && !text.contains("email"), "ids only: {text}");

    let organizers = get(s, &format!("/bookings/{b_booking}/history"), &organizer).await;
    assert_eq!(
        steps(&organizers.body["entries"]),
        [
            ("waitlisted".to_owned(), "user".to_owned(), json!(b_id), json!("book-b")),
            ("promoted".to_owned(), "user".to_owned(), json!(a_id), json!("cancel-a")),
        ]
    );
    let forged = post_as(s, "/book", &json!({"eventId": event}), &a, "ann@example.com").await;
    let answered = forged.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(answered, "ann@example.com", "an address is no request id");
    let stranger = get(s, &format!("/bookings/{b_booking}/history"), &a).await;
    assert_eq!((stranger.status, stranger.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    assert_eq!(get(s, "/bookings/0/history", &b).await.status, StatusCode::BAD_REQUEST);
}

/// Five buyers on two seats, one cancel, a raised limit: the organizer reads the event's
/// history newest first two at a time (every entry once), by action, and its integrity check
/// holds; nobody else may read or check it; bad parameters are 400s.
async fn the_organizer_pages_the_events_history_and_checks_it(s: &Setup) {
    let (organizer_id, organizer) = s.user("organizer").await;
    let event = s.event(&organizer, 2, &json!({})).await;
    let mut bookings = Vec::new();
    for name in ["b1", "b2", "b3", "b4", "b5"] {
        let (_, token) = s.user(name).await;
        let answer = s.book(&token, event, json!(1)).await;
        bookings.push((token, answer.body["booking"].clone()));
    }
    s.cancel(&bookings[0].0, &bookings[0].1).await;
    let raised = s.patch(&format!("/events/{event}"), &json!({"ticketLimit": 3}), &organizer).await;
    assert_eq!(raised.status, StatusCode::OK, "{raised:?}");

    let mut seen = Vec::new();
    let mut path = format!("/events/{event}/history?limit=2");
    loop {
        let page = get(s, &path, &organizer).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        seen.extend(
            page.body["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| (e["id"].as_i64().unwrap(), e["action"].as_str().unwrap().to_owned())),
        );
        match page.body["nextCursor"].as_str() {
            Some(cursor) => path = format!("/events/{event}/history?limit=2&after={cursor}"),
            None => break,
        }
    }
    let actions: Vec<&str> = seen.iter().map(|(_, a)| a.as_str()).rev().collect();
    assert_eq!(
        actions,
        [
            "created",
            "booked",
            "booked",
            "waitlisted",
            "waitlisted",
            "waitlisted",
            "cancelled",
            "promoted",
            "limit_changed",
            "promoted"
        ]
    );
    assert!(seen.windows(2).all(|w| w[0].0 > w[1].0), "newest first: {seen:?}");
    let limit_changed = get(s, &format!("/events/{event}/history?action=limit_changed"), &organizer).await;
    let entries = limit_changed.body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (&entries[0]["actor"], &entries[0]["actorId"], &entries[0]["ticketLimit"]),
        (&json!("organizer"), &json!(organizer_id), &json!(3))
    );

    let checked = get(s, &format!("/events/{event}/integrity"), &organizer).await;
    assert_eq!(
        (checked.status, &checked.body["ok"], &checked.body["eventId"]),
        (StatusCode::OK, &json!(true), &json!(event)),
        "{checked:?}"
    );
    let names: Vec<&str> =
        checked.body["checks"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "seats_taken",
            "seats_held",
            "waiting",
            "waiting_seats",
            "ticket_limit",
            "sale_status",
            "within_limit",
            "state_machine",
            "serving_order",
            "offer_deadlines"
        ]
    );
    let seats = &checked.body["checks"][0];
    assert_eq!(
        (&seats["expected"], &seats["actual"], &seats["bookingIds"]),
        (&json!(3), &json!(3), &json!([]))
    );

    let buyer = &bookings[1].0;
    assert_eq!(get(s, &format!("/events/{event}/history"), buyer).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(s, &format!("/events/{event}/integrity"), buyer).await.status, StatusCode::FORBIDDEN);
    assert_eq!(get(s, "/events/999999/integrity", &organizer).await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(s, "/events/999999/history", &organizer).await.status, StatusCode::NOT_FOUND);
    for bad in ["action=deleted", "limit=0", "after=garbage"] {
        let answer = get(s, &format!("/events/{event}/history?{bad}"), &organizer).await;
        assert_eq!(
            (answer.status, answer.body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("invalid_request")),
            "{bad}: {answer:?}"
        );
    }
}

/// A refused booking and a replayed keyed one change nothing, and add no entry.
async fn a_refused_or_replayed_request_adds_no_entry(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = s.event(&organizer, 2, &json!({})).await;
    let (_, a) = s.user("a").await;
    let first =
        s.send(Method::POST, "/book", Some(&json!({"eventId": event})), Some(&a), Some("key-1")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
    let after_first = entries(s, event, &organizer).await;
    let replay =
        s.send(Method::POST, "/book", Some(&json!({"eventId": event})), Some(&a), Some("key-1")).await;
    assert_eq!(
        (replay.status, &replay.body),
        (StatusCode::CREATED, &first.body),
        "a replay answers the same"
    );
    let again = s.book(&a, event, json!(1)).await;
    assert_eq!(
        (again.status, again.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("already_booked")),
        "{again:?}"
    );
    let too_many = s.book(&organizer, event, json!(3)).await;
    assert!(too_many.status.is_client_error(), "{too_many:?}");
    assert_eq!(
        entries(s, event, &organizer).await,
        after_first,
        "neither the replay nor the refusals added an entry"
    );
    assert_eq!(after_first, 2, "created, booked");
}

/// How many entries the event's history holds (up to a hundred).
async fn entries(s: &Setup, event: i64, organizer: &str) -> usize {
    let page = get(s, &format!("/events/{event}/history?limit=100"), organizer).await;
    assert_eq!(page.status, StatusCode::OK, "{page:?}");
    page.body["entries"].as_array().unwrap().len()
}

on_every_setup!(
    a_bookings_history_says_who_did_what_in_which_request,
    the_organizer_pages_the_events_history_and_checks_it,
    a_refused_or_replayed_request_adds_no_entry,
);
