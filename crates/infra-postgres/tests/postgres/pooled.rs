//! The store as it runs behind a pooler in transaction mode (`prepared_statements` off,
//! [`PgStore::behind_transaction_pooler`]), here on PostgreSQL directly: every port still does
//! its work, the invariants hold under concurrent bookings and cancels, and no statement stays
//! prepared on a connection after it ran. (`loadgen`'s `pooler` test runs it through PgBouncer.)

use std::time::Duration;

use domain::ports::{Catalog, Notifications as _, Sales, Sessions as _, StoreHealth as _};
use domain::{BookTicket, BookingOutcome, CancelBooking, CancelTarget, Limit};
use futures_util::future::join_all;
use infra_postgres::{PgStore, PoolSettings};

use crate::helpers::{Fixture, number};

fn pooled_settings() -> PoolSettings {
    PoolSettings {
        max_size: 8,
        wait_timeout: Duration::from_secs(10),
        prepared_statements: false,
        ..PoolSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_statement_runs_in_a_transaction_and_leaves_nothing_prepared() {
    let fx = Fixture::new().await;
    let organizer = fx.user("org").await;
    let event = fx.event(organizer, 10).await;
    let buyers = fx.users(30).await;
    let pool = fx.db.pool_with(&pooled_settings());
    let store = PgStore::new(pool.clone()).behind_transaction_pooler(fx.db.url());
    store.set_role_defaults(&pooled_settings()).await.unwrap();

    let booked = join_all(buyers.iter().map(|&user| {
        let store = store.clone();
        async move { store.book(BookTicket::new(user, event, None).unwrap(), None).await.unwrap() }
    }))
    .await;
    let confirmed: Vec<_> = booked
        .iter()
        .filter_map(|b| match b {
            BookingOutcome::Confirmed(booking) => Some(booking.clone()),
            BookingOutcome::Waitlisted { .. } => None,
        })
        .collect();
    assert_eq!(confirmed.len(), 10);
    let cancelled = join_all(confirmed.iter().take(5).map(|booking| {
        let store = store.clone();
        let cmd = CancelBooking { caller: booking.user, target: CancelTarget::Booking(booking.id) };
        async move { store.cancel(cmd, None).await.unwrap() }
    }))
    .await;
    assert!(cancelled.iter().all(|c| c.promoted.len() == 1), "each freed seat went to the line");

    // Reads of every kind, through the pinned path.
    assert_eq!(store.availability(event).await.unwrap().tickets_available, 0);
    assert!(!store.user_bookings(buyers[0], domain::BookingQuery::default()).await.unwrap().items.is_empty());
    assert!(!store.feed(buyers[0], None, i64::MAX, Limit::DEFAULT).await.unwrap().is_empty());
    assert!(store.revocations(chrono::DateTime::UNIX_EPOCH).await.unwrap().is_empty());
    store.ping().await.unwrap();
    fx.assert_invariants().await;

    // Nothing stays prepared on the connections (the count's own statement aside).
    let mut conn = pool.get().await.unwrap();
    let left = number(
        &mut conn,
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement NOT LIKE '%pg_prepared_statements%'",
    )
    .await;
    assert_eq!(left, 0);
    // The time limits come from the role's defaults (to connections opened after they were set),
    // not from session settings.
    let fresh = fx.db.pool_with(&pooled_settings());
    let mut conn = fresh.get().await.unwrap();
    let limit =
        number(&mut conn, "SELECT setting::bigint AS n FROM pg_settings WHERE name = 'statement_timeout'")
            .await;
    assert_eq!(limit, i64::try_from(pooled_settings().statement_timeout.as_millis()).unwrap());
}
