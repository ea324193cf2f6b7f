//! The waiting room through the real app on PostgreSQL: who sets a room, one place per account,
//! the token only for a reached place (202 before, 410 once expired unused), and `/book` on a
//! room's event only with a valid token for this user and event.

use chrono::{Duration, SecondsFormat, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::StatusCode;
use serde_json::{Value, json};
use ticketing::http::auth::AdmissionKeys;

use crate::helpers::{Answer, SECRET, TestApp, spawn_app};

fn at(seconds_from_now: i64) -> String {
    (Utc::now() + Duration::seconds(seconds_from_now)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn put_room(app: &TestApp, token: &str, event: i64, body: &Value) -> Answer {
    app.send(
        app.client
            .put(app.url(&format!("/events/{event}/waiting-room")))
            .json(body)
            .header("Authorization", token),
    )
    .await
}

async fn join(app: &TestApp, token: &str, event: i64) -> Answer {
    app.send(app.client.post(app.url(&format!("/events/{event}/queue"))).header("Authorization", token)).await
}

async fn ask_token(app: &TestApp, token: &str, event: i64) -> Answer {
    app.send(app.client.post(app.url(&format!("/events/{event}/queue/token"))).header("Authorization", token))
        .await
}

async fn book_with(app: &TestApp, token: &str, event: i64, admission: Option<&str>) -> Answer {
    let mut request =
        app.client.post(app.url("/book")).json(&json!({"eventId": event})).header("Authorization", token);
    if let Some(admission) = admission {
        request = request.header("X-Admission-Token", admission);
    }
    app.send(request).await
}

fn code(answer: &Answer) -> &str {
    answer.body["code"].as_str().unwrap_or_default()
}

/// Moves the room's whole schedule `minutes` into the past, as if that much time had gone by.
async fn time_passes(app: &TestApp, event: i64, minutes: i64) {
    let mut conn = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    conn.batch_execute(&format!(
        "UPDATE waiting_rooms SET opens_at = opens_at - interval '{minutes} minutes',
             sale_starts_at = sale_starts_at - interval '{minutes} minutes',
             base_at = base_at - interval '{minutes} minutes' WHERE event_id = {event};
         UPDATE queue_places SET token_at = token_at - interval '{minutes} minutes' WHERE event_id = {event}"
    ))
    .await
    .unwrap();
}

#[actix_web::test]
async fn only_the_organizer_sets_a_room_and_bad_settings_change_nothing() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, stranger) = app.user("stranger").await;
    let event = app.event(&organizer, 5).await;
    let good = json!({"opensAt": at(0), "saleStartsAt": at(60), "admissionsPerSecond": 10});

    assert_eq!(code(&put_room(&app, &stranger, event, &good).await), "forbidden");
    for bad in [
        json!({"opensAt": at(120), "saleStartsAt": at(60), "admissionsPerSecond": 10}),
        json!({"opensAt": at(0), "saleStartsAt": at(60), "admissionsPerSecond": 0}),
        json!({"opensAt": "tomorrow", "saleStartsAt": at(60), "admissionsPerSecond": 10}),
        json!({"opensAt": at(0), "saleStartsAt": at(60), "admissionsPerSecond": 10, "tokenTtlSeconds": 30}),
        json!({"opensAt": at(0), "saleStartsAt": at(60), "admissionsPerSecond": 10, "colour": "red"}),
        json!({"saleStartsAt": at(60), "admissionsPerSecond": 10}),
    ] {
        let refused = put_room(&app, &organizer, event, &bad).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}: {refused:?}");
    }
    assert_eq!(app.get(&format!("/events/{event}/queue/status")).await.status, StatusCode::NOT_FOUND);

    let created = put_room(&app, &organizer, event, &good).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(
        (created.body["tokenTtlSeconds"].as_i64(), created.body["placeValiditySeconds"].as_i64()),
        (Some(600), Some(900))
    );
    let replaced = put_room(
        &app,
        &organizer,
        event,
        &json!({"opensAt": at(0), "saleStartsAt": at(30), "admissionsPerSecond": 20}),
    )
    .await;
    assert_eq!((replaced.status, replaced.body["admissionsPerSecond"].as_i64()), (StatusCode::OK, Some(20)));
    let nothing = app.patch(&format!("/events/{event}/waiting-room"), &json!({}), &organizer).await;
    assert_eq!(nothing.status, StatusCode::BAD_REQUEST);

    let started = app.event(&organizer, 5).await;
    put_room(
        &app,
        &organizer,
        started,
        &json!({"opensAt": at(-60), "saleStartsAt": at(-1), "admissionsPerSecond": 5}),
    )
    .await;
    let late = put_room(&app, &organizer, started, &good).await;
    assert_eq!((late.status, code(&late)), (StatusCode::CONFLICT, "room_started"));
    let slower = app
        .patch(&format!("/events/{started}/waiting-room"), &json!({"admissionsPerSecond": 1}), &organizer)
        .await;
    assert_eq!((slower.status, slower.body["admissionsPerSecond"].as_i64()), (StatusCode::OK, Some(1)));
}

