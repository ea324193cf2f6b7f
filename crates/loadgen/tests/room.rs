//! The stampede through a waiting room against two real instances of the service sharing one
//! database and one admission key: small and quick, but every check of the full-size run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::Duration;

use infra_postgres::test_support::TestDatabase;
use loadgen::api::Api;
use loadgen::provision::Provisioning;
use loadgen::scenarios::room::Room;
use loadgen::scenarios::{Scenario, execute};

mod support;

/// Base64 of 32 bytes: the admission tokens' Ed25519 key, the same on both instances so that
/// a token one minted verifies on the other.
const ADMISSION_SIGNING_KEY: &str = "cm9vbS10ZXN0LWFkbWlzc2lvbi1zaWduaW5nLWtleSE=";

/// 300 buyers for 100 seats at 200 admissions a second: places 1..=300 in the order joins were
/// answered, no token before its place, everyone admitted and booked (the first 100 seated, the
/// rest waitlisted), nothing oversold by SQL.
#[actix_web::test]
async fn a_stampede_through_the_room_keeps_its_order_and_its_rate_across_two_instances() {
    let db = TestDatabase::new().await;
    let api = Api::new(
        support::in_process(
            &db,
            2,
            b"a-waiting-room-secret",
            &[("ADMISSION_SIGNING_KEY", ADMISSION_SIGNING_KEY)],
        )
        .await,
        32,
    )
    .unwrap();
    let room = Scenario::Room(Room {
        capacity: 100,
        buyers: 300,
        concurrency: 32,
        rate: 200,
        start_in: Duration::from_secs(1),
        max_poll: Duration::from_secs(1),
        arrivals: None,
    });
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };

    let report = execute(&api, room, Some(db.url()), by_sql).await.unwrap();
    println!("{}", report.table());
    assert!(report.ok(), "{}", report.table());
    let figures = report.room.as_ref().expect("the room's figures");
    assert_eq!((figures.joined, figures.tokens), (300, 300), "{}", report.table());
    assert_eq!((figures.confirmed, figures.waitlisted), (100, 200), "{}", report.table());
    // 300 places at 200 a second: the last reached 1.5 s after the start.
    assert!(figures.last_token_after_s >= 1.5 && figures.tokens_per_s <= 201.0, "{}", report.table());
    let names: Vec<&str> = report.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["join", "poll", "book"]);
    assert!(report.phases.iter().all(|p| p.requests >= 300), "{}", report.table());
}
