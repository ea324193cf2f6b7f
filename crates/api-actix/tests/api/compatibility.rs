//! docs/COMPATIBILITY.md, row by row, against the running service: what the original's clients
//! send, and the status and `error` they get. `{…}` in a path or body is filled in from the
//! fixture.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_memory_app};

/// The state the rows refer to.
struct Fixture {
    app: TestApp,
    token: String,
    vars: Vec<(&'static str, String)>,
}

async fn fixture() -> Fixture {
    let app = spawn_memory_app().await;
    let (me, token) = app.user("compat").await;
    let (other, other_token) = app.user("other").await;
    let open = app.event(&token, 100).await;
    let bearer = app.event(&token, 100).await;
    let full = app.event(&other_token, 1).await;
    app.book(&other_token, full).await;
    let held = app.event(&other_token, 5).await;
    app.book(&token, held).await;
    let waiting = app.event(&other_token, 1).await;
    app.book(&other_token, waiting).await;
    app.book(&token, waiting).await;
    // Someone else's booking of an event someone else organises.
    let others_booking = app.book(&other_token, held).await.body["booking"]["id"].as_i64().unwrap();
    let cancelled =
        app.book(&token, app.event(&other_token, 5).await).await.body["booking"]["id"].as_i64().unwrap();
    let answer = app.post("/cancel", &json!({"id": cancelled}), Some(&token)).await;
    assert_eq!(answer.status, StatusCode::OK);
    // One seat, never booked by the caller.
    let single = app.event(&other_token, 1).await;
    let vars = vec![
        ("{me}", me.to_string()),
        ("{other}", other.to_string()),
        ("{open}", open.to_string()),
        ("{bearer}", bearer.to_string()),
        ("{full}", full.to_string()),
        ("{held}", held.to_string()),
        ("{waiting}", waiting.to_string()),
        ("{others_booking}", others_booking.to_string()),
        ("{cancelled}", cancelled.to_string()),
        ("{single}", single.to_string()),
    ];
    Fixture { app, token, vars }
}

impl Fixture {
    fn fill(&self, text: &str) -> String {
        self.vars.iter().fold(text.to_owned(), |text, (key, value)| text.replace(key, value))
    }
}

/// How a row authenticates.
#[derive(Clone, Copy)]
enum Auth {
    None,
    Bare,
    Bearer,
    Garbage,
}

/// One row: request, and the answer expected (`None`: any `error`, e.g. on success).
struct Row {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    auth: Auth,
    body: &'static str,
    status: u16,
    error: Option<&'static str>,
}

const fn row(
    what: &'static str,
    method: &'static str,
    path: &'static str,
    auth: Auth,
    body: &'static str,
    status: u16,
    error: Option<&'static str>,
) -> Row {
    Row { what, method, path, auth, body, status, error }
}

const EVENT: &str = r#""name": "N", "description": "D", "location": "L", "ticketLimit": 10, "price": 10"#;

fn rows() -> Vec<Row> {
    use Auth::{Bare, Bearer, Garbage, None as Anon};
    let initialize =
        |what, body: &'static str, status, error| row(what, "POST", "/initialize", Bare, body, status, error);
    vec![
        // Every request
        row("unknown key", "POST", "/book", Bare, r#"{"eventId": {open}, "userId": {me}, "x": 1}"#, 400, Some("\"x\" is not allowed")),
        row("null field", "POST", "/book", Bare, r#"{"eventId": null}"#, 400, Some("\"eventId\" must be a number")),
        row("first in schema order", "POST", "/initialize", Bare, r#"{"date": "bad", "ticketLimit": 0}"#, 400, Some("\"name\" is required")),
        row("not an object", "POST", "/login", Anon, "[1]", 400, Some("\"value\" must be of type object")),
        row("not JSON", "POST", "/login", Anon, "{", 400, None),
        row("unknown route", "GET", "/nowhere", Anon, "", 404, Some("No route for GET /nowhere")),
        row("wrong method", "GET", "/book", Anon, "", 405, Some("Method not allowed")),
        // Authentication
        row("no token", "POST", "/book", Anon, r#"{"eventId": {open}}"#, 401, Some("Access denied")),
        row("garbage token", "POST", "/book", Garbage, r#"{"eventId": {open}}"#, 401, Some("Access denied")),
        row("bearer form", "POST", "/book", Bearer, r#"{"eventId": {bearer}}"#, 201, None),
        // POST /login
        row("login", "POST", "/login", Anon, r#"{"email": "compat@example.com", "password": "correct-horse"}"#, 200, None),
        row("login: no email", "POST", "/login", Anon, r#"{"password": "x"}"#, 400, Some("\"email\" is required")),
        row("login: empty email", "POST", "/login", Anon, r#"{"email": "", "password": "x"}"#, 400, Some("\"email\" is not allowed to be empty")),
        row("login: email not a string", "POST", "/login", Anon, r#"{"email": 5, "password": "x"}"#, 400, Some("\"email\" must be a string")),
        row("login: not an address", "POST", "/login", Anon, r#"{"email": "nope", "password": "x"}"#, 400, Some("\"email\" must be a valid email")),
        row("login: no password", "POST", "/login", Anon, r#"{"email": "a@b.co"}"#, 400, Some("\"password\" is required")),
        row("login: empty password", "POST", "/login", Anon, r#"{"email": "a@b.co", "password": ""}"#, 400, Some("\"password\" is not allowed to be empty")),
        row("login: password not a string", "POST", "/login", Anon, r#"{"email": "a@b.co", "password": 5}"#, 400, Some("\"password\" must be a string")),
        row("login: unknown key", "POST", "/login", Anon, r#"{"email": "a@b.co", "password": "x", "remember": true}"#, 400, Some("\"remember\" is not allowed")),
        row("login: username alias", "POST", "/login", Anon, r#"{"username": "compat@example.com", "password": "correct-horse"}"#, 200, None),
        row("login: unknown address", "POST", "/login", Anon, r#"{"email": "nobody@example.com", "password": "x"}"#, 401, Some("Invalid email or password")),
        row("login: wrong password", "POST", "/login", Anon, r#"{"email": "compat@example.com", "password": "wrong"}"#, 401, Some("Invalid email or password")),
        row("login: other case", "POST", "/login", Anon, r#"{"email": "COMPAT@example.com", "password": "correct-horse"}"#, 200, None),
        // POST /initialize
        initialize("initialize", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10}"#, 201, Some("")),
        initialize("name missing", r#"{"description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"name\" is required")),
        initialize("name empty", r#"{"name": "", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"name\" is not allowed to be empty")),
        initialize("name blank", r#"{"name": "  ", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"name\" is not allowed to be empty")),
        initialize("name not a string", r#"{"name": 5, "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"name\" must be a string")),
        initialize("description missing", r#"{"name": "N", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"description\" is required")),
        initialize("location null", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": null, "ticketLimit": 10, "price": 10}"#, 400, Some("\"location\" must be a string")),
        initialize("date missing", r#"{"name": "N", "description": "D", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"date\" is required")),
        initialize("date null", r#"{"name": "N", "description": "D", "date": null, "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"date\" must be a valid date")),
        initialize("date words", r#"{"name": "N", "description": "D", "date": "tomorrow", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"date\" must be a valid date")),
        initialize("date lenient format", r#"{"name": "N", "description": "D", "date": "May 20, 2027", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"date\" must be a valid date")),
        initialize("date not a day", r#"{"name": "N", "description": "D", "date": "2027-02-30", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"date\" must be a valid date")),
        initialize("date year 0", r#"{"name": "N", "description": "D", "date": "0000-01-01", "location": "L", "ticketLimit": 10, "price": 10}"#, 400, Some("\"date\" must be a valid date")),
        initialize("ticketLimit missing", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "price": 10}"#, 400, Some("\"ticketLimit\" is required")),
        initialize("ticketLimit words", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": "many", "price": 10}"#, 400, Some("\"ticketLimit\" must be a number")),
        initialize("ticketLimit fraction", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 1.5, "price": 10}"#, 400, Some("\"ticketLimit\" must be an integer")),
        initialize("ticketLimit zero", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 0, "price": 10}"#, 400, Some("\"ticketLimit\" must be greater than or equal to 1")),
        initialize("ticketLimit numeric string", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": "1e2", "price": 10}"#, 201, Some("")),
        initialize("ticketLimit unsafe", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 9007199254740993, "price": 10}"#, 400, Some("\"ticketLimit\" must be a safe number")),
        initialize("ticketLimit over 32 bits", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 3000000000, "price": 10}"#, 400, Some("\"ticketLimit\" must be less than or equal to 2147483647")),
        initialize("price missing", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10}"#, 400, Some("\"price\" is required")),
        initialize("price words", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": "cheap"}"#, 400, Some("\"price\" must be a number")),
        initialize("price zero", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 0}"#, 201, Some("")),
        initialize("price negative", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": -5}"#, 400, Some("\"price\" must be greater than or equal to 0")),
        initialize("price 3 decimals", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 19.999}"#, 400, Some("\"price\" must have no more than 2 decimal places")),
        initialize("price string", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": "19.99"}"#, 201, Some("")),
        initialize("maxPerBooking 0", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10, "maxPerBooking": 0}"#, 400, Some("\"maxPerBooking\" must be greater than or equal to 1")),
        initialize("overtakeLimit 101", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10, "overtakeLimit": 101}"#, 400, Some("\"overtakeLimit\" must be less than or equal to 100")),
        initialize("unknown key", r#"{"name": "N", "description": "D", "date": "2027-05-20", "location": "L", "ticketLimit": 10, "price": 10, "venue": "x"}"#, 400, Some("\"venue\" is not allowed")),
        // POST /book
        row("book", "POST", "/book", Bare, r#"{"eventId": {open}, "userId": {me}}"#, 201, Some("")),
        row("book sold out", "POST", "/book", Bare, r#"{"eventId": {full}, "userId": {me}}"#, 201, Some("")),
        row("book: no eventId", "POST", "/book", Bare, r#"{"userId": {me}}"#, 400, Some("\"eventId\" is required")),
        row("book: eventId words", "POST", "/book", Bare, r#"{"eventId": "abc"}"#, 400, Some("\"eventId\" must be a number")),
        row("book: eventId fraction", "POST", "/book", Bare, r#"{"eventId": 1.5}"#, 400, Some("\"eventId\" must be an integer")),
        row("book: eventId negative", "POST", "/book", Bare, r#"{"eventId": -1}"#, 400, Some("\"eventId\" must be a positive integer")),
        row("book: no such event", "POST", "/book", Bare, r#"{"eventId": 987654, "userId": {me}}"#, 404, Some("Event with ID 987654 not found")),
        row("book: for someone else", "POST", "/book", Bare, r#"{"eventId": {open}, "userId": {other}}"#, 403, Some("Access denied")),
        row("book: holds a seat", "POST", "/book", Bare, r#"{"eventId": {held}, "userId": {me}}"#, 400, Some("User already has a booking")),
        row("book: waits already", "POST", "/book", Bare, r#"{"eventId": {waiting}, "userId": {me}}"#, 400, Some("User is already on wait list")),
        row("book: quantity 0", "POST", "/book", Bare, r#"{"eventId": {open}, "quantity": 0}"#, 400, Some("\"quantity\" must be greater than or equal to 1")),
        row("book: quantity words", "POST", "/book", Bare, r#"{"eventId": {open}, "quantity": "two"}"#, 400, Some("\"quantity\" must be a number")),
        row("book: quantity over maxPerBooking", "POST", "/book", Bare, r#"{"eventId": {single}, "quantity": 11}"#, 400, Some("\"quantity\" must be less than or equal to 10, the event's maxPerBooking")),
        row("book: quantity over ticketLimit", "POST", "/book", Bare, r#"{"eventId": {single}, "quantity": 2}"#, 409, Some("\"quantity\" must be less than or equal to 1, the event's ticketLimit")),
        // POST /cancel
        row("cancel: no id", "POST", "/cancel", Bare, "{}", 400, Some("\"id\" is required")),
        row("cancel: id words", "POST", "/cancel", Bare, r#"{"id": "abc"}"#, 400, Some("\"id\" must be a number")),
        row("cancel: id fraction", "POST", "/cancel", Bare, r#"{"id": 2.5}"#, 400, Some("\"id\" must be an integer")),
        row("cancel: no such booking", "POST", "/cancel", Bare, r#"{"id": 987654}"#, 404, Some("Booking with ID 987654 not found")),
        row("cancel: id below 1", "POST", "/cancel", Bare, r#"{"id": -1}"#, 404, Some("Booking with ID -1 not found")),
        row("cancel: cancelled", "POST", "/cancel", Bare, r#"{"id": {cancelled}}"#, 400, Some("Booking with ID {cancelled} has already been cancelled")),
        row("cancel: someone else's", "POST", "/cancel", Bare, r#"{"id": {others_booking}}"#, 403, Some("Access denied")),
        row("cancel: unknown key", "POST", "/cancel", Bare, r#"{"id": {cancelled}, "why": "x"}"#, 400, Some("\"why\" is not allowed")),
        // GET /status/:eventId
        row("status", "GET", "/status/{open}", Anon, "", 200, None),
        row("status: words", "GET", "/status/abc", Anon, "", 400, Some("\"eventId\" must be a number")),
        row("status: fraction", "GET", "/status/1.5", Anon, "", 400, Some("\"eventId\" must be an integer")),
        row("status: no such event", "GET", "/status/987654", Anon, "", 404, Some("Event with ID 987654 not found")),
        row("status: below 1", "GET", "/status/-1", Anon, "", 404, Some("Event with ID -1 not found")),
        row("status: exponent", "GET", "/status/9.87654e5", Anon, "", 404, Some("Event with ID 987654 not found")),
        row("status: unsafe", "GET", "/status/99999999999999999999", Anon, "", 400, Some("\"eventId\" must be a safe number")),
    ]
    .into_iter()
    .map(|mut r| {
        if r.error == Some("") {
            r.error = None;
        }
        r
    })
    .collect()
}

#[actix_web::test]
async fn every_row_of_the_compatibility_table_answers_as_documented() {
    let fx = fixture().await;
    let mut failures = Vec::new();
    for row in rows() {
        let url = fx.app.url(&fx.fill(row.path));
        let mut request = fx.app.client.request(row.method.parse().unwrap(), url);
        request = match row.auth {
            Auth::None => request,
            Auth::Bare => request.header("Authorization", &fx.token),
            Auth::Bearer => request.header("Authorization", format!("Bearer {}", fx.token)),
            Auth::Garbage => request.header("Authorization", "not-a-token"),
        };
        if !row.body.is_empty() {
            request = request.header("Content-Type", "application/json").body(fx.fill(row.body));
        }
        let answer = fx.app.send(request).await;
        let error = row.error.map(|e| fx.fill(e));
        if answer.status.as_u16() != row.status || error.as_ref().is_some_and(|e| answer.body["error"] != *e)
        {
            failures.push(format!(
                "{}: expected {} {error:?}, got {} {}",
                row.what, row.status, answer.status, answer.body
            ));
        }
    }
    assert!(failures.is_empty(), "{} row(s) differ:\n{}", failures.len(), failures.join("\n"));
}

/// The keys of a JSON object.
fn keys(value: &Value) -> BTreeSet<&str> {
    value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().map(String::as_str).collect()
}

/// `old` plus `new`.
fn with<'a>(old: &[&'a str], new: &[&'a str]) -> BTreeSet<&'a str> {
    old.iter().chain(new).copied().collect()
}

const ORIGINAL_EVENT: [&str; 11] = [
    "id",
    "name",
    "description",
    "date",
    "location",
    "ticketLimit",
    "price",
    "organizerId",
    "status",
    "ticketsAvailable",
    "waitingListCount",
];
const ORIGINAL_BOOKING: [&str; 5] = ["id", "eventId", "userId", "status", "createdAt"];

/// A client of the original that sends no `quantity` gets the bodies it got before groups
/// existed, with only new keys added: `quantity` 1 on every booking, `seatsAhead` beside
/// `waitlistPosition`, `maxPerBooking`, `overtakeLimit` and (from offers) `promotion` —
/// `instant`, the original behaviour —, `offerWindowSeconds` and `seatsOnOffer` on every event;
/// and
/// `waitingListCount`, which counts seats, still counts its bookings.
#[actix_web::test]
async fn a_client_that_sends_no_quantity_sees_the_old_bodies_with_new_keys_only() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("organizer").await;
    let event_keys = with(
        &ORIGINAL_EVENT,
        &["maxPerBooking", "overtakeLimit", "promotion", "offerWindowSeconds", "seatsOnOffer"],
    );

    let created = app
        .post(
            "/initialize",
            &serde_json::from_str(&format!("{{{EVENT}, \"date\": \"2027-05-20\"}}")).unwrap(),
            Some(&organizer),
        )
        .await;
    assert_eq!(
        (created.status, keys(&created.body)),
        (StatusCode::CREATED, BTreeSet::from(["message", "event"]))
    );
    assert_eq!(keys(&created.body["event"]), event_keys);
    let event = created.body["event"]["id"].as_i64().unwrap();
    let patched = app.patch(&format!("/events/{event}"), &json!({"ticketLimit": 1}), &organizer).await;
    assert_eq!(keys(&patched.body["event"]), event_keys);

    let seat = app.book(&organizer, event).await;
    assert_eq!(seat.body["message"], "Ticket booked successfully");
    assert_eq!(keys(&seat.body["booking"]), with(&ORIGINAL_BOOKING, &["quantity"]));
    assert_eq!(seat.body["booking"]["quantity"], 1);
    for (n, name) in ["first", "second"].into_iter().enumerate() {
        let (_, token) = app.user(name).await;
        let line = app.book(&token, event).await;
        assert_eq!(line.body["message"], "Event is sold out. User added to wait list");
        let booking = &line.body["booking"];
        assert_eq!(keys(booking), with(&ORIGINAL_BOOKING, &["quantity", "waitlistPosition", "seatsAhead"]));
        assert_eq!(
            (&booking["quantity"], &booking["waitlistPosition"], &booking["seatsAhead"]),
            (&json!(1), &json!(n + 1), &json!(n))
        );
    }

    let status = app.get(&format!("/status/{event}")).await.body;
    assert_eq!(keys(&status), BTreeSet::from(["event", "ticketsAvailable", "waitingListCount"]));
    assert_eq!(keys(&status["event"]), event_keys);
    assert_eq!(
        (&status["ticketsAvailable"], &status["waitingListCount"]),
        (&json!(0), &json!(2)),
        "two bookings wait"
    );

    let cancelled = app.post("/cancel", &json!({"id": seat.body["booking"]["id"]}), Some(&organizer)).await;
    assert_eq!(cancelled.body["message"], "Booking cancelled successfully");
    assert_eq!(keys(&cancelled.body), BTreeSet::from(["message", "booking"]));
    assert_eq!(keys(&cancelled.body["booking"]), with(&ORIGINAL_BOOKING, &["quantity"]));
    let status = app.get(&format!("/status/{event}")).await.body;
    assert_eq!(
        (&status["ticketsAvailable"], &status["waitingListCount"]),
        (&json!(0), &json!(1)),
        "the first in line got the seat"
    );
}

/// The three forms of a date the original took, each stored as its UTC calendar day.
#[actix_web::test]
async fn dates_are_taken_as_days_date_times_and_milliseconds_and_shown_as_days() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("dates").await;
    for (date, shown) in [
        (json!("2027-05-20"), "2027-05-20"),
        (json!("2027-05-20T00:00:00.000Z"), "2027-05-20"),
        (json!("2027-05-20T23:30:00-05:00"), "2027-05-21"),
        (json!("2027-05-20T10:00"), "2027-05-20"),
        (json!(1_779_235_200_000_i64), "2026-05-20"),
        (json!("1779235200000"), "2026-05-20"),
    ] {
        let body: Value = serde_json::from_str(&format!("{{{EVENT}, \"date\": {date}}}")).unwrap();
        let created = app.post("/initialize", &body, Some(&token)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{date}: {created:?}");
        assert_eq!(created.body["event"]["date"], shown, "{date}");
        let id = created.body["event"]["id"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/status/{id}")).await.body["event"]["date"], shown, "{date} stored");
    }
}
