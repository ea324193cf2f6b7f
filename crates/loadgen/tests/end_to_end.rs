//! The scenarios against two real instances of the service sharing one database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::time::Duration;

use infra_postgres::test_support::TestDatabase;
use loadgen::api::Api;
use loadgen::provision::Provisioning;
use loadgen::scenarios::churn::Churn;
use loadgen::scenarios::hotdrop::Hotdrop;
use loadgen::scenarios::list::ListLoad;
use loadgen::scenarios::mixed::Mixed;
use loadgen::scenarios::offer_churn::OfferChurn;
use loadgen::scenarios::status::StatusLoad;
use loadgen::scenarios::{Scenario, execute};

mod support;

#[actix_web::test]
async fn every_scenario_keeps_every_invariant_across_two_instances() {
    let db = TestDatabase::new().await;
    let api = Api::new(
        support::in_process(&db, 2, b"an-end-to-end-secret", &[("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")])
            .await,
        16,
    )
    .unwrap();

    let drop = Scenario::Hotdrop(Hotdrop { capacity: 10, buyers: 40, concurrency: 16, max_quantity: 1 });
    let churn = Scenario::Churn(Churn {
        drop: Hotdrop { capacity: 8, buyers: 30, concurrency: 16, max_quantity: 1 },
        cancels: 5,
        webhooks: true,
    });
    let status = Scenario::Status(StatusLoad { concurrency: 4, duration: Duration::from_millis(500) });
    let list = Scenario::List(ListLoad { concurrency: 4, duration: Duration::from_millis(500), events: 45 });

    // Accounts written by SQL for the writes, registered through the API for the reads.
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };
    let by_api = Provisioning { concurrency: 8, database_url: None };
    for (scenario, provisioning) in [(drop, by_sql), (churn, by_sql), (status, by_api), (list, by_api)] {
        let subscribes = matches!(scenario, Scenario::Churn(Churn { webhooks: true, .. }));
        let report = execute(&api, scenario, Some(db.url()), provisioning).await.unwrap();
        assert!(report.ok(), "{}", report.table());
        assert!(report.phases.iter().all(|p| p.requests > 0), "{}", report.table());
        assert_eq!(report.webhooks.is_some(), subscribes, "webhooks reported exactly for the churn");
        if let Some(webhooks) = &report.webhooks {
            assert_eq!(webhooks.promotions_received, 5, "{}", report.table());
            assert!(
                webhooks.notifications >= 30 + 5 + 5,
                "every booking, cancel and promotion: {}",
                report.table()
            );
        }
    }
}

/// Groups of one to four seats: a hot drop and a churn keep first come first served by
/// quantities, and a few seconds of random books, cancels, lowered quantities and limit changes
/// on both overtake limits leave every invariant holding by SQL.
#[actix_web::test]
async fn groups_keep_every_invariant_across_two_instances() {
    let db = TestDatabase::new().await;
    let api = Api::new(
        support::in_process(&db, 2, b"an-end-to-end-secret", &[("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")])
            .await,
        16,
    )
    .unwrap();
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };

    let drop = Scenario::Hotdrop(Hotdrop { capacity: 20, buyers: 40, concurrency: 16, max_quantity: 4 });
    let churn = Scenario::Churn(Churn {
        drop: Hotdrop { capacity: 30, buyers: 40, concurrency: 16, max_quantity: 4 },
        cancels: 40,
        webhooks: false,
    });
    let mixed = |overtake_limit| {
        Scenario::Mixed(Mixed {
            users: 60,
            capacity: 20,
            max_quantity: 4,
            overtake_limit,
            concurrency: 16,
            duration: Duration::from_secs(3),
            seed: 7,
            offer_window_seconds: None,
            cancel_at_end: false,
        })
    };
    for scenario in [drop, churn, mixed(0), mixed(2)] {
        let report = execute(&api, scenario, Some(db.url()), by_sql).await.unwrap();
        assert!(report.ok(), "{}", report.table());
        assert!(report.phases.iter().all(|p| p.requests > 0), "{}", report.table());
        let history = report.history.as_ref().expect("the integrity check ran");
        assert!(history.events > 0 && history.entries > 0, "{}", report.table());
    }
}

/// Issue 32's mixed workload on two instances: groups, cancels, lowered quantities, limit
/// changes, offers accepted, declined and lapsing (a ten-second window over fifteen seconds,
/// both instances sweeping), then the event called off — and the integrity check holds for
/// every event of the database.
#[actix_web::test]
async fn a_mixed_workload_with_offers_ending_in_a_called_off_event_keeps_history_adding_up() {
    let db = TestDatabase::new().await;
    let api = Api::new(
        support::in_process(&db, 2, b"an-end-to-end-secret", &[("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")])
            .await,
        16,
    )
    .unwrap();
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };
    let mixed = Scenario::Mixed(Mixed {
        users: 60,
        capacity: 20,
        max_quantity: 3,
        overtake_limit: 1,
        concurrency: 12,
        duration: Duration::from_secs(15),
        seed: 32,
        offer_window_seconds: Some(10),
        cancel_at_end: true,
    });
    let report = execute(&api, mixed, Some(db.url()), by_sql).await.unwrap();
    assert!(report.ok(), "{}", report.table());
    let history = report.history.as_ref().expect("the integrity check ran");
    assert!(history.failures.is_empty() && history.entries > 100, "{}", report.table());
    let actions = loadgen::sql::history::actions(db.url()).await.unwrap();
    for action in [
        "booked",
        "waitlisted",
        "cancelled",
        "offered",
        "accepted",
        "declined",
        "expired",
        "limit_changed",
        "quantity_changed",
        "event_cancelled",
    ] {
        assert!(actions.iter().any(|a| a == action), "no {action} in {actions:?}: {}", report.table());
    }
}

/// The churn in offer mode: the cancels' seats are offered, half the first offers lapse and
/// their seats pass on (by a sweeper, 500 ms by default, or the next write) to the next in line,
/// who accept; every invariant holds by SQL and every lapse is measured to its next offer.
#[actix_web::test]
async fn lapsed_offers_pass_their_seats_on_across_two_instances() {
    let db = TestDatabase::new().await;
    let api = Api::new(
        support::in_process(&db, 2, b"an-end-to-end-secret", &[("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")])
            .await,
        16,
    )
    .unwrap();
    let by_sql = Provisioning { concurrency: 8, database_url: Some(db.url()) };
    let churn = Scenario::OfferChurn(OfferChurn {
        drop: Hotdrop { capacity: 6, buyers: 20, concurrency: 16, max_quantity: 1 },
        cancels: 4,
        lapses: 2,
        window_seconds: 10,
    });

    let report = execute(&api, churn, Some(db.url()), by_sql).await.unwrap();
    assert!(report.ok(), "{}", report.table());
    let offers = report.offers.as_ref().unwrap();
    assert_eq!((offers.offered, offers.accepted, offers.expired), (6, 4, 2), "{}", report.table());
    assert_eq!((offers.measured, offers.without_next_offer), (2, 0), "{}", report.table());
}
