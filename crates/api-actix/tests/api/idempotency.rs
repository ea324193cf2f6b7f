//! Safe retries (docs/API.md, "Safe retries"): every POST and PATCH with an `Idempotency-Key` takes
//! effect once and answers every repeat with its first answer.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Binary, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::ports::Idempotency as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{Answer, PASSWORD, TestApp, event_body, spawn_app, spawn_app_with};

async fn keyed(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: &Value,
    token: Option<&str>,
    key: &str,
) -> Answer {
    let mut request = app.client.request(method, app.url(path)).header("Idempotency-Key", key).json(body);
    if let Some(token) = token {
        request = request.header("Authorization", token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() };
    Answer { status, headers, body }
}

fn replayed(answer: &Answer) -> bool {
    answer.headers.get("idempotent-replayed").is_some_and(|v| v == "true")
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    diesel::sql_query(sql).get_result::<Count>(&mut conn).await.unwrap().n
}

/// One keyed write: method, path, body, whether it needs the caller's token, and the SQL that
/// counts its effect.
struct Write {
    method: reqwest::Method,
    path: String,
    body: Value,
    other_body: Value,
    authenticated: bool,
    effect: &'static str,
}

/// Every keyed write of the API, on fresh fixtures of `app`: the caller's token and the writes.
/// Webhooks to a loopback receiver are allowed here; nothing is delivered that a test awaits.
async fn spawn() -> TestApp {
    spawn_app_with(&[("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")]).await
}

async fn writes(app: &TestApp) -> (i64, String, Vec<Write>) {
    let (id, token) = app.user("keys").await;
    let event = app.event(&token, 5).await;
    let to_cancel = app.event(&token, 5).await;
    let booked = app.book(&token, to_cancel).await.body["booking"]["id"].as_i64().unwrap();
    // A waiting booking of the caller's, behind someone holding both seats.
    let full = app.event(&token, 2).await;
    let (_, holder) = app.user("holder").await;
    let held = app.post("/book", &json!({"eventId": full, "quantity": 2}), Some(&holder)).await;
    assert_eq!(held.body["booking"]["status"], "CONFIRMED", "{held:?}");
    let waiting = app.book(&token, full).await.body["booking"]["id"].as_i64().unwrap();
    let writes = vec![
        Write {
            method: reqwest::Method::POST,
            path: "/book".into(),
            body: json!({"eventId": event}),
            other_body: json!({"eventId": to_cancel}),
            authenticated: true,
            effect: "SELECT count(*) AS n FROM bookings",
        },
        Write {
            method: reqwest::Method::POST,
            path: "/cancel".into(),
            body: json!({"id": booked}),
            other_body: json!({"eventId": event}),
            authenticated: true,
            effect: "SELECT count(*) AS n FROM bookings WHERE status = 'CANCELLED'",
        },
        Write {
            method: reqwest::Method::PATCH,
            path: format!("/bookings/{waiting}"),
            body: json!({"quantity": 2}),
            other_body: json!({"quantity": 1}),
            authenticated: true,
            // A raise writes the booking that replaces it.
            effect: "SELECT count(*) AS n FROM bookings",
        },
        Write {
            method: reqwest::Method::POST,
            path: "/initialize".into(),
            body: event_body(3),
            other_body: event_body(4),
            authenticated: true,
            effect: "SELECT count(*) AS n FROM events",
        },
        Write {
            method: reqwest::Method::PATCH,
            path: format!("/events/{event}"),
            body: json!({"ticketLimit": 9}),
            other_body: json!({"ticketLimit": 8}),
            authenticated: true,
            effect: "SELECT count(*) AS n FROM notifications WHERE kind = 'event.updated'",
        },
        Write {
            method: reqwest::Method::POST,
            path: format!("/events/{to_cancel}/cancel"),
            body: json!({}),
            other_body: json!({"reason": "x"}),
            authenticated: true,
            effect: "SELECT count(*) AS n FROM notifications WHERE kind = 'event.cancelled'",
        },
        Write {
            method: reqwest::Method::POST,
            path: "/webhooks".into(),
            body: json!({"url": "http://127.0.0.1:9/a"}),
            other_body: json!({"url": "http://127.0.0.1:9/b"}),
            authenticated: true,
            effect: "SELECT count(*) AS n FROM webhooks",
        },
        Write {
            method: reqwest::Method::POST,
            path: "/register".into(),
            body: json!({"email": "once@example.com", "password": PASSWORD, "firstName": "Once", "lastName": "Only"}),
            other_body: json!({"email": "twice@example.com", "password": PASSWORD, "firstName": "Once", "lastName": "Only"}),
            authenticated: false,
            effect: "SELECT count(*) AS n FROM users",
        },
        Write {
            method: reqwest::Method::POST,
            path: "/login".into(),
            body: json!({"email": "keys@example.com", "password": PASSWORD}),
            other_body: json!({"email": "keys@example.com", "password": "wrong-password"}),
            authenticated: false,
            effect: "SELECT 0::int8 AS n",
        },
    ];
    (id, token, writes)
}

#[actix_web::test]
async fn every_write_repeated_with_its_key_takes_effect_once_and_replays_its_first_answer() {
    let app = spawn().await;
    let (_, token, writes) = writes(&app).await;

    for write in &writes {
        let token = write.authenticated.then_some(token.as_str());
        let before = count(&app, write.effect).await;
        let key = format!("replay-{}", write.path);
        let first = keyed(&app, write.method.clone(), &write.path, &write.body, token, &key).await;
        let after_first = count(&app, write.effect).await;
        let again = keyed(&app, write.method.clone(), &write.path, &write.body, token, &key).await;

        assert!(first.status.is_success(), "{} {}: {first:?}", write.method, write.path);
        assert!(!replayed(&first), "{}", write.path);
        if write.path == "/login" {
            // A sign-in changes nothing and its token is not kept at rest: it runs again.
            assert_eq!(again.status, StatusCode::OK, "{again:?}");
            assert!(!replayed(&again), "{again:?}");
            assert_ne!(again.body["token"], first.body["token"], "a token of its own");
        } else {
            assert_eq!((again.status, &again.body), (first.status, &first.body), "{}", write.path);
            assert!(replayed(&again), "{}: {again:?}", write.path);
        }
        assert_eq!(
            count(&app, write.effect).await,
            after_first,
            "{}: the repeat changed nothing",
            write.path
        );
        if write.path != "/login" {
            assert_eq!(after_first, before + 1, "{}: the first took effect", write.path);
        }
    }
}

#[actix_web::test]
async fn a_key_sent_again_with_another_request_is_refused_and_changes_nothing() {
    let app = spawn().await;
    let (_, token, writes) = writes(&app).await;

    // A sign-in's key is given back once answered (its token is not kept): nothing to reuse.
    for write in writes.iter().filter(|w| w.path != "/login") {
        let token = write.authenticated.then_some(token.as_str());
        let key = format!("reused-{}", write.path);
        let first = keyed(&app, write.method.clone(), &write.path, &write.body, token, &key).await;
        let before = count(&app, write.effect).await;
        let other = keyed(&app, write.method.clone(), &write.path, &write.other_body, token, &key).await;

        assert!(first.status.is_success(), "{}: {first:?}", write.path);
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {other:?}", write.path);
        assert_eq!(other.body["code"], "idempotency_key_reused", "{}", write.path);
        assert_eq!(count(&app, write.effect).await, before, "{}", write.path);
    }
}

#[actix_web::test]
async fn a_write_that_needs_a_token_is_401_without_one_whatever_its_key() {
    let app = spawn().await;
    let (_, _, writes) = writes(&app).await;

    for write in writes.iter().filter(|w| w.authenticated) {
        let key = format!("anonymous-{}", write.path);
        // The address already holds the key, with another body and still running.
        hold(&app, "address:127.0.0.1", &key, write.method.as_str(), &write.path, &write.other_body).await;
        let before = count(&app, write.effect).await;

        let answer = keyed(&app, write.method.clone(), &write.path, &write.body, None, &key).await;

        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{} {}: {answer:?}", write.method, write.path);
        assert_eq!(count(&app, write.effect).await, before, "{}", write.path);
    }
}

/// A running attempt, as an instance in the middle of the request would hold it.
async fn hold(app: &TestApp, requester: &str, key: &str, method: &str, path: &str, body: &Value) {
    let mut digest = Sha256::new();
    digest.update(format!("{method} {path}\n").as_bytes());
    digest.update(serde_json::to_vec(body).unwrap());
    let fingerprint: Vec<u8> = digest.finalize().to_vec();
    let mut conn = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    diesel::sql_query(
        "INSERT INTO idempotency_keys (requester, key, fingerprint, attempt, lease_until)
         VALUES ($1, $2, $3, gen_random_uuid(), now() + interval '1 minute')",
    )
    .bind::<Text, _>(requester)
    .bind::<Text, _>(key)
    .bind::<Binary, _>(fingerprint)
    .execute(&mut conn)
    .await
    .unwrap();
}

#[actix_web::test]
async fn a_key_whose_first_request_is_still_running_gets_409_with_retry_after() {
    let app = spawn().await;
    let (id, token, writes) = writes(&app).await;

    for write in &writes {
        let token = write.authenticated.then_some(token.as_str());
        let requester =
            if write.authenticated { format!("user:{id}") } else { "address:127.0.0.1".to_owned() };
        let key = format!("running-{}", write.path);
        hold(&app, &requester, &key, write.method.as_str(), &write.path, &write.body).await;
        let before = count(&app, write.effect).await;

        let answer = keyed(&app, write.method.clone(), &write.path, &write.body, token, &key).await;

        assert_eq!(answer.status, StatusCode::CONFLICT, "{}: {answer:?}", write.path);
        assert_eq!(answer.body["code"], "idempotency_key_in_flight", "{}", write.path);
        assert!(answer.headers.contains_key("retry-after"), "{}", write.path);
        assert_eq!(count(&app, write.effect).await, before, "{}", write.path);
    }
}

#[actix_web::test]
async fn a_booking_racing_its_own_retry_takes_one_seat_and_both_get_its_answer() {
    let app = spawn_app().await;
    let (_, token) = app.user("racer").await;
    let event = app.event(&token, 5).await;
    // Hold the event's row, so that the first booking waits inside its transaction.
    let mut blocker = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    blocker
        .batch_execute(&format!("BEGIN; SELECT * FROM events WHERE id = {event} FOR UPDATE"))
        .await
        .unwrap();
    let first = {
        let (client, url, token) = (app.client.clone(), app.url("/book"), token.clone());
        tokio::spawn(async move {
            client
                .post(url)
                .header("Authorization", token)
                .header("Idempotency-Key", "race")
                .json(&json!({"eventId": event}))
                .send()
                .await
                .unwrap()
        })
    };
    // The first booking waits on the held row, inside its transaction (its key claimed).
    let blocked = "SELECT count(*) AS n FROM pg_stat_activity
                   WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0";
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while count(&app, blocked).await == 0 {
        assert!(std::time::Instant::now() < deadline, "the first booking never waited on the held row");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let retry =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": event}), Some(&token), "race").await;
    blocker.batch_execute("COMMIT").await.unwrap();
    let first = first.await.unwrap();
    let first_status = first.status();
    let first_body: Value = first.json().await.unwrap();
    let later =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": event}), Some(&token), "race").await;

    assert_eq!(retry.status, StatusCode::CONFLICT, "{retry:?}");
    assert_eq!(first_status, StatusCode::CREATED, "{first_body}");
    assert_eq!((later.status, &later.body), (first_status, &first_body));
    assert!(replayed(&later));
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {event}")).await, 1);
}

#[actix_web::test]
async fn refusals_are_replayed_but_conflicts_run_again() {
    let app = spawn_app().await;
    let (_, token) = app.user("refused").await;
    let event = app.event(&token, 5).await;
    let cancelled = app.event(&token, 5).await;
    assert_eq!(
        app.post(&format!("/events/{cancelled}/cancel"), &json!({}), Some(&token)).await.status,
        StatusCode::OK
    );

    let missing =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": 999_999}), Some(&token), "404").await;
    let missing_again =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": 999_999}), Some(&token), "404").await;
    assert_eq!((missing.status, missing_again.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert!(replayed(&missing_again), "a refusal is an answer: replayed");

    let conflict =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": cancelled}), Some(&token), "409")
            .await;
    let conflict_again =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": cancelled}), Some(&token), "409")
            .await;
    assert_eq!((conflict.status, conflict_again.status), (StatusCode::CONFLICT, StatusCode::CONFLICT));
    assert!(!replayed(&conflict_again), "a 409 is not stored: the retry ran again");

    let invalid =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": event}), Some(&token), "bad key")
            .await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST, "{invalid:?}");
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM bookings WHERE event_id = {event}")).await, 0);
}

#[actix_web::test]
async fn a_key_forgotten_after_its_keeping_time_runs_again() {
    let app = spawn_app().await;
    let (_, token) = app.user("expiry").await;
    let first = keyed(&app, reqwest::Method::POST, "/initialize", &event_body(3), Some(&token), "old").await;
    let mut conn = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    conn.batch_execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'").await.unwrap();
    let config = ticketing::app::config::Config::from_lookup(|_| None).unwrap();
    let store = ticketing::app::wiring::store(app.db().url(), &config.database).unwrap();

    let forgotten = store.forget_older_than(ticketing::http::middleware::idempotency::KEPT).await.unwrap();
    let again = keyed(&app, reqwest::Method::POST, "/initialize", &event_body(3), Some(&token), "old").await;

    assert_eq!(forgotten, 1);
    assert_eq!(again.status, StatusCode::CREATED);
    assert!(!replayed(&again));
    assert_ne!(again.body["event"]["id"], first.body["event"]["id"], "a new event: the key was new again");
}

#[actix_web::test]
async fn a_logout_or_password_change_retried_with_the_token_it_revoked_is_401_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, token) = app.user("leaving").await;
    let (_, other) = app.user("changing").await;

    let out = keyed(&app, reqwest::Method::POST, "/logout", &json!({}), Some(&token), "out").await;
    let out_again = keyed(&app, reqwest::Method::POST, "/logout", &json!({}), Some(&token), "out").await;
    let body = json!({"currentPassword": PASSWORD, "newPassword": "a much better secret"});
    let changed = keyed(&app, reqwest::Method::POST, "/me/password", &body, Some(&other), "pw").await;
    let changed_again = keyed(&app, reqwest::Method::POST, "/me/password", &body, Some(&other), "pw").await;

    assert_eq!((out.status, out_again.status), (StatusCode::NO_CONTENT, StatusCode::UNAUTHORIZED));
    assert_eq!((changed.status, changed_again.status), (StatusCode::OK, StatusCode::UNAUTHORIZED));
    assert!(changed_again.body.get("token").is_none(), "an old token never obtains the new one");
    let fresh = changed.body["token"].as_str().unwrap();
    let login = app
        .post("/login", &json!({"email": "changing@example.com", "password": "a much better secret"}), None)
        .await;
    assert_eq!(login.status, StatusCode::OK, "changed once");
    assert_eq!(app.get_as("/me/bookings", fresh).await.status, StatusCode::OK);

    // The same key from the new session replays the change, with a token issued anew (none is
    // kept at rest) that acts like the first answer's.
    let replay = keyed(&app, reqwest::Method::POST, "/me/password", &body, Some(fresh), "pw").await;
    assert_eq!(replay.status, StatusCode::OK, "{replay:?}");
    assert!(replayed(&replay));
    let reissued = replay.body["token"].as_str().unwrap();
    assert_ne!(reissued, fresh);
    assert_eq!(app.get_as("/me/bookings", reissued).await.status, StatusCode::OK);
}

#[actix_web::test]
async fn no_token_is_kept_at_rest_with_the_keys_of_a_sign_in_or_a_password_change() {
    let app = spawn_app().await;
    let (_, token) = app.user("careful").await;
    let signed_in = keyed(
        &app,
        reqwest::Method::POST,
        "/login",
        &json!({"email": "careful@example.com", "password": PASSWORD}),
        None,
        "in",
    )
    .await;
    let body = json!({"currentPassword": PASSWORD, "newPassword": "a much better secret"});
    let changed = keyed(&app, reqwest::Method::POST, "/me/password", &body, Some(&token), "pw").await;
    assert_eq!((signed_in.status, changed.status), (StatusCode::OK, StatusCode::OK));

    let mut conn = AsyncPgConnection::establish(app.db().url()).await.unwrap();
    let kept: Vec<Kept> = diesel::sql_query(
        "SELECT coalesce(effect::text, '') || coalesce(encode(verbatim, 'escape'), '') AS kept FROM idempotency_keys",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let tokens = [signed_in.body["token"].as_str().unwrap(), changed.body["token"].as_str().unwrap()];
    for Kept { kept } in &kept {
        for token in tokens {
            let signature = token.rsplit('.').next().unwrap();
            assert!(!kept.contains(signature), "a token at rest: {kept}");
        }
    }
    assert_eq!(kept.len(), 1, "the password change's effect only: {kept:?}");
}

#[derive(diesel::QueryableByName, Debug)]
struct Kept {
    #[diesel(sql_type = diesel::sql_types::Text)]
    kept: String,
}

#[actix_web::test]
async fn a_key_on_a_method_or_path_the_api_does_not_serve_is_ignored() {
    let app = spawn_app().await;
    let (_, token) = app.user("astray").await;
    let first =
        keyed(&app, reqwest::Method::POST, "/book", &json!({"eventId": 999_999}), Some(&token), "k").await;

    let wrong_method = keyed(&app, reqwest::Method::PATCH, "/login", &json!({}), Some(&token), "k").await;
    let wrong_path = keyed(&app, reqwest::Method::POST, "/no/such/path", &json!({}), Some(&token), "k").await;

    assert_eq!(first.status, StatusCode::NOT_FOUND);
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED, "{wrong_method:?}");
    assert_eq!(wrong_path.status, StatusCode::NOT_FOUND, "{wrong_path:?}");
    assert_eq!(wrong_path.body["code"], "route_not_found");
}
