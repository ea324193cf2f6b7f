//! Bookings of several seats (issue 30) through the real app: `quantity` on `/book`, the line
//! served in groups (first come, first served, or with an overtake limit), `PATCH
//! /bookings/{id}`, and the new event fields. Each scenario runs on the in-memory adapter, on
//! PostgreSQL, and on PostgreSQL across two instances whose turns alternate step by step.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    Answer, TestApp, another_instance, event_body, spawn_app_with, spawn_memory_app, spawn_memory_app_with,
};

/// Where a scenario runs: an app, and the instances its steps take turns on.
pub struct Setup {
    app: TestApp,
    instances: Vec<String>,
    turn: AtomicUsize,
}

impl Setup {
    pub async fn memory() -> Self {
        Self::memory_with(&[]).await
    }

    pub async fn postgres() -> Self {
        Self::postgres_with(&[]).await
    }

    pub async fn two_instances() -> Self {
        Self::two_instances_with(&[]).await
    }

    /// The setups with some environment variables overridden on every instance.
    pub async fn memory_with(overrides: &[(&str, &str)]) -> Self {
        Self::on(spawn_memory_app_with(overrides).await, false, overrides)
    }

    pub async fn postgres_with(overrides: &[(&str, &str)]) -> Self {
        Self::on(spawn_app_with(overrides).await, false, overrides)
    }

    pub async fn two_instances_with(overrides: &[(&str, &str)]) -> Self {
        Self::on(spawn_app_with(overrides).await, true, overrides)
    }

    fn on(app: TestApp, two: bool, overrides: &[(&str, &str)]) -> Self {
        let mut instances = vec![app.address.clone()];
        if two {
            instances.push(another_instance(&app, overrides));
        }
        Self { app, instances, turn: AtomicUsize::new(0) }
    }

    /// One more instance on the same store, with `overrides`; it takes its turns from now on.
    pub fn add_instance(&mut self, overrides: &[(&str, &str)]) {
        self.instances.push(another_instance(&self.app, overrides));
    }

    /// The instance the next request goes to.
    pub(crate) fn next(&self) -> &str {
        let turn = self.turn.fetch_add(1, Ordering::Relaxed);
        &self.instances[turn % self.instances.len()]
    }

    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        key: Option<&str>,
    ) -> Answer {
        self.send_with(method, path, body, token, key, &[]).await
    }

    /// [`Setup::send`] with more headers.
    pub(crate) async fn send_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
        key: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.app.client.request(method, format!("{}{path}", self.next()));
        for &(name, value) in headers {
            request = request.header(name, value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.header("Authorization", token);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        self.app.send(request).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value, token: &str) -> Answer {
        self.send(Method::POST, path, Some(body), Some(token), None).await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value, token: &str) -> Answer {
        self.send(Method::PATCH, path, Some(body), Some(token), None).await
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> Answer {
        let answer = self.send(Method::GET, path, None, Some(token), None).await;
        assert_eq!(answer.status, StatusCode::OK, "GET {path}: {answer:?}");
        answer
    }

    pub(crate) async fn user(&self, name: &str) -> (i64, String) {
        self.app.user(name).await
    }

    /// A new event with `seats` and `seating`'s fields (`maxPerBooking`, `overtakeLimit`).
    pub(crate) async fn event(&self, token: &str, seats: i64, seating: &Value) -> i64 {
        let mut body = event_body(seats);
        body.as_object_mut().unwrap().extend(seating.as_object().unwrap().clone());
        let created = self.post("/initialize", &body, token).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        created.body["event"]["id"].as_i64().unwrap()
    }

    pub(crate) async fn book(&self, token: &str, event: i64, quantity: Value) -> Answer {
        self.post("/book", &json!({"eventId": event, "quantity": quantity}), token).await
    }

    /// Books `quantity` seats and checks the booking came out `status` with that quantity.
    pub(crate) async fn booked(&self, token: &str, event: i64, quantity: u32, status: &str) -> Value {
        let answer = self.book(token, event, json!(quantity)).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        let booking = answer.body["booking"].clone();
        assert_eq!(
            (&booking["status"], &booking["quantity"]),
            (&json!(status), &json!(quantity)),
            "{answer:?}"
        );
        booking
    }

    /// Cancels `booking` as its holder.
    pub(crate) async fn cancel(&self, token: &str, booking: &Value) {
        let answer = self.post("/cancel", &json!({"id": booking["id"]}), token).await;
        assert_eq!((answer.status, &answer.body["booking"]["status"]), (StatusCode::OK, &json!("CANCELLED")));
    }

    /// The booking as its holder reads it now.
    pub(crate) async fn booking(&self, token: &str, booking: &Value) -> Value {
        self.get(&format!("/bookings/{}", booking["id"]), token).await.body["booking"].clone()
    }

    /// `(ticketsAvailable, waitingListCount)` of `/status`.
    pub(crate) async fn seats(&self, event: i64) -> (Value, Value) {
        let answer = self.send(Method::GET, &format!("/status/{event}"), None, None, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
        (answer.body["ticketsAvailable"].clone(), answer.body["waitingListCount"].clone())
    }

    pub(crate) async fn change(&self, token: &str, booking: &Value, body: &Value) -> Answer {
        self.patch(&format!("/bookings/{}", booking["id"]), body, token).await
    }
}

/// `(status, waitlistPosition, seatsAhead)` of a booking body (`null` where absent).
fn place(booking: &Value) -> (Value, Value, Value) {
    (booking["status"].clone(), booking["waitlistPosition"].clone(), booking["seatsAhead"].clone())
}

fn waiting(position: u64, seats_ahead: u64) -> (Value, Value, Value) {
    (json!("PENDING"), json!(position), json!(seats_ahead))
}

fn confirmed() -> (Value, Value, Value) {
    (json!("CONFIRMED"), Value::Null, Value::Null)
}

/// A 400 naming `field` in the error shape every invalid field has.
fn assert_invalid(answer: &Answer, message: &str) {
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{answer:?}");
    assert_eq!(
        (answer.body["error"].as_str(), answer.body["code"].as_str()),
        (Some(message), Some("invalid_request"))
    );
}

fn assert_conflict(answer: &Answer, code: &str) {
    assert_eq!(
        (answer.status, answer.body["code"].as_str()),
        (StatusCode::CONFLICT, Some(code)),
        "{answer:?}"
    );
}

/// Runs `scenario` on each setup, as a test of its own.
macro_rules! on_every_setup {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[actix_web::test]
            async fn in_memory() {
                super::$scenario(&super::Setup::memory().await).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                super::$scenario(&super::Setup::postgres().await).await;
            }

            #[actix_web::test]
            async fn across_two_instances() {
                super::$scenario(&super::Setup::two_instances().await).await;
            }
        }
    )*};
}
pub(crate) use on_every_setup;

