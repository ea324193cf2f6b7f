use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, event_body, spawn_memory_app};

#[actix_web::test]
async fn creating_an_event_answers_201_with_the_event() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("organizer").await;
    let mut body = event_body(100);
    body["price"] = json!(19.99);

    let answer = app.post("/initialize", &body, Some(&token)).await;

    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(answer.body["message"], "Event created successfully");
    let event = &answer.body["event"];
    assert!(event["id"].as_i64().unwrap() > 0);
    assert_eq!(
        (&event["name"], &event["date"], &event["ticketLimit"], &event["price"]),
        (&json!("New Years Eve Party"), &json!("2027-12-31"), &json!(100), &json!(19.99))
    );
    assert!(answer.body.to_string().contains("\"price\":19.99"), "exact, not 19.989999…: {}", answer.body);
}

#[actix_web::test]
async fn a_free_event_is_allowed_and_a_whole_price_stays_whole() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("organizer").await;
    let mut free = event_body(10);
    free["price"] = json!(0);

    let free = app.post("/initialize", &free, Some(&token)).await;
    let paid = app.post("/initialize", &event_body(10), Some(&token)).await;

    assert_eq!(free.body["event"]["price"], json!(0), "{free:?}");
    assert!(paid.body["event"]["price"].is_u64(), "1000, not 1000.0: {}", paid.body);
}

#[actix_web::test]
async fn creating_an_event_needs_a_token() {
    let app = spawn_memory_app().await;
    assert_error(
        &app.post("/initialize", &event_body(10), None).await,
        StatusCode::UNAUTHORIZED,
        "Access denied",
    );
}

#[actix_web::test]
async fn every_missing_or_bad_field_is_a_400_that_names_it_and_creates_nothing() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("organizer").await;
    let with = |field: &str, value: serde_json::Value| {
        let mut body = event_body(10);
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        } else {
            body[field] = value;
        }
        body
    };
    let cases = [
        (with("name", json!(null)), "\"name\" is required"),
        (with("name", json!("  ")), "\"name\" is not allowed to be empty"),
        (with("description", json!(null)), "\"description\" is required"),
        (with("location", json!("")), "\"location\" is not allowed to be empty"),
        (with("date", json!(null)), "\"date\" is required"),
        (with("date", json!("2027-02-30")), "\"date\" must be a valid date"),
        (with("date", json!("31/12/2027")), "\"date\" must be a valid date"),
        (with("ticketLimit", json!(null)), "\"ticketLimit\" is required"),
        (with("ticketLimit", json!(0)), "\"ticketLimit\" must be greater than or equal to 1"),
        (with("ticketLimit", json!(1.5)), "\"ticketLimit\" must be an integer"),
        (with("ticketLimit", json!("many")), "\"ticketLimit\" must be a number"),
        (with("price", json!(null)), "\"price\" is required"),
        (with("price", json!(-1)), "\"price\" must be greater than or equal to 0"),
        (with("price", json!(1.999)), "\"price\" must have no more than 2 decimal places"),
        (with("price", json!("free")), "\"price\" must be a number"),
    ];
    for (body, message) in cases {
        assert_error(&app.post("/initialize", &body, Some(&token)).await, StatusCode::BAD_REQUEST, message);
    }
    assert_eq!(app.get("/status/1").await.status, StatusCode::NOT_FOUND, "nothing was created");
}

#[actix_web::test]
async fn the_status_shows_free_seats_and_the_waiting_list() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("organizer").await;
    let event = app.event(&organizer, 1).await;
    for name in ["ann", "ben", "cat"] {
        let (_, token) = app.user(name).await;
        app.book(&token, event).await;
    }

    let answer = app.get(&format!("/status/{event}")).await;

    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["event"]["id"], json!(event));
    assert_eq!(answer.body["event"]["ticketLimit"], json!(1));
    assert_eq!((&answer.body["ticketsAvailable"], &answer.body["waitingListCount"]), (&json!(0), &json!(2)));
}

#[actix_web::test]
async fn the_status_of_an_unknown_event_is_404_and_a_bad_id_is_400() {
    let app = spawn_memory_app().await;
    assert_error(&app.get("/status/999").await, StatusCode::NOT_FOUND, "Event with ID 999 not found");
    assert_error(&app.get("/status/-1").await, StatusCode::NOT_FOUND, "Event with ID -1 not found");
    assert_error(&app.get("/status/abc").await, StatusCode::BAD_REQUEST, "\"eventId\" must be a number");
    assert_error(&app.get("/status/1.5").await, StatusCode::BAD_REQUEST, "\"eventId\" must be an integer");
}
