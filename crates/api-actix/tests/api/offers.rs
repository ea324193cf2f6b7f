//! Offers with a deadline (issue 31) through the real app: an event with `promotion: "offer"`
//! offers a freed seat to the head of the line and holds it for `offerWindowSeconds` (10 here,
//! the shortest allowed); `POST /bookings/{id}/accept` and `/decline`; a lapsed offer read as
//! `EXPIRED` with every worker stopped, and passed on by the sweeper once one runs. Each
//! scenario runs on the in-memory adapter, on PostgreSQL, and across two instances.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::groups::Setup;

/// No sweeper anywhere: what a lapsed offer does is the reads' and the writes' alone.
const NO_SWEEPER: &[(&str, &str)] = &[("OFFER_SWEEP_INTERVAL_MS", "0")];
/// A sweeper on every instance, a few times a second.
const SWEEPER: &[(&str, &str)] = &[("OFFER_SWEEP_INTERVAL_MS", "200")];

/// An event of `seats` seats whose freed seats are offered for ten seconds, a year from now
/// (offers stop when the event's day begins).
async fn offering(s: &Setup, organizer: &str, seats: i64) -> i64 {
    let date = (Utc::now() + chrono::Duration::days(365)).format("%Y-%m-%d").to_string();
    s.event(organizer, seats, &json!({"promotion": "offer", "offerWindowSeconds": 10, "date": date})).await
}

async fn answer(s: &Setup, token: &str, booking: &Value, verb: &str) -> crate::helpers::Answer {
    s.send(Method::POST, &format!("/bookings/{}/{verb}", booking["id"]), None, Some(token), None).await
}

fn deadline(booking: &Value) -> DateTime<Utc> {
    booking["offerExpiresAt"].as_str().and_then(|at| at.parse().ok()).unwrap_or_else(|| panic!("{booking}"))
}

/// Until `delay` after `at`, by this machine's clock (the database's, here).
async fn until_after(at: DateTime<Utc>, delay: Duration) {
    let wait = (at - Utc::now()).to_std().unwrap_or_default() + delay;
    tokio::time::sleep(wait).await;
}

fn assert_conflict(answer: &crate::helpers::Answer, code: &str) {
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::CONFLICT, Some(code)),
        "{answer:?}"
    );
}

/// Limit 1: A confirmed, B and C waiting; returns (A's token and booking, B's, C's).
async fn full_with_two_waiting(s: &Setup, event: i64) -> [(String, Value); 3] {
    let mut people = Vec::new();
    for (name, status) in [("a", "CONFIRMED"), ("b", "PENDING"), ("c", "PENDING")] {
        let (_, token) = s.user(name).await;
        let booking = s.booked(&token, event, 1, status).await;
        people.push((token, booking));
    }
    people.try_into().unwrap()
}

macro_rules! on_every_setup {
    ($($scenario:ident => $overrides:ident),* $(,)?) => {$(
        mod $scenario {
            #[actix_web::test]
            async fn in_memory() {
                super::$scenario(super::Setup::memory_with(super::$overrides).await).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                super::$scenario(super::Setup::postgres_with(super::$overrides).await).await;
            }

            #[actix_web::test]
            async fn across_two_instances() {
                super::$scenario(super::Setup::two_instances_with(super::$overrides).await).await;
            }
        }
    )*};
}

on_every_setup!(
    a_freed_seat_is_offered_held_and_confirmed_on_accept => SWEEPER,
    an_ignored_offer_reads_expired_without_workers_and_a_sweeper_passes_it_on => NO_SWEEPER,
    a_declined_offer_is_passed_on_in_the_same_transaction => SWEEPER,
    a_group_at_the_head_is_offered_only_when_its_whole_quantity_is_free => SWEEPER,
    events_take_and_show_their_promotion_and_refuse_bad_ones => SWEEPER,
    answers_are_refused_as_documented_and_keyed_ones_replay => SWEEPER,
);

/// (1) A cancels: B is offered the seat (held: `ticketsAvailable` 0, `seatsOnOffer` 1); B
/// accepts and is confirmed; C is first in line.
async fn a_freed_seat_is_offered_held_and_confirmed_on_accept(s: Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = offering(&s, &organizer, 1).await;
    let [(a, a_booking), (b, b_booking), (c, c_booking)] = full_with_two_waiting(&s, event).await;

    s.cancel(&a, &a_booking).await;
    let offered = s.booking(&b, &b_booking).await;
    assert_eq!(offered["status"], "OFFERED", "{offered}");
    let left = deadline(&offered) - Utc::now();
    assert!(left > chrono::Duration::seconds(8) && left <= chrono::Duration::seconds(10), "{left}");
    let status = s.send(Method::GET, &format!("/status/{event}"), None, None, None).await;
    assert_eq!(
        (&status.body["ticketsAvailable"], &status.body["event"]["seatsOnOffer"]),
        (&json!(0), &json!(1)),
        "{status:?}"
    );

    let accepted = answer(&s, &b, &b_booking, "accept").await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(
        (&accepted.body["message"], &accepted.body["booking"]["status"]),
        (&json!("Offer accepted"), &json!("CONFIRMED"))
    );
    assert!(accepted.body["booking"].get("offerExpiresAt").is_none(), "a confirmed booking has no deadline");
    assert_eq!(s.booking(&b, &b_booking).await["status"], "CONFIRMED");
    let c_now = s.booking(&c, &c_booking).await;
    assert_eq!((&c_now["status"], &c_now["waitlistPosition"]), (&json!("PENDING"), &json!(1)));
    let status = s.send(Method::GET, &format!("/status/{event}"), None, None, None).await;
    assert_eq!(status.body["event"]["seatsOnOffer"], 0);
}