on_every_setup!(
    a_group_waits_with_none_of_its_seats_and_status_counts_seats,
    quantities_out_of_range_are_refused_naming_the_field,
    first_come_first_served_holds_seats_for_the_head,
    an_overtake_limit_lets_a_later_booking_pass_so_often_then_holds_the_seats,
    a_newcomer_may_pass_the_line_only_as_the_overtake_limit_allows,
    lowering_a_waiting_quantity_keeps_the_place_and_may_be_served_at_once,
    raising_a_waiting_quantity_moves_it_to_the_back_as_a_new_booking,
    raising_the_head_of_the_line_lets_those_behind_it_be_served,
    changing_a_quantity_is_refused_as_documented,
    a_keyed_change_of_quantity_takes_effect_once_and_replays_its_answer,
    every_read_shows_the_quantity,
    events_take_and_show_their_seating_and_a_change_serves_the_line,
);

/// (1) Limit 5 with 3 taken: 3 seats do not fit, so the booking waits holding none; the
/// 2 free seats do not go to a later booking either, and `/status` counts seats.
async fn a_group_waits_with_none_of_its_seats_and_status_counts_seats(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, b), (_, g), (_, d)] =
        [s.user("a").await, s.user("b").await, s.user("g").await, s.user("d").await];
    let event = s.event(&organizer, 5, &json!({})).await;
    let pair = s.booked(&a, event, 2, "CONFIRMED").await;
    s.booked(&b, event, 1, "CONFIRMED").await;
    assert_eq!(place(&pair), confirmed(), "a confirmed booking has no place in line");

    let group = s.booked(&g, event, 3, "PENDING").await;
    assert_eq!(place(&group), waiting(1, 0));
    assert_eq!(s.seats(event).await, (json!(2), json!(3)));

    let later = s.booked(&d, event, 2, "PENDING").await;
    assert_eq!(place(&later), waiting(2, 3), "two seats are free, but a newcomer never passes the line");
    assert_eq!(s.seats(event).await, (json!(2), json!(5)), "waitingListCount counts seats");

    assert_eq!(place(&s.booking(&g, &group).await), waiting(1, 0));
    assert_eq!(s.booking(&g, &group).await["quantity"], 3);
    assert_eq!(place(&s.booking(&d, &later).await), waiting(2, 3));
    assert_eq!(place(&s.booking(&a, &pair).await), confirmed());
}

