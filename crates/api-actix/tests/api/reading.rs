//! Reading (docs/API.md, "Reading"): listing events, one event with its ETag, my bookings, one booking, and
//! an event's bookings for its organizer.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, event_body, spawn_memory_app};

async fn create(app: &TestApp, token: &str, name: &str, date: &str, seats: i64) -> i64 {
    let mut body = event_body(seats);
    body["name"] = json!(name);
    body["date"] = json!(date);
    let created = app.post("/initialize", &body, Some(token)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    created.body["event"]["id"].as_i64().unwrap()
}

fn names(answer: &Value, list: &str) -> Vec<String> {
    answer[list].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_owned()).collect()
}

#[actix_web::test]
async fn events_are_listed_by_date_in_pages_with_filters_and_full_summaries() {
    let app = spawn_memory_app().await;
    let (organizer_id, token) = app.user("lister").await;
    create(&app, &token, "Late", "2027-09-01", 5).await;
    let early = create(&app, &token, "Early", "2027-01-01", 1).await;
    create(&app, &token, "Middle", "2027-05-01", 5).await;
    let (_, buyer) = app.user("buyer").await;
    app.book(&buyer, early).await;

    let first = app.get("/events?limit=2").await;
    let cursor = first.body["nextCursor"].as_str().unwrap().to_owned();
    let second = app.get(&format!("/events?limit=2&after={cursor}")).await;
    let ranged = app.get("/events?from=2027-02-01&to=2027-06-30").await;
    let searched = app.get("/events?q=LAT").await;

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(names(&first.body, "events"), ["Early", "Middle"]);
    assert_eq!(names(&second.body, "events"), ["Late"]);
    assert_eq!(second.body["nextCursor"], Value::Null);
    assert_eq!(names(&ranged.body, "events"), ["Middle"]);
    assert_eq!(names(&searched.body, "events"), ["Late"]);
    let backwards = app.get("/events?from=2027-06-01&to=2027-01-01").await;
    assert_eq!((backwards.status, names(&backwards.body, "events").len()), (StatusCode::OK, 0));
    let empty_cursor = app.get("/events?limit=2&after=").await;
    assert_eq!(names(&empty_cursor.body, "events"), ["Early", "Middle"], "an empty cursor is the first page");
    let summary = &first.body["events"][0];
    assert_eq!(summary["organizerId"], json!(organizer_id));
    assert_eq!(summary["status"], "ON_SALE");
    assert_eq!((&summary["ticketsAvailable"], &summary["waitingListCount"]), (&json!(0), &json!(0)));
    assert_eq!(summary["price"], json!(1000));
}

#[actix_web::test]
async fn bad_list_parameters_are_400s_naming_the_parameter() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("picky").await;
    for (query, message) in [
        ("limit=0", "\"limit\" must be an integer from 1 to 100"),
        ("limit=101", "\"limit\" must be an integer from 1 to 100"),
        ("limit=abc", "\"limit\" must be an integer from 1 to 100"),
        ("after=garbage", "\"after\" is not a valid cursor"),
        ("from=2027-13-01", "\"from\" must be a valid date (YYYY-MM-DD)"),
        ("status=OPEN", "\"status\" must be one of [ON_SALE, CANCELLED]"),
        ("q=%20%20", "\"q\" is not allowed to be empty"),
    ] {
        assert_error(&app.get(&format!("/events?{query}")).await, StatusCode::BAD_REQUEST, message);
    }
    let mine = app.get_as("/me/bookings?status=WAITING", &token).await;
    assert_error(&mine, StatusCode::BAD_REQUEST, "\"status\" must be one of [CONFIRMED, PENDING, CANCELLED]");
    // A cursor from another list is refused, not misread.
    let events_cursor = {
        create(&app, &token, "A", "2027-01-01", 1).await;
        create(&app, &token, "B", "2027-01-02", 1).await;
        app.get("/events?limit=1").await.body["nextCursor"].as_str().unwrap().to_owned()
    };
    let foreign = app.get_as(&format!("/me/bookings?after={events_cursor}"), &token).await;
    assert_error(&foreign, StatusCode::BAD_REQUEST, "\"after\" is not a valid cursor");
}

#[actix_web::test]
async fn one_event_answers_with_an_etag_and_304_while_unchanged() {
    let app = spawn_memory_app().await;
    let (_, token) = app.user("tagger").await;
    let event = create(&app, &token, "Tagged", "2027-03-03", 2).await;

    let first = app.get(&format!("/events/{event}")).await;
    let tag = first.headers["etag"].to_str().unwrap().to_owned();
    let unchanged = app
        .client
        .get(app.url(&format!("/events/{event}")))
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();
    app.book(&token, event).await;
    let changed = app
        .client
        .get(app.url(&format!("/events/{event}")))
        .header("If-None-Match", &tag)
        .send()
        .await
        .unwrap();

    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        (first.body["name"].as_str(), first.body["ticketsAvailable"].as_i64()),
        (Some("Tagged"), Some(2))
    );
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(unchanged.headers()["etag"].to_str().unwrap(), tag);
    assert_eq!(changed.status(), StatusCode::OK, "a booking changes the summary, so the tag");
    assert_ne!(changed.headers()["etag"].to_str().unwrap(), tag);
    assert_error(&app.get("/events/987654").await, StatusCode::NOT_FOUND, "Event with ID 987654 not found");
    assert_error(&app.get("/events/abc").await, StatusCode::BAD_REQUEST, "\"id\" must be a positive integer");
}

