//! Admission control: a bounded queue for connections, and the public reads on their own pool.

use std::time::{Duration, Instant};

use domain::ports::{Catalog, Sales};
use domain::{BookError, BookTicket, RepoError};
use infra_postgres::{PgStore, PoolSettings};

use crate::helpers::Fixture;

fn one_connection() -> PoolSettings {
    PoolSettings { max_size: 1, wait_timeout: Duration::from_secs(5), ..PoolSettings::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_queue_a_request_is_refused_at_once_and_the_queued_one_is_served() {
    let fx = Fixture::new().await;
    let (user, organizer) = (fx.user("jane").await, fx.user("org").await);
    let event = fx.event(organizer, 10).await;
    // A wait far longer than any slow machine takes to refuse: being refused well inside it
    // can only mean not waiting for the pool at all.
    let pool = fx.db.pool_with(&PoolSettings { wait_timeout: Duration::from_secs(60), ..one_connection() });
    let store = PgStore::new(pool.clone()).admitting(1);
    let held = pool.get().await.unwrap();

    let queued = {
        let store = store.clone();
        tokio::spawn(async move { store.book(BookTicket::new(user, event, None).unwrap(), None).await })
    };
    while pool.status().waiting == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    let refused = store.availability(event).await;
    assert!(matches!(refused, Err(domain::FindEventError::Repo(RepoError::Unavailable(_)))), "{refused:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "refused at once, not after the pool's wait");

    drop(held);
    assert!(matches!(queued.await.unwrap(), Ok(domain::BookingOutcome::Confirmed(_))));
    if let Err(domain::FindEventError::Repo(RepoError::Unavailable(cause))) = refused {
        assert!(cause.is::<domain::Overloaded>(), "load, which callers tell from a fault: {cause}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_reads_on_their_own_pool_are_served_while_every_write_connection_is_busy() {
    let fx = Fixture::new().await;
    let (user, organizer) = (fx.user("jane").await, fx.user("org").await);
    let event = fx.event(organizer, 10).await;
    let writes =
        fx.db.pool_with(&PoolSettings { wait_timeout: Duration::from_millis(200), ..one_connection() });
    let store = PgStore::new(writes.clone()).reading_from(fx.db.pool_with(&one_connection()));
    let held = writes.get().await.unwrap();

    let read = store.availability(event).await.unwrap();
    assert_eq!(read.event.id, event);
    let write = store.book(BookTicket::new(user, event, None).unwrap(), None).await;
    assert!(matches!(write, Err(BookError::Repo(RepoError::Unavailable(_)))), "{write:?}");
    drop(held);
}