/// (2) `quantity` must be an integer from 1 to 100 and at most the event's `maxPerBooking`
/// (400 naming it), and at most its `ticketLimit` (409 `quantity_over_limit`); a refusal
/// writes nothing.
async fn quantities_out_of_range_are_refused_naming_the_field(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let (_, buyer) = s.user("buyer").await;
    let event = s.event(&organizer, 5, &json!({})).await;

    for (quantity, message) in [
        (json!(0), "\"quantity\" must be greater than or equal to 1"),
        (json!(-2), "\"quantity\" must be greater than or equal to 1"),
        (json!(101), "\"quantity\" must be less than or equal to 100"),
        (json!(11), "\"quantity\" must be less than or equal to 10, the event's maxPerBooking"),
        (json!(2.5), "\"quantity\" must be an integer"),
        (json!("x"), "\"quantity\" must be a number"),
        (json!(null), "\"quantity\" must be a number"),
        (json!([2]), "\"quantity\" must be a number"),
    ] {
        assert_invalid(&s.book(&buyer, event, quantity).await, message);
    }
    let over = s.book(&buyer, event, json!(6)).await;
    assert_conflict(&over, "quantity_over_limit");
    assert_eq!(over.body["error"], "\"quantity\" must be less than or equal to 5, the event's ticketLimit");
    assert_eq!(s.seats(event).await, (json!(5), json!(0)), "nothing was written");

    let small = s.event(&organizer, 5, &json!({"maxPerBooking": 3})).await;
    assert_invalid(
        &s.book(&buyer, small, json!(4)).await,
        "\"quantity\" must be less than or equal to 3, the event's maxPerBooking",
    );
    s.booked(&buyer, small, 3, "CONFIRMED").await;
    let as_text = s.book(&buyer, event, json!("5")).await;
    assert_eq!((as_text.status, &as_text.body["booking"]["quantity"]), (StatusCode::CREATED, &json!(5)));
    assert_eq!(s.seats(event).await, (json!(0), json!(0)), "all five seats at once");
}

/// Four singles fill an event of `limit` 4 (with `seating`); then a group of 3 and a single
/// wait, in that order. Returns the event, the singles' holders and bookings, and the waiting
/// ones' tokens and bookings.
async fn a_full_line(s: &Setup, seating: &Value) -> (i64, Vec<(String, Value)>, [(String, Value); 2]) {
    let (_, organizer) = s.user("organizer").await;
    let event = s.event(&organizer, 4, seating).await;
    let mut singles = Vec::new();
    for name in ["s1", "s2", "s3", "s4"] {
        let (_, token) = s.user(name).await;
        let booking = s.booked(&token, event, 1, "CONFIRMED").await;
        singles.push((token, booking));
    }
    let (_, g) = s.user("g").await;
    let group = s.booked(&g, event, 3, "PENDING").await;
    let (_, d) = s.user("d").await;
    let single = s.booked(&d, event, 1, "PENDING").await;
    assert_eq!((place(&group), place(&single)), (waiting(1, 0), waiting(2, 3)));
    (event, singles, [(g, group), (d, single)])
}

/// (3) K = 0: the head is served only when its whole quantity is free; meanwhile the seats
/// stay free and nobody behind it is served, not even a newcomer.
async fn first_come_first_served_holds_seats_for_the_head(s: &Setup) {
    let (event, singles, [(g, group), (d, single)]) = a_full_line(s, &json!({})).await;

    s.cancel(&singles[0].0, &singles[0].1).await;
    assert_eq!(place(&s.booking(&d, &single).await), waiting(2, 3), "nobody served");
    assert_eq!(s.seats(event).await, (json!(1), json!(4)));

    let (_, e) = s.user("e").await;
    let newcomer = s.booked(&e, event, 1, "PENDING").await;
    assert_eq!(place(&newcomer), waiting(3, 4), "behind D, though a seat is free");

    s.cancel(&singles[1].0, &singles[1].1).await;
    assert_eq!(place(&s.booking(&g, &group).await), waiting(1, 0));
    assert_eq!(s.seats(event).await, (json!(2), json!(5)));

    s.cancel(&singles[2].0, &singles[2].1).await;
    // Read straight after the cancel's answer: the group was served in its transaction.
    assert_eq!(place(&s.booking(&g, &group).await), confirmed());
    assert_eq!(place(&s.booking(&d, &single).await), waiting(1, 0), "D is first in line now");
    assert_eq!(place(&s.booking(&e, &newcomer).await), waiting(2, 1));
    assert_eq!(s.seats(event).await, (json!(0), json!(2)));
}