#[actix_web::test]
async fn my_bookings_come_newest_first_with_places_in_line_and_need_a_token() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("host").await;
    let (_, holder) = app.user("holder").await;
    let (_, me) = app.user("me").await;
    let full = create(&app, &organizer, "Full", "2027-01-01", 1).await;
    let open = create(&app, &organizer, "Open", "2027-01-02", 5).await;
    app.book(&holder, full).await;
    let waiting = app.book(&me, full).await.body["booking"]["id"].clone();
    let seated = app.book(&me, open).await.body["booking"]["id"].clone();

    let all = app.get_as("/me/bookings", &me).await;
    let paged = app.get_as("/me/bookings?limit=1", &me).await;
    let pending = app.get_as("/me/bookings?status=PENDING", &me).await;

    assert_eq!(all.status, StatusCode::OK);
    let ids: Vec<&Value> = all.body["bookings"].as_array().unwrap().iter().map(|b| &b["id"]).collect();
    assert_eq!(ids, [&seated, &waiting]);
    assert_eq!(all.body["bookings"][1]["waitlistPosition"], json!(1));
    assert!(all.body["bookings"][0].get("waitlistPosition").is_none());
    assert_eq!(paged.body["bookings"].as_array().unwrap().len(), 1);
    assert!(paged.body["nextCursor"].is_string());
    assert_eq!(pending.body["bookings"].as_array().unwrap().len(), 1);
    assert_error(&app.get("/me/bookings").await, StatusCode::UNAUTHORIZED, "Access denied");
}

#[actix_web::test]
async fn a_booking_is_shown_to_its_holder_and_organizer_and_hidden_from_anyone_else() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("boss").await;
    let (_, holder) = app.user("owner").await;
    let (_, stranger) = app.user("nosy").await;
    let event = create(&app, &organizer, "Private", "2027-01-01", 3).await;
    let id = app.book(&holder, event).await.body["booking"]["id"].as_i64().unwrap();
    let path = format!("/bookings/{id}");

    let by_holder = app.get_as(&path, &holder).await;
    let by_organizer = app.get_as(&path, &organizer).await;

    assert_eq!(
        (by_holder.status, by_holder.body["booking"]["status"].as_str()),
        (StatusCode::OK, Some("CONFIRMED"))
    );
    assert_eq!(by_organizer.status, StatusCode::OK);
    let hidden = format!("Booking with ID {id} not found");
    assert_error(&app.get_as(&path, &stranger).await, StatusCode::NOT_FOUND, &hidden);
    assert_error(
        &app.get_as("/bookings/987654", &holder).await,
        StatusCode::NOT_FOUND,
        "Booking with ID 987654 not found",
    );
    assert_error(
        &app.get_as("/bookings/1.5", &holder).await,
        StatusCode::BAD_REQUEST,
        "\"id\" must be a positive integer",
    );
    assert_error(&app.get(&path).await, StatusCode::UNAUTHORIZED, "Access denied");
}

#[actix_web::test]
async fn the_organizer_sees_who_booked_in_line_order_and_nobody_else_does() {
    let app = spawn_memory_app().await;
    let (_, organizer) = app.user("promoter").await;
    let event = create(&app, &organizer, "Crowded", "2027-01-01", 1).await;
    let mut fans = Vec::new();
    for name in ["fan1", "fan2", "fan3"] {
        let (id, token) = app.user(name).await;
        app.book(&token, event).await;
        fans.push((id, token));
    }

    let all = app.get_as(&format!("/events/{event}/bookings"), &organizer).await;
    let line = app.get_as(&format!("/events/{event}/bookings?status=PENDING"), &organizer).await;

    assert_eq!(all.status, StatusCode::OK);
    let holders: Vec<i64> =
        all.body["bookings"].as_array().unwrap().iter().map(|b| b["user"]["id"].as_i64().unwrap()).collect();
    assert_eq!(holders, fans.iter().map(|(id, _)| *id).collect::<Vec<_>>());
    assert_eq!(all.body["bookings"][0]["user"]["email"], "fan1@example.com");
    assert_eq!(all.body["bookings"][0]["user"]["firstName"], "fan1");
    let positions: Vec<&Value> =
        line.body["bookings"].as_array().unwrap().iter().map(|b| &b["waitlistPosition"]).collect();
    assert_eq!(positions, [&json!(1), &json!(2)]);
    assert_error(
        &app.get_as(&format!("/events/{event}/bookings"), &fans[0].1).await,
        StatusCode::FORBIDDEN,
        "Access denied",
    );
    assert_error(
        &app.get_as("/events/987654/bookings", &organizer).await,
        StatusCode::NOT_FOUND,
        "Event with ID 987654 not found",
    );
    assert_error(
        &app.get_as(&format!("/events/{event}/bookings?limit=500"), &organizer).await,
        StatusCode::BAD_REQUEST,
        "\"limit\" must be an integer from 1 to 100",
    );
    assert_error(
        &app.get(&format!("/events/{event}/bookings")).await,
        StatusCode::UNAUTHORIZED,
        "Access denied",
    );
}

#[actix_web::test]
async fn status_keeps_its_fields_and_its_event_is_now_the_full_summary() {
    let app = spawn_memory_app().await;
    let (organizer_id, token) = app.user("statusy").await;
    let event = create(&app, &token, "Summary", "2027-01-01", 4).await;

    let status = app.get(&format!("/status/{event}")).await;

    assert_eq!((&status.body["ticketsAvailable"], &status.body["waitingListCount"]), (&json!(4), &json!(0)));
    assert_eq!(status.body["event"]["organizerId"], json!(organizer_id));
    assert_eq!(status.body["event"]["status"], "ON_SALE");
    assert_eq!(status.body["event"]["ticketsAvailable"], json!(4));
}