/// (2) B ignores the offer. With no worker anywhere, 0.2 s after the deadline B's booking reads
/// `EXPIRED` (and C still waits: nothing has written); B's accept is refused `offer_expired`.
/// Once an instance with a sweeper runs, C is offered within 2 s.
async fn an_ignored_offer_reads_expired_without_workers_and_a_sweeper_passes_it_on(mut s: Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = offering(&s, &organizer, 1).await;
    let [(a, a_booking), (b, b_booking), (c, c_booking)] = full_with_two_waiting(&s, event).await;
    s.cancel(&a, &a_booking).await;
    let offered = s.booking(&b, &b_booking).await;

    until_after(deadline(&offered), Duration::from_millis(200)).await;
    let lapsed = s.booking(&b, &b_booking).await;
    assert_eq!(
        (&lapsed["status"], &lapsed["offerExpiresAt"]),
        (&json!("EXPIRED"), &offered["offerExpiresAt"])
    );
    assert_eq!(s.booking(&c, &c_booking).await["status"], "PENDING", "nothing has passed the seat on yet");
    assert_conflict(&answer(&s, &b, &b_booking, "accept").await, "offer_expired");

    s.add_instance(SWEEPER);
    let started = Instant::now();
    loop {
        let now = s.booking(&c, &c_booking).await;
        if now["status"] == "OFFERED" {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(2), "C not offered within 2 s: {now}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(s.booking(&b, &b_booking).await["status"], "EXPIRED");
    assert_conflict(&answer(&s, &b, &b_booking, "accept").await, "offer_expired");
}

/// (3) B declines: C is offered the seat in the decline's own transaction (its answer names C).
async fn a_declined_offer_is_passed_on_in_the_same_transaction(s: Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = offering(&s, &organizer, 1).await;
    let [(a, a_booking), (b, b_booking), (c, c_booking)] = full_with_two_waiting(&s, event).await;
    s.cancel(&a, &a_booking).await;

    let declined = answer(&s, &b, &b_booking, "decline").await;
    assert_eq!(declined.status, StatusCode::OK, "{declined:?}");
    assert_eq!(
        (&declined.body["message"], &declined.body["booking"]["status"]),
        (&json!("Offer declined"), &json!("DECLINED"))
    );
    let promoted = declined.body["promoted"].as_array().unwrap();
    assert_eq!(promoted.len(), 1, "{declined:?}");
    assert_eq!((&promoted[0]["id"], &promoted[0]["status"]), (&c_booking["id"], &json!("OFFERED")));
    assert!(promoted[0]["offerExpiresAt"].is_string());
    assert_eq!(s.booking(&c, &c_booking).await["status"], "OFFERED");
    assert_conflict(&answer(&s, &b, &b_booking, "decline").await, "not_offered");
    assert_conflict(&answer(&s, &b, &b_booking, "accept").await, "not_offered");
}

/// (4) Limit 3: A holds 1, B holds 2, a group of 2 waits. A cancels: one seat free, the group is
/// not offered; B cancels: the group is offered all 2 at once.
async fn a_group_at_the_head_is_offered_only_when_its_whole_quantity_is_free(s: Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = offering(&s, &organizer, 3).await;
    let (_, a) = s.user("a").await;
    let (_, b) = s.user("b").await;
    let (_, g) = s.user("g").await;
    let one = s.booked(&a, event, 1, "CONFIRMED").await;
    let two = s.booked(&b, event, 2, "CONFIRMED").await;
    let group = s.booked(&g, event, 2, "PENDING").await;

    s.cancel(&a, &one).await;
    assert_eq!(s.booking(&g, &group).await["status"], "PENDING", "one seat does not serve a group of two");
    assert_eq!(s.seats(event).await, (json!(1), json!(2)));
    s.cancel(&b, &two).await;
    let offered = s.booking(&g, &group).await;
    assert_eq!((&offered["status"], &offered["quantity"]), (&json!("OFFERED"), &json!(2)));
    let status = s.send(Method::GET, &format!("/status/{event}"), None, None, None).await;
    assert_eq!(
        (&status.body["ticketsAvailable"], &status.body["event"]["seatsOnOffer"]),
        (&json!(1), &json!(2))
    );
}

/// `promotion` and `offerWindowSeconds` on create and change, shown on every read; a window
/// without offers, an unknown word or a window out of range are 400s; an instant event is
/// unchanged for original clients (`promotion: "instant"`, a confirmed promotion).
async fn events_take_and_show_their_promotion_and_refuse_bad_ones(s: Setup) {
    let (_, organizer) = s.user("organizer").await;
    let date = (Utc::now() + chrono::Duration::days(365)).format("%Y-%m-%d").to_string();
    let instant = s.event(&organizer, 1, &json!({"date": date})).await;
    let read = s.send(Method::GET, &format!("/events/{instant}"), None, None, None).await;
    let shown = &read.body;
    assert_eq!(
        (&shown["promotion"], &shown["offerWindowSeconds"], &shown["seatsOnOffer"]),
        (&json!("instant"), &Value::Null, &json!(0)),
        "{read:?}"
    );
    let defaulted = s.event(&organizer, 1, &json!({"promotion": "offer"})).await;
    let read = s.send(Method::GET, &format!("/events/{defaulted}"), None, None, None).await;
    assert_eq!(read.body["offerWindowSeconds"], 86_400, "a day unless told");

    for (fields, message) in [
        (
            json!({"offerWindowSeconds": 60}),
            "\"offerWindowSeconds\" is allowed only with promotion \"offer\"",
        ),
        (
            json!({"promotion": "instant", "offerWindowSeconds": 60}),
            "\"offerWindowSeconds\" is allowed only with promotion \"offer\"",
        ),
        (json!({"promotion": "later"}), "\"promotion\" must be one of [instant, offer]"),
        (
            json!({"promotion": "offer", "offerWindowSeconds": 9}),
            "\"offerWindowSeconds\" must be greater than or equal to 10",
        ),
        (
            json!({"promotion": "offer", "offerWindowSeconds": 604_801}),
            "\"offerWindowSeconds\" must be less than or equal to 604800",
        ),
    ] {
        let mut body = crate::helpers::event_body(1);
        body.as_object_mut().unwrap().extend(fields.as_object().unwrap().clone());
        let refused = s.post("/initialize", &body, &organizer).await;
        assert_eq!(
            (refused.status, refused.body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(message)),
            "{fields}"
        );
        let change = s.patch(&format!("/events/{instant}"), &fields, &organizer).await;
        assert_eq!(
            (change.status, change.body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(message)),
            "{fields}"
        );
    }

    let (_, a) = s.user("a").await;
    let (_, b) = s.user("b").await;
    let a_booking = s.booked(&a, instant, 1, "CONFIRMED").await;
    let b_booking = s.booked(&b, instant, 1, "PENDING").await;
    let changed = s
        .patch(
            &format!("/events/{instant}"),
            &json!({"promotion": "offer", "offerWindowSeconds": 600}),
            &organizer,
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!(
        (&changed.body["event"]["promotion"], &changed.body["event"]["offerWindowSeconds"]),
        (&json!("offer"), &json!(600))
    );
    s.cancel(&a, &a_booking).await;
    let offered = s.booking(&b, &b_booking).await;
    assert_eq!(offered["status"], "OFFERED");
    let left = deadline(&offered) - Utc::now();
    assert!(left > chrono::Duration::seconds(590), "the new window: {left}");
}

/// Accept and decline: another user's booking is a 404; a waiting or confirmed one is
/// `not_offered`; an id that is no id is a 400; with an `Idempotency-Key`, an accept takes
/// effect once and its replay answers the same.
async fn answers_are_refused_as_documented_and_keyed_ones_replay(s: Setup) {
    let (_, organizer) = s.user("organizer").await;
    let event = offering(&s, &organizer, 1).await;
    let [(a, a_booking), (b, b_booking), (c, c_booking)] = full_with_two_waiting(&s, event).await;
    assert_conflict(&answer(&s, &a, &a_booking, "accept").await, "not_offered");
    assert_conflict(&answer(&s, &c, &c_booking, "decline").await, "not_offered");
    s.cancel(&a, &a_booking).await;

    let stranger = answer(&s, &c, &b_booking, "accept").await;
    assert_eq!((stranger.status, stranger.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    let bad = s.send(Method::POST, "/bookings/zero/accept", None, Some(&b), None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{bad:?}");

    let path = format!("/bookings/{}/accept", b_booking["id"]);
    let first = s.send(Method::POST, &path, None, Some(&b), Some("accept-once")).await;
    let replay = s.send(Method::POST, &path, None, Some(&b), Some("accept-once")).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert_eq!((replay.status, &replay.body), (first.status, &first.body), "the replay answers the same");
    assert_conflict(&answer(&s, &b, &b_booking, "accept").await, "not_offered");

    let notices = s.get("/me/notifications", &b).await;
    let kinds: Vec<&str> =
        notices.body["notifications"].as_array().unwrap().iter().filter_map(|n| n["type"].as_str()).collect();
    assert!(kinds.ends_with(&["booking.offered", "booking.accepted"]), "{kinds:?}");
}