/// (4) K = 1: a later booking that fits may pass the head once; then the seats are held for
/// the head, and nobody behind it is served until it is.
async fn an_overtake_limit_lets_a_later_booking_pass_so_often_then_holds_the_seats(s: &Setup) {
    let (event, singles, [(g, group), (d, single)]) = a_full_line(s, &json!({"overtakeLimit": 1})).await;

    s.cancel(&singles[0].0, &singles[0].1).await;
    assert_eq!(place(&s.booking(&d, &single).await), confirmed(), "D passed G, once");
    assert_eq!(place(&s.booking(&g, &group).await), waiting(1, 0));
    assert_eq!(s.seats(event).await, (json!(0), json!(3)));

    let (_, e) = s.user("e").await;
    let newcomer = s.booked(&e, event, 1, "PENDING").await;
    assert_eq!(place(&newcomer), waiting(2, 3), "behind G");

    s.cancel(&singles[1].0, &singles[1].1).await;
    assert_eq!(place(&s.booking(&e, &newcomer).await), waiting(2, 3), "the seat is held for G");
    assert_eq!(s.seats(event).await, (json!(1), json!(4)));
    s.cancel(&singles[2].0, &singles[2].1).await;
    assert_eq!(place(&s.booking(&e, &newcomer).await), waiting(2, 3), "still held for G");
    assert_eq!(s.seats(event).await, (json!(2), json!(4)));

    s.cancel(&singles[3].0, &singles[3].1).await;
    assert_eq!(place(&s.booking(&g, &group).await), confirmed());
    assert_eq!(place(&s.booking(&e, &newcomer).await), waiting(1, 0), "E is first in line");
    assert_eq!(s.seats(event).await, (json!(0), json!(1)));
}

/// K = 1: a newcomer that fits is served past a group that does not, which counts the pass;
/// the next newcomer waits behind the group, whose seats are now held, though one is free.
async fn a_newcomer_may_pass_the_line_only_as_the_overtake_limit_allows(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g), (_, e), (_, f)] =
        [s.user("a").await, s.user("g").await, s.user("e").await, s.user("f").await];
    let event = s.event(&organizer, 4, &json!({"overtakeLimit": 1})).await;
    s.booked(&a, event, 1, "CONFIRMED").await;
    s.booked(&g, event, 4, "PENDING").await;
    assert_eq!(s.seats(event).await, (json!(3), json!(4)));

    s.booked(&e, event, 1, "CONFIRMED").await;
    let held = s.booked(&f, event, 1, "PENDING").await;
    assert_eq!(place(&held), waiting(2, 4), "the group has been passed once: its seats are held");
    assert_eq!(s.seats(event).await, (json!(2), json!(5)));
}

/// Lowering keeps the booking (same id) and its place; once it fits it is served in the
/// same transaction, and the answer lists it as promoted.
async fn lowering_a_waiting_quantity_keeps_the_place_and_may_be_served_at_once(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g), (_, d)] = [s.user("a").await, s.user("g").await, s.user("d").await];
    let event = s.event(&organizer, 4, &json!({})).await;
    s.booked(&a, event, 3, "CONFIRMED").await;
    let group = s.booked(&g, event, 3, "PENDING").await;
    let behind = s.booked(&d, event, 2, "PENDING").await;

    let lowered = s.change(&g, &group, &json!({"quantity": 2})).await;
    assert_eq!(lowered.status, StatusCode::OK, "{lowered:?}");
    assert_eq!(lowered.body["message"], "Booking updated successfully");
    let booking = &lowered.body["booking"];
    assert_eq!((&booking["id"], &booking["quantity"]), (&group["id"], &json!(2)));
    assert_eq!(place(booking), waiting(1, 0), "its place is kept; one seat is free, two are needed");
    assert!(lowered.body.get("replaced").is_none(), "{lowered:?}");
    assert_eq!(lowered.body["promoted"], json!([]));
    assert_eq!(place(&s.booking(&d, &behind).await), waiting(2, 2));
    assert_eq!(s.seats(event).await, (json!(1), json!(4)));

    let served = s.change(&g, &group, &json!({"quantity": 1})).await;
    assert_eq!(served.status, StatusCode::OK, "{served:?}");
    assert_eq!(
        (&served.body["booking"]["id"], &served.body["booking"]["quantity"]),
        (&group["id"], &json!(1))
    );
    assert_eq!(place(&served.body["booking"]), confirmed(), "served at once");
    assert_eq!(place(&s.booking(&d, &behind).await), waiting(1, 0));
    assert_eq!(s.seats(event).await, (json!(0), json!(2)));
    let promoted = served.body["promoted"].as_array().unwrap();
    assert_eq!(promoted.len(), 1, "{served:?}");
    let notices = feed_of(s, &g, 2).await;
    let told: Vec<(&Value, &Value)> =
        notices.iter().map(|n| (&n["type"], &n["data"]["booking"]["quantity"])).collect();
    // The booking was promoted with the one seat it now holds, not the three it waited for
    // or the two it was lowered to first.
    assert_eq!(
        (&promoted[0]["id"], &promoted[0]["quantity"], told),
        (
            &group["id"],
            &json!(1),
            vec![(&json!("booking.waitlisted"), &json!(3)), (&json!("booking.promoted"), &json!(1))]
        )
    );
}

