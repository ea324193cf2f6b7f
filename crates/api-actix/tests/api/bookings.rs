use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[actix_web::test]
async fn a_free_seat_is_booked_with_the_originals_message() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (buyer, token) = app.user("buyer").await;
    let event = app.event(&organizer, 2).await;

    let answer = app.book(&token, event).await;

    assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
    assert_eq!(answer.body["message"], "Ticket booked successfully");
    let booking = &answer.body["booking"];
    assert_eq!(
        (&booking["eventId"], &booking["userId"], &booking["status"]),
        (&json!(event), &json!(buyer), &json!("CONFIRMED"))
    );
    assert!(booking["id"].as_i64().is_some() && booking["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(booking.get("waitlistPosition").is_none());
}

#[actix_web::test]
async fn a_sold_out_event_puts_buyers_in_line_with_their_position() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let event = app.event(&organizer, 1).await;
    app.book(&organizer, event).await;
    let (_, first) = app.user("first").await;
    let (_, second) = app.user("second").await;

    let first = app.book(&first, event).await;
    let second = app.book(&second, event).await;

    for (answer, position) in [(first, 1), (second, 2)] {
        assert_eq!(answer.status, StatusCode::CREATED, "{answer:?}");
        assert_eq!(answer.body["message"], "Event is sold out. User added to wait list");
        assert_eq!(answer.body["booking"]["status"], "PENDING");
        assert_eq!(answer.body["booking"]["waitlistPosition"], json!(position));
    }
}

#[actix_web::test]
async fn booking_twice_is_refused_with_the_originals_messages() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, waiter) = app.user("waiter").await;
    let event = app.event(&organizer, 1).await;
    app.book(&organizer, event).await;
    app.book(&waiter, event).await;

    assert_error(&app.book(&organizer, event).await, StatusCode::BAD_REQUEST, "User already has a booking");
    assert_error(&app.book(&waiter, event).await, StatusCode::BAD_REQUEST, "User is already on wait list");
}

#[actix_web::test]
async fn a_user_may_name_themselves_but_not_someone_else() {
    let app = spawn_app().await;
    let (organizer_id, organizer) = app.user("organizer").await;
    let (buyer, token) = app.user("buyer").await;
    let event = app.event(&organizer, 5).await;

    let for_someone_else =
        app.post("/book", &json!({"eventId": event, "userId": organizer_id}), Some(&token)).await;
    let for_themselves = app.post("/book", &json!({"eventId": event, "userId": buyer}), Some(&token)).await;

    assert_error(&for_someone_else, StatusCode::FORBIDDEN, "Access denied");
    assert_eq!(for_themselves.status, StatusCode::CREATED, "{for_themselves:?}");
}

#[actix_web::test]
async fn booking_an_unknown_event_is_404() {
    let app = spawn_app().await;
    let (_, token) = app.user("buyer").await;
    assert_error(&app.book(&token, 999).await, StatusCode::NOT_FOUND, "Event with ID 999 not found");
}

#[actix_web::test]
async fn ids_may_be_numeric_strings_but_nothing_else() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, token) = app.user("buyer").await;
    let event = app.event(&organizer, 5).await;

    let as_string = app.post("/book", &json!({"eventId": event.to_string()}), Some(&token)).await;
    assert_eq!(as_string.status, StatusCode::CREATED, "{as_string:?}");
    let cases = [
        (json!({}), "\"eventId\" is required"),
        (json!({"eventId": "abc"}), "\"eventId\" must be a number"),
        (json!({"eventId": 1.5}), "\"eventId\" must be an integer"),
        (json!({"eventId": -1}), "\"eventId\" must be a positive integer"),
        (json!({"eventId": event, "userId": "me"}), "\"userId\" must be a number"),
    ];
    for (body, message) in cases {
        assert_error(&app.post("/book", &body, Some(&token)).await, StatusCode::BAD_REQUEST, message);
    }
}

#[actix_web::test]
async fn cancelling_by_booking_id_frees_the_seat_for_the_first_in_line() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, holder) = app.user("holder").await;
    let (waiter_id, waiter) = app.user("waiter").await;
    let event = app.event(&organizer, 1).await;
    let held = app.book(&holder, event).await.body["booking"]["id"].as_i64().unwrap();
    app.book(&waiter, event).await;

    let answer = app.post("/cancel", &json!({"id": held}), Some(&holder)).await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
    assert_eq!(answer.body["message"], "Booking cancelled successfully");
    assert_eq!(
        (&answer.body["booking"]["id"], &answer.body["booking"]["status"]),
        (&json!(held), &json!("CANCELLED"))
    );
    let status = app.get(&format!("/status/{event}")).await;
    assert_eq!((&status.body["ticketsAvailable"], &status.body["waitingListCount"]), (&json!(0), &json!(0)));
    let waiter_again = app.book(&waiter, event).await;
    assert_error(&waiter_again, StatusCode::BAD_REQUEST, "User already has a booking");
    assert!(waiter_id > 0);
}

#[actix_web::test]
async fn cancelling_by_event_id_cancels_the_callers_live_booking() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, token) = app.user("buyer").await;
    let event = app.event(&organizer, 1).await;
    let held = app.book(&token, event).await.body["booking"]["id"].clone();

    let cancelled = app.post("/cancel", &json!({"eventId": event}), Some(&token)).await;
    let again = app.post("/cancel", &json!({"eventId": event}), Some(&token)).await;

    assert_eq!((cancelled.status, &cancelled.body["booking"]["id"]), (StatusCode::OK, &held));
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{again:?}");
}

#[actix_web::test]
async fn cancelling_is_refused_for_cancelled_unknown_and_other_peoples_bookings() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, owner) = app.user("owner").await;
    let (_, stranger) = app.user("stranger").await;
    let event = app.event(&organizer, 5).await;
    let first = app.book(&owner, event).await.body["booking"]["id"].as_i64().unwrap();

    assert_error(
        &app.post("/cancel", &json!({"id": first}), Some(&stranger)).await,
        StatusCode::FORBIDDEN,
        "Access denied",
    );
    assert_eq!(app.post("/cancel", &json!({"id": first}), Some(&owner)).await.status, StatusCode::OK);
    assert_error(
        &app.post("/cancel", &json!({"id": first}), Some(&owner)).await,
        StatusCode::BAD_REQUEST,
        &format!("Booking with ID {first} has already been cancelled"),
    );
    assert_error(
        &app.post("/cancel", &json!({"id": 98_765}), Some(&owner)).await,
        StatusCode::NOT_FOUND,
        "Booking with ID 98765 not found",
    );
    assert_error(
        &app.post("/cancel", &json!({}), Some(&owner)).await,
        StatusCode::BAD_REQUEST,
        "\"id\" is required",
    );
}

#[actix_web::test]
async fn the_organizer_may_cancel_any_booking_of_their_event() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, buyer) = app.user("buyer").await;
    let event = app.event(&organizer, 5).await;
    let booking = app.book(&buyer, event).await.body["booking"]["id"].as_i64().unwrap();

    let answer = app.post("/cancel", &json!({"id": booking}), Some(&organizer)).await;

    assert_eq!(answer.status, StatusCode::OK, "{answer:?}");
}