#[actix_web::test]
async fn one_place_per_account_and_joins_only_while_the_room_is_open() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (_, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;
    let event = app.event(&organizer, 5).await;
    assert_eq!(code(&join(&app, &ada, event).await), "room_not_found");
    // Booked without a room (the instance remembers it has none for a second)...
    assert_eq!(book_with(&app, &bob, event, None).await.status, StatusCode::CREATED);
    put_room(
        &app,
        &organizer,
        event,
        &json!({"opensAt": at(3600), "saleStartsAt": at(7200), "admissionsPerSecond": 5}),
    )
    .await;
    let early = join(&app, &ada, event).await;
    assert_eq!((early.status, code(&early)), (StatusCode::CONFLICT, "room_not_open"));
    // ...and a room set through it is in force at once.
    let refused = book_with(&app, &ada, event, None).await;
    assert_eq!(code(&refused), "admission_required");

    let open = app.event(&organizer, 5).await;
    put_room(
        &app,
        &organizer,
        open,
        &json!({"opensAt": at(0), "saleStartsAt": at(3600), "admissionsPerSecond": 5}),
    )
    .await;
    let first = join(&app, &ada, open).await;
    assert_eq!(
        (first.status, first.body["position"].as_i64(), first.body["state"].as_str()),
        (StatusCode::CREATED, Some(1), Some("waiting"))
    );
    let again = join(&app, &ada, open).await;
    assert_eq!(
        (again.status, again.body["position"].as_i64()),
        (StatusCode::OK, Some(1)),
        "a refresh keeps the place"
    );
    assert_eq!(join(&app, &bob, open).await.body["position"].as_i64(), Some(2));
    let mine = app
        .send(
            app.client
                .get(app.url(&format!("/events/{open}/queue")))
                .header("Authorization", &ada)
                .header("Accept", "application/json"),
        )
        .await;
    assert_eq!((mine.status, mine.body["position"].as_i64()), (StatusCode::OK, Some(1)));
    let anonymous = app.send(app.client.post(app.url(&format!("/events/{open}/queue")))).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let (_, carol) = app.user("carol").await;
    let none = app
        .send(app.client.get(app.url(&format!("/events/{open}/queue"))).header("Authorization", &carol))
        .await;
    assert_eq!((none.status, code(&none)), (StatusCode::NOT_FOUND, "not_in_queue"));
    let status = app.get(&format!("/events/{open}/queue/status")).await;
    assert_eq!((status.body["joined"].as_i64(), status.body["serving"].as_i64()), (Some(2), Some(0)));
}