/// Raising cancels the booking and puts a new one with the quantity at the back of the line.
async fn raising_a_waiting_quantity_moves_it_to_the_back_as_a_new_booking(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (g_id, g), (_, d)] = [s.user("a").await, s.user("g").await, s.user("d").await];
    let event = s.event(&organizer, 3, &json!({})).await;
    s.booked(&a, event, 3, "CONFIRMED").await;
    let first = s.booked(&g, event, 1, "PENDING").await;
    let second = s.booked(&d, event, 2, "PENDING").await;

    let raised = s.change(&g, &first, &json!({"quantity": 2})).await;
    assert_eq!(raised.status, StatusCode::OK, "{raised:?}");
    let booking = raised.body["booking"].clone();
    assert_ne!(booking["id"], first["id"], "a new booking");
    assert_eq!(
        (&booking["userId"], &booking["eventId"], &booking["quantity"]),
        (&json!(g_id), &json!(event), &json!(2))
    );
    assert_eq!(place(&booking), waiting(2, 2), "at the back, behind D's two seats");
    let replaced = &raised.body["replaced"];
    assert_eq!(
        (&replaced["id"], &replaced["status"], &replaced["quantity"]),
        (&first["id"], &json!("CANCELLED"), &json!(1))
    );
    assert_eq!(raised.body["promoted"], json!([]));

    assert_eq!(place(&s.booking(&g, &first).await).0, json!("CANCELLED"));
    assert_eq!(place(&s.booking(&g, &booking).await), waiting(2, 2));
    assert_eq!(place(&s.booking(&d, &second).await), waiting(1, 0), "D moved up");
    assert_eq!(s.seats(event).await, (json!(0), json!(4)));
}

/// K = 0: a group at the head that does not fit blocks a single behind it; raised, it leaves
/// its place, the single is served in the same transaction (listed in `promoted`), and the new
/// booking waits at the back. The holders' feeds tell each step with its quantity.
async fn raising_the_head_of_the_line_lets_those_behind_it_be_served(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g), (_, d)] = [s.user("a").await, s.user("g").await, s.user("d").await];
    let event = s.event(&organizer, 4, &json!({})).await;
    s.booked(&a, event, 2, "CONFIRMED").await;
    let head = s.booked(&g, event, 3, "PENDING").await;
    let single = s.booked(&d, event, 1, "PENDING").await;
    assert_eq!(place(&single), waiting(2, 3));

    let raised = s.change(&g, &head, &json!({"quantity": 4})).await;
    assert_eq!(raised.status, StatusCode::OK, "{raised:?}");
    assert_eq!(
        (&raised.body["booking"]["quantity"], place(&raised.body["booking"])),
        (&json!(4), waiting(1, 0))
    );
    assert_eq!(raised.body["replaced"]["id"], head["id"]);
    let promoted = raised.body["promoted"].as_array().unwrap();
    assert_eq!(promoted.len(), 1, "{raised:?}");
    assert_eq!(
        (&promoted[0]["id"], &promoted[0]["status"], &promoted[0]["quantity"]),
        (&single["id"], &json!("CONFIRMED"), &json!(1))
    );
    assert_eq!(place(&s.booking(&d, &single).await), confirmed());
    assert_eq!(s.seats(event).await, (json!(1), json!(4)));

    let told = |notices: Vec<Value>| -> Vec<(Value, Value, Value)> {
        notices
            .iter()
            .map(|n| {
                (
                    n["type"].clone(),
                    n["data"]["booking"]["id"].clone(),
                    n["data"]["booking"]["quantity"].clone(),
                )
            })
            .collect()
    };
    let new = raised.body["booking"]["id"].clone();
    assert_eq!(
        told(feed_of(s, &g, 3).await),
        [
            (json!("booking.waitlisted"), head["id"].clone(), json!(3)),
            (json!("booking.cancelled"), head["id"].clone(), json!(3)),
            (json!("booking.waitlisted"), new, json!(4)),
        ]
    );
    assert_eq!(
        told(feed_of(s, &d, 2).await),
        [
            (json!("booking.waitlisted"), single["id"].clone(), json!(1)),
            (json!("booking.promoted"), single["id"].clone(), json!(1)),
        ]
    );
}

