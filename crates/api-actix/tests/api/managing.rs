//! Managing an event (docs/API.md, "Managing an event"): PATCH /events/{id} and POST /events/{id}/cancel.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_memory_app};

#[actix_web::test]
async fn raising_the_limit_confirms_the_next_in_line_and_they_can_see_it() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("raiser").await;
    let event = app.event(&organizer, 1).await;
    let (_, first) = app.user("first").await;
    let (second_id, second) = app.user("second").await;
    app.book(&first, event).await;
    let waiting = app.book(&second, event).await.body["booking"]["id"].clone();

    let raised = app.patch(&format!("/events/{event}"), &json!({"ticketLimit": 2}), &organizer).await;

    assert_eq!(raised.status, StatusCode::OK, "{raised:?}");
    assert_eq!(raised.body["message"], "Event updated successfully");
    assert_eq!(raised.body["event"]["ticketLimit"], json!(2));
    assert_eq!(raised.body["event"]["ticketsAvailable"], json!(0));
    assert_eq!(raised.body["promoted"][0]["id"], waiting);
    assert_eq!(raised.body["promoted"][0]["userId"], json!(second_id));
    assert_eq!(raised.body["promoted"][0]["status"], "CONFIRMED");
    let seen = app.get_as(&format!("/bookings/{waiting}"), &second).await;
    assert_eq!(seen.body["booking"]["status"], "CONFIRMED");
}

#[actix_web::test]
async fn fields_change_as_validated_by_initialize_and_mistakes_are_400s() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("editor").await;
    let event = app.event(&organizer, 3).await;
    let path = format!("/events/{event}");

    let renamed =
        app.patch(&path, &json!({"name": "Renamed", "price": 12.5, "date": "2028-01-02"}), &organizer).await;

    assert_eq!(renamed.status, StatusCode::OK, "{renamed:?}");
    assert_eq!(
        (&renamed.body["event"]["name"], &renamed.body["event"]["price"]),
        (&json!("Renamed"), &json!(12.5))
    );
    assert_eq!(renamed.body["event"]["date"], "2028-01-02");
    assert_eq!(renamed.body["promoted"], json!([]));
    for (body, message) in [
        (json!({}), "Request body must name at least one field to change"),
        (json!({"ticketlimit": 5}), "\"ticketlimit\" is not allowed"),
        (json!({"name": ""}), "\"name\" is not allowed to be empty"),
        (json!({"ticketLimit": 0}), "\"ticketLimit\" must be greater than or equal to 1"),
        (json!({"price": -1}), "\"price\" must be greater than or equal to 0"),
        (json!({"date": "tomorrow"}), "\"date\" must be a valid date"),
        (json!({"date": null}), "\"date\" must be a valid date"),
    ] {
        assert_error(&app.patch(&path, &body, &organizer).await, StatusCode::BAD_REQUEST, message);
    }
    let untyped = app
        .client
        .patch(app.url(&path))
        .header("Authorization", &organizer)
        .body("{\"name\":\"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(untyped.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_web::test]
async fn a_limit_below_the_seats_taken_is_a_409_and_changes_nothing() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("lowerer").await;
    let event = app.event(&organizer, 3).await;
    for name in ["a1", "a2"] {
        let (_, token) = app.user(name).await;
        app.book(&token, event).await;
    }

    let refused = app
        .patch(&format!("/events/{event}"), &json!({"ticketLimit": 1, "name": "Smaller"}), &organizer)
        .await;

    assert_error(
        &refused,
        StatusCode::CONFLICT,
        "\"ticketLimit\" must be at least 2, the seats already taken",
    );
    assert_eq!(refused.body["code"], "ticket_limit_below_taken");
    let after = app.get(&format!("/events/{event}")).await;
    assert_eq!((&after.body["ticketLimit"], &after.body["name"]), (&json!(3), &json!("New Years Eve Party")));
}

#[actix_web::test]
async fn only_the_organizer_manages_an_event_that_exists() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("owner").await;
    let (_, stranger) = app.user("stranger").await;
    let event = app.event(&organizer, 3).await;

    assert_error(
        &app.patch(&format!("/events/{event}"), &json!({"name": "Mine"}), &stranger).await,
        StatusCode::FORBIDDEN,
        "Access denied",
    );
    assert_error(
        &app.post(&format!("/events/{event}/cancel"), &json!({}), Some(&stranger)).await,
        StatusCode::FORBIDDEN,
        "Access denied",
    );
    assert_error(
        &app.patch("/events/987654", &json!({"name": "Ghost"}), &organizer).await,
        StatusCode::NOT_FOUND,
        "Event with ID 987654 not found",
    );
    assert_error(
        &app.post("/events/987654/cancel", &json!({}), Some(&organizer)).await,
        StatusCode::NOT_FOUND,
        "Event with ID 987654 not found",
    );
    assert_error(
        &app.post(&format!("/events/{event}/cancel"), &json!({}), None).await,
        StatusCode::UNAUTHORIZED,
        "Access denied",
    );
    let anonymous = app
        .client
        .patch(app.url(&format!("/events/{event}")))
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn cancelling_an_event_cancels_its_bookings_and_closes_it_for_good() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("closer").await;
    let event = app.event(&organizer, 1).await;
    let (_, seated) = app.user("seated").await;
    let (_, waiting) = app.user("waiting").await;
    let seat = app.book(&seated, event).await.body["booking"]["id"].clone();
    app.book(&waiting, event).await;

    let cancelled = app.post(&format!("/events/{event}/cancel"), &json!({}), Some(&organizer)).await;

    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    assert_eq!(cancelled.body["message"], "Event cancelled successfully");
    assert_eq!(cancelled.body["cancelledBookings"], json!(2));
    assert_eq!(cancelled.body["event"]["status"], "CANCELLED");
    assert_eq!(
        app.get_as(&format!("/bookings/{seat}"), &seated).await.body["booking"]["status"],
        "CANCELLED"
    );
    let (_, late) = app.user("late").await;
    let refused = app.book(&late, event).await;
    assert_error(&refused, StatusCode::CONFLICT, &format!("Event with ID {event} has been cancelled"));
    assert_eq!(refused.body["code"], "event_cancelled");
    let again = app.post(&format!("/events/{event}/cancel"), &json!({}), Some(&organizer)).await;
    assert_error(&again, StatusCode::CONFLICT, &format!("Event with ID {event} has been cancelled"));
    let edit = app.patch(&format!("/events/{event}"), &json!({"ticketLimit": 5}), &organizer).await;
    assert_eq!((edit.status, edit.body["code"].as_str()), (StatusCode::CONFLICT, Some("event_cancelled")));
    let listed = app.get("/events?status=CANCELLED").await;
    assert_eq!(listed.body["events"][0]["id"], json!(event));
}