#[actix_web::test]
async fn a_token_comes_once_the_place_is_reached_and_book_takes_only_a_valid_one() {
    let app = spawn_app().await;
    let (_, organizer) = app.user("organizer").await;
    let (ada_id, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;
    let event = app.event(&organizer, 5).await;
    let other = app.event(&organizer, 5).await;
    put_room(
        &app,
        &organizer,
        event,
        &json!({"opensAt": at(0), "saleStartsAt": at(1), "admissionsPerSecond": 1}),
    )
    .await;
    join(&app, &ada, event).await;
    join(&app, &bob, event).await;

    let early = ask_token(&app, &bob, event).await;
    assert_eq!((early.status, early.body["state"].as_str()), (StatusCode::ACCEPTED, Some("waiting")));
    assert!(early.headers.get("retry-after").is_some(), "{early:?}");
    let refused = book_with(&app, &ada, event, None).await;
    assert_eq!((refused.status, code(&refused)), (StatusCode::FORBIDDEN, "admission_required"));

    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let issued = ask_token(&app, &ada, event).await;
    assert_eq!(issued.status, StatusCode::OK, "{issued:?}");
    let token = issued.body["token"].as_str().unwrap().to_owned();
    let repeat = ask_token(&app, &ada, event).await;
    assert_eq!(repeat.body["expiresAt"], issued.body["expiresAt"], "a repeat keeps the expiry");

    let mut tampered = token.clone();
    tampered.insert(token.rfind('.').unwrap() + 3, 'A');
    let keys = AdmissionKeys::derived_from(SECRET.as_bytes()).unwrap();
    let lapsed = keys
        .issue(&domain::room::Admission {
            claims: domain::room::AdmissionClaims {
                event: domain::EventId::new(event).unwrap(),
                user: domain::UserId::new(ada_id).unwrap(),
                position: 1,
                expires_at: Utc::now() - Duration::seconds(1),
            },
            issued_at: Utc::now() - Duration::minutes(11),
            reached_at: Utc::now() - Duration::minutes(11),
            first: true,
        })
        .unwrap();
    put_room(
        &app,
        &organizer,
        other,
        &json!({"opensAt": at(0), "saleStartsAt": at(600), "admissionsPerSecond": 1}),
    )
    .await;
    for (who, target, admission) in [
        (&ada, event, tampered.as_str()),
        (&bob, event, token.as_str()),
        (&ada, other, token.as_str()),
        (&ada, event, lapsed.as_str()),
        (&ada, event, "junk"),
    ] {
        let answer = book_with(&app, who, target, Some(admission)).await;
        assert_eq!(
            (answer.status, code(&answer)),
            (StatusCode::FORBIDDEN, "admission_invalid"),
            "{answer:?}"
        );
    }
    let booked = book_with(&app, &ada, event, Some(&token)).await;
    assert_eq!(
        (booked.status, booked.body["booking"]["status"].as_str()),
        (StatusCode::CREATED, Some("CONFIRMED")),
        "{booked:?}"
    );

    // Bob's place is reached too; left unused past its validity (fifteen minutes), it is gone.
    time_passes(&app, event, 20).await;
    let gone = ask_token(&app, &bob, event).await;
    assert_eq!((gone.status, code(&gone)), (StatusCode::GONE, "place_expired"));
    // Ada's token was issued (twenty minutes ago, as the room sees it): it lived ten.
    let expired = ask_token(&app, &ada, event).await;
    assert_eq!(expired.status, StatusCode::GONE);

    // Without its room, the event books as before.
    let removed = app
        .client
        .delete(app.url(&format!("/events/{event}/waiting-room")))
        .header("Authorization", &organizer)
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(book_with(&app, &bob, event, None).await.status, StatusCode::CREATED);
}

#[actix_web::test]
async fn the_queue_page_and_its_assets_are_served_same_origin_under_a_strict_policy() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.url("/events/1/queue"))
        .header("Accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("/assets/queue.js") && !html.contains("<script>"), "no inline script");
    for (path, kind) in [("/assets/queue.js", "text/javascript"), ("/assets/queue.css", "text/css")] {
        let asset = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(asset.status(), StatusCode::OK);
        assert!(asset.headers()["content-type"].to_str().unwrap().starts_with(kind));
    }
    let jwks = app.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.body["keys"][0]["crv"], "Ed25519");
}