/// 404 for an unknown booking and for someone else's, 409 `booking_not_waiting`, 400 for a
/// bad quantity, one over the event's maximum, an unknown field or a bad id, 409
/// `quantity_over_limit`; none of them changes anything.
async fn changing_a_quantity_is_refused_as_documented(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g), (_, stranger)] = [s.user("a").await, s.user("g").await, s.user("stranger").await];
    let event = s.event(&organizer, 4, &json!({"maxPerBooking": 3})).await;
    let seated = s.booked(&a, event, 3, "CONFIRMED").await;
    let line = s.booked(&g, event, 2, "PENDING").await;

    let unknown = s.change(&g, &json!({"id": 987_654}), &json!({"quantity": 1})).await;
    assert_eq!(
        (unknown.status, &unknown.body["error"]),
        (StatusCode::NOT_FOUND, &json!("Booking with ID 987654 not found"))
    );
    let foreign = s.change(&stranger, &line, &json!({"quantity": 1})).await;
    assert_eq!(
        (foreign.status, &foreign.body["error"], &foreign.body["code"]),
        (
            StatusCode::NOT_FOUND,
            &json!(format!("Booking with ID {} not found", line["id"])),
            &json!("not_found")
        ),
        "another's booking is not revealed"
    );
    let organizers = s.change(&organizer, &line, &json!({"quantity": 1})).await;
    assert_eq!(organizers.status, StatusCode::NOT_FOUND, "the holder's alone: {organizers:?}");
    let held = s.change(&a, &seated, &json!({"quantity": 1})).await;
    assert_conflict(&held, "booking_not_waiting");
    assert_eq!(held.body["error"], format!("Booking with ID {} is not waiting", seated["id"]));

    for (body, message) in [
        (json!({}), "\"quantity\" is required"),
        (json!({"quantity": 0}), "\"quantity\" must be greater than or equal to 1"),
        (json!({"quantity": 101}), "\"quantity\" must be less than or equal to 100"),
        (json!({"quantity": 1.5}), "\"quantity\" must be an integer"),
        (json!({"quantity": "x"}), "\"quantity\" must be a number"),
        (json!({"quantity": null}), "\"quantity\" must be a number"),
        (json!({"quantity": 4}), "\"quantity\" must be less than or equal to 3, the event's maxPerBooking"),
        (json!({"quantity": 1, "seats": 1}), "\"seats\" is not allowed"),
    ] {
        assert_invalid(&s.change(&g, &line, &body).await, message);
    }
    assert_invalid(
        &s.patch("/bookings/abc", &json!({"quantity": 1}), &g).await,
        "\"id\" must be a positive integer",
    );
    let small = s.event(&organizer, 2, &json!({})).await;
    let (_, h) = s.user("h").await;
    s.booked(&a, small, 2, "CONFIRMED").await;
    let waiter = s.booked(&h, small, 1, "PENDING").await;
    let over = s.change(&h, &waiter, &json!({"quantity": 3})).await;
    assert_conflict(&over, "quantity_over_limit");
    assert_eq!(over.body["error"], "\"quantity\" must be less than or equal to 2, the event's ticketLimit");

    assert_eq!(
        (place(&s.booking(&g, &line).await), s.booking(&g, &line).await["quantity"].clone()),
        (waiting(1, 0), json!(2))
    );
    assert_eq!(place(&s.booking(&h, &waiter).await), waiting(1, 0));
    s.cancel(&g, &line).await;
    let cancelled = s.change(&g, &line, &json!({"quantity": 1})).await;
    assert_conflict(&cancelled, "booking_not_waiting");
}

/// A keyed raise repeated with its key answers the same again (`Idempotent-Replayed`), and
/// raises once: unkeyed, the repeat would find the booking cancelled (409).
async fn a_keyed_change_of_quantity_takes_effect_once_and_replays_its_answer(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g)] = [s.user("a").await, s.user("g").await];
    let event = s.event(&organizer, 3, &json!({})).await;
    s.booked(&a, event, 3, "CONFIRMED").await;
    let line = s.booked(&g, event, 1, "PENDING").await;
    let path = format!("/bookings/{}", line["id"]);
    let body = json!({"quantity": 2});

    let first = s.send(Method::PATCH, &path, Some(&body), Some(&g), Some("raise-once")).await;
    let again = s.send(Method::PATCH, &path, Some(&body), Some(&g), Some("raise-once")).await;

    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    assert!(first.headers.get("idempotent-replayed").is_none());
    assert_eq!((again.status, &again.body), (first.status, &first.body), "the same answer");
    assert_eq!(again.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    assert_eq!((&first.body["booking"]["quantity"], &first.body["replaced"]["id"]), (&json!(2), &line["id"]));
    assert_eq!(s.seats(event).await, (json!(0), json!(2)), "raised once");
    let mine = s.get("/me/bookings?status=PENDING", &g).await.body["bookings"].clone();
    assert_eq!(mine.as_array().unwrap().len(), 1, "one new booking: {mine}");
    assert_conflict(&s.patch(&path, &body, &g).await, "booking_not_waiting");

    let lowered = s
        .send(
            Method::PATCH,
            &format!("/bookings/{}", first.body["booking"]["id"]),
            Some(&json!({"quantity": 1})),
            Some(&g),
            Some("lower"),
        )
        .await;
    let replay = s
        .send(
            Method::PATCH,
            &format!("/bookings/{}", first.body["booking"]["id"]),
            Some(&json!({"quantity": 1})),
            Some(&g),
            Some("lower"),
        )
        .await;
    assert_eq!((lowered.status, &lowered.body["booking"]["quantity"]), (StatusCode::OK, &json!(1)));
    assert_eq!((replay.status, &replay.body), (lowered.status, &lowered.body));
}

/// Polls `token`'s feed until it holds `n` notifications.
async fn feed_of(s: &Setup, token: &str, n: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let items = s.get("/me/notifications?limit=100", token).await.body["notifications"]
            .as_array()
            .unwrap()
            .clone();
        if items.len() >= n || Instant::now() > deadline {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `quantity` (and `seatsAhead` while waiting) in the caller's bookings, the organizer's list,
/// one booking, and the notifications of each change.
async fn every_read_shows_the_quantity(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g)] = [s.user("a").await, s.user("g").await];
    let event = s.event(&organizer, 4, &json!({})).await;
    let seated = s.booked(&a, event, 3, "CONFIRMED").await;
    let line = s.booked(&g, event, 2, "PENDING").await;

    let mine = s.get("/me/bookings", &g).await.body["bookings"][0].clone();
    assert_eq!((&mine["id"], &mine["quantity"]), (&line["id"], &json!(2)));
    assert_eq!(place(&mine), waiting(1, 0));
    let listed = s.get(&format!("/events/{event}/bookings"), &organizer).await.body["bookings"].clone();
    let listed: Vec<(Value, Value, Value)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].clone(), b["quantity"].clone(), b["seatsAhead"].clone()))
        .collect();
    assert_eq!(
        listed,
        [(seated["id"].clone(), json!(3), Value::Null), (line["id"].clone(), json!(2), json!(0))]
    );

    s.cancel(&a, &seated).await;
    let notices = feed_of(s, &g, 2).await;
    let got: Vec<(&str, &Value, &Value, &Value)> = notices
        .iter()
        .map(|n| {
            let b = &n["data"]["booking"];
            (n["type"].as_str().unwrap(), &b["quantity"], &b["waitlistPosition"], &b["seatsAhead"])
        })
        .collect();
    assert_eq!(
        got,
        [
            ("booking.waitlisted", &json!(2), &json!(1), &json!(0)),
            ("booking.promoted", &json!(2), &Value::Null, &Value::Null)
        ]
    );
    let theirs = feed_of(s, &a, 2).await;
    assert!(theirs.iter().all(|n| n["data"]["booking"]["quantity"] == 3), "{theirs:?}");
}

/// `maxPerBooking` and `overtakeLimit`: defaults, bounds naming the field, shown in every
/// event body; `PATCH /events` serves the line under a new overtake limit and limit, lists
/// whoever it served with their quantity, and may lower the limit below a waiting group.
async fn events_take_and_show_their_seating_and_a_change_serves_the_line(s: &Setup) {
    let (_, organizer) = s.user("organizer").await;
    let [(_, a), (_, g), (_, d)] = [s.user("a").await, s.user("g").await, s.user("d").await];
    for (field, value, message) in [
        ("maxPerBooking", json!(0), "\"maxPerBooking\" must be greater than or equal to 1"),
        ("maxPerBooking", json!(101), "\"maxPerBooking\" must be less than or equal to 100"),
        ("maxPerBooking", json!("x"), "\"maxPerBooking\" must be a number"),
        ("maxPerBooking", json!(null), "\"maxPerBooking\" must be a number"),
        ("overtakeLimit", json!(-1), "\"overtakeLimit\" must be greater than or equal to 0"),
        ("overtakeLimit", json!(101), "\"overtakeLimit\" must be less than or equal to 100"),
        ("overtakeLimit", json!(1.5), "\"overtakeLimit\" must be an integer"),
    ] {
        let mut body = event_body(4);
        body[field] = value.clone();
        assert_invalid(&s.post("/initialize", &body, &organizer).await, message);
    }
    let created = s.post("/initialize", &event_body(4), &organizer).await;
    let shown = &created.body["event"];
    assert_eq!((&shown["maxPerBooking"], &shown["overtakeLimit"]), (&json!(10), &json!(0)), "the defaults");
    let event = shown["id"].as_i64().unwrap();
    let path = format!("/events/{event}");
    for (body, message) in [
        (json!({"maxPerBooking": 0}), "\"maxPerBooking\" must be greater than or equal to 1"),
        (json!({"overtakeLimit": 101}), "\"overtakeLimit\" must be less than or equal to 100"),
    ] {
        assert_invalid(&s.patch(&path, &body, &organizer).await, message);
    }

    s.booked(&a, event, 2, "CONFIRMED").await;
    let group = s.booked(&g, event, 4, "PENDING").await;
    let single = s.booked(&d, event, 1, "PENDING").await;
    let changed = s.patch(&path, &json!({"overtakeLimit": 1, "maxPerBooking": 3}), &organizer).await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!(
        (&changed.body["event"]["overtakeLimit"], &changed.body["event"]["maxPerBooking"]),
        (&json!(1), &json!(3))
    );
    let promoted = changed.body["promoted"].as_array().unwrap();
    assert_eq!(promoted.len(), 1, "{changed:?}");
    assert_eq!(
        (&promoted[0]["id"], &promoted[0]["quantity"], &promoted[0]["status"]),
        (&single["id"], &json!(1), &json!("CONFIRMED"))
    );
    let read = s.get(&path, &organizer).await.body;
    assert_eq!((&read["maxPerBooking"], &read["overtakeLimit"]), (&json!(3), &json!(1)));
    let status = s.send(Method::GET, &format!("/status/{event}"), None, None, None).await.body;
    assert_eq!(
        (&status["event"]["maxPerBooking"], &status["ticketsAvailable"], &status["waitingListCount"]),
        (&json!(3), &json!(1), &json!(4))
    );
    let listed = s.get("/events?limit=100", &organizer).await.body["events"].clone();
    let listed = listed.as_array().unwrap().iter().find(|e| e["id"] == event).unwrap().clone();
    assert_eq!((&listed["maxPerBooking"], &listed["overtakeLimit"]), (&json!(3), &json!(1)));

    let (_, e) = s.user("e").await;
    assert_invalid(
        &s.book(&e, event, json!(4)).await,
        "\"quantity\" must be less than or equal to 3, the event's maxPerBooking",
    );
    let below_group = s.patch(&path, &json!({"ticketLimit": 3}), &organizer).await;
    assert_eq!(
        below_group.status,
        StatusCode::OK,
        "below a waiting group's quantity is allowed: {below_group:?}"
    );
    let kept = s.booking(&g, &group).await;
    assert_eq!(
        (place(&kept), &kept["quantity"]),
        (waiting(1, 0), &json!(4)),
        "it waits for more, with its 4 seats"
    );
    assert_conflict(
        &s.patch(&path, &json!({"ticketLimit": 2}), &organizer).await,
        "ticket_limit_below_taken",
    );
    let raised = s.patch(&path, &json!({"ticketLimit": 7}), &organizer).await;
    assert_eq!(raised.status, StatusCode::OK, "{raised:?}");
    assert_eq!(raised.body["promoted"].as_array().map(Vec::len), Some(1), "{raised:?}");
    assert_eq!(
        (&raised.body["promoted"][0]["id"], &raised.body["promoted"][0]["quantity"]),
        (&group["id"], &json!(4))
    );
    assert_eq!(s.seats(event).await, (json!(0), json!(0)));
}

/// `/openapi.json` declares the new route, fields and statuses, with their bounds.
#[actix_web::test]
async fn the_openapi_document_declares_groups() {
    let app = spawn_memory_app().await;
    let doc = app.get("/openapi.json").await.body;
    let schema = |name: &str| doc["components"]["schemas"][name]["properties"].clone();
    let bounds = |property: &Value| (property["minimum"].clone(), property["maximum"].clone());

    let book = schema("BookRequest");
    assert_eq!(
        (bounds(&book["quantity"]), &book["quantity"]["default"]),
        ((json!(1), json!(100)), &json!(1))
    );
    for request in ["InitializeRequest", "ChangeEventRequest"] {
        let fields = schema(request);
        assert_eq!(bounds(&fields["maxPerBooking"]), (json!(1), json!(100)), "{request}");
        assert_eq!(bounds(&fields["overtakeLimit"]), (json!(0), json!(100)), "{request}");
    }
    let event = &doc["components"]["schemas"]["EventBody"];
    let booking = &doc["components"]["schemas"]["BookingBody"];
    for (object, field, required) in [
        (event, "maxPerBooking", true),
        (event, "overtakeLimit", true),
        (booking, "quantity", true),
        (booking, "seatsAhead", false),
    ] {
        assert!(object["properties"][field].is_object(), "{field}");
        let listed = object["required"].as_array().unwrap().contains(&json!(field));
        assert_eq!(listed, required, "{field} required");
    }
    let change = &doc["components"]["schemas"]["ChangeQuantityRequest"];
    assert_eq!((&change["required"], &change["additionalProperties"]), (&json!(["quantity"]), &json!(false)));
    for field in ["booking", "replaced", "promoted"] {
        assert!(
            doc["components"]["schemas"]["ChangeQuantityResponse"]["properties"][field].is_object(),
            "{field}"
        );
    }

    let patch = &doc["paths"]["/bookings/{id}"]["patch"];
    let statuses: Vec<&str> = patch["responses"].as_object().unwrap().keys().map(String::as_str).collect();
    for status in ["200", "400", "401", "404", "409", "422"] {
        assert!(statuses.contains(&status), "PATCH /bookings/{{id}} does not declare {status}: {statuses:?}");
    }
    let conflict = patch["responses"]["409"]["description"].as_str().unwrap();
    assert!(
        conflict.contains("booking_not_waiting") && conflict.contains("quantity_over_limit"),
        "{conflict}"
    );
    assert!(patch["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "Idempotency-Key"));
    let book_conflict = doc["paths"]["/book"]["post"]["responses"]["409"]["description"].as_str().unwrap();
    assert!(book_conflict.contains("quantity_over_limit"), "{book_conflict}");
}
