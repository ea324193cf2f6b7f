//! Group commit: bookings of one event that arrive while one of its bookings is in flight go
//! in one transaction. To gather a batch on purpose, a test holds the event's row in a
//! transaction of its own: the first booking (the lead) waits on it, everything after queues
//! behind the lead, and the batch runs once the row is let go.

use std::collections::HashMap;
use std::time::Duration;

use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::idempotency::{Attempt, Claim, Effect, Recorded};
use domain::ports::{Idempotency, Sales};
use domain::{
    BookError, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus, CancelBooking, CancelError,
    CancelTarget, Cancellation, EventId, RepoError, UserId,
};
use infra_postgres::bench::LOCK_EVENT;
use infra_postgres::{BatchCounts, PgStore};
use tokio::task::JoinHandle;

use crate::helpers::{Fixture, assert_invariants_on, number, positions, wide_pool};
use crate::idempotency::{LEASE, fresh, request};

type Booked = Result<BookingOutcome, BookError>;

fn book(store: &PgStore, event: EventId, user: UserId) -> JoinHandle<Booked> {
    let store = store.clone();
    tokio::spawn(async move { store.book(BookTicket::new(user, event, None).unwrap(), None).await })
}

/// Holds the event's row, as a booking in flight would, until the returned connection commits.
async fn hold_row(fx: &Fixture, event: EventId) -> AsyncPgConnection {
    let mut conn = fx.raw().await;
    conn.batch_execute("BEGIN").await.unwrap();
    diesel::sql_query("SELECT 1 FROM events WHERE id = $1 FOR NO KEY UPDATE")
        .bind::<BigInt, _>(event.get())
        .execute(&mut conn)
        .await
        .unwrap();
    conn
}

/// Starts a lead booking that waits on the held row, and returns once it waits.
async fn lead_waiting(fx: &Fixture, event: EventId, user: UserId) -> JoinHandle<Booked> {
    let lead = book(&fx.store, event, user);
    until_one_waits(fx).await;
    lead
}

/// Returns once `n` jobs wait in the store's lanes (`counts`: its bookings' or its cancels'),
/// so that they are all behind the lead when the lock is let go.
async fn queued(store: &PgStore, counts: fn(&PgStore) -> BatchCounts, n: u64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while counts(store).waiting < n {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {n} jobs ever queued",
            counts(store).waiting
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_places_each_booker_and_refuses_a_second_request_and_an_unknown_user() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 3).await;
    let [lead_user, a, b, c] = fx.users(4).await[..] else { unreachable!() };
    let ghost = UserId::new(i64::from(i32::MAX)).unwrap();

    let mut row = hold_row(&fx, event).await;
    let lead = lead_waiting(&fx, event, lead_user).await;
    let behind: Vec<(UserId, JoinHandle<Booked>)> =
        [a, a, ghost, b, c].into_iter().map(|user| (user, book(&fx.store, event, user))).collect();
    queued(&fx.store, PgStore::batch_counts, 5).await;
    row.batch_execute("COMMIT").await.unwrap();

    assert!(matches!(lead.await.unwrap(), Ok(BookingOutcome::Confirmed(_))));
    let mut answers: HashMap<UserId, Vec<Booked>> = HashMap::new();
    for (user, task) in behind {
        answers.entry(user).or_default().push(task.await.unwrap());
    }
    assert_eq!(fx.store.batch_counts().jobs, 5, "all five went in batches");

    // The tasks reach the lane in no fixed order: a's second request is refused whichever of
    // its two came first, and the two seats left go to the first two of a, b and c to arrive.
    let (refused, placed): (Vec<&Booked>, Vec<&Booked>) = answers[&a].iter().partition(|r| r.is_err());
    assert!(
        matches!(refused[..], [Err(BookError::AlreadyBooked | BookError::AlreadyWaitlisted)]),
        "{:?}",
        answers[&a]
    );
    assert!(matches!(answers[&ghost][..], [Err(BookError::UserNotFound(u))] if u == ghost));
    let (mut confirmed, mut waiting) = (0, Vec::new());
    for outcome in placed.into_iter().chain(answers[&b].iter()).chain(answers[&c].iter()) {
        match outcome {
            Ok(BookingOutcome::Confirmed(_)) => confirmed += 1,
            Ok(BookingOutcome::Waitlisted { position, .. }) => waiting.push(position.get()),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((confirmed, waiting), (2, vec![1]), "three seats: the lead, then two of a, b and c");
    assert_eq!(notices(&fx, event).await, 4, "one notice per booking written");
    fx.assert_invariants().await;
}

async fn notices(fx: &Fixture, event: EventId) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM notifications WHERE event_id = $1")
        .bind::<BigInt, _>(event.get())
        .get_result(&mut fx.raw().await)
        .await
        .unwrap();
    count.n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_batch_for_an_event_called_off_meanwhile_refuses_everyone_in_it() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    let users = fx.users(4).await;

    let mut row = hold_row(&fx, event).await;
    let lead = lead_waiting(&fx, event, users[0]).await;
    let behind: Vec<_> = users[1..].iter().map(|&user| book(&fx.store, event, user)).collect();
    queued(&fx.store, PgStore::batch_counts, 3).await;
    diesel::sql_query("UPDATE events SET status = 'CANCELLED' WHERE id = $1")
        .bind::<BigInt, _>(event.get())
        .execute(&mut row)
        .await
        .unwrap();
    row.batch_execute("COMMIT").await.unwrap();

    assert!(matches!(lead.await.unwrap(), Err(BookError::EventCancelled(e)) if e == event));
    for task in behind {
        assert!(matches!(task.await.unwrap(), Err(BookError::EventCancelled(e)) if e == event));
    }
    assert!(fx.store.batch_counts().batches >= 1);
    assert_eq!(notices(&fx, event).await, 0);
    // Called off by hand, to hold its row meanwhile: its history rightly does not say so (the
    // integrity check names that), so only the recount.
    assert_invariants_on(&mut fx.raw().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn keyed_bookings_in_a_batch_store_their_answers_and_one_whose_key_was_lost_takes_nothing() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    let [lead_user, keyed, lost] = fx.users(3).await[..] else { unreachable!() };
    let attempt = fresh(&fx, request(keyed, "k", 1), LEASE).await;
    // A lease of zero has run out by the next statement: the key is taken over at once.
    let stale = fresh(&fx, request(lost, "k", 1), Duration::ZERO).await;
    fresh(&fx, request(lost, "k", 1), LEASE).await;

    let mut row = hold_row(&fx, event).await;
    let lead = lead_waiting(&fx, event, lead_user).await;
    let under = |attempt: Attempt, user: UserId| {
        let store = fx.store.clone();
        tokio::spawn(
            async move { store.book(BookTicket::new(user, event, None).unwrap(), Some(attempt)).await },
        )
    };
    let (keyed_task, lost_task) = (under(attempt, keyed), under(stale, lost));
    queued(&fx.store, PgStore::batch_counts, 2).await;
    row.batch_execute("COMMIT").await.unwrap();

    lead.await.unwrap().unwrap();
    let booked = keyed_task.await.unwrap().unwrap();
    assert_eq!(
        fx.store.claim(request(keyed, "k", 1), LEASE).await.unwrap(),
        Claim::Replay(Recorded::Effect(Effect::Booked(booked))),
        "the batch stored the keyed booking's effect"
    );
    assert!(matches!(lost_task.await.unwrap(), Err(BookError::Repo(RepoError::Unavailable(_)))));
    assert_eq!(fx.store.batch_counts().jobs, 2);
    fx.assert_invariants().await;
    assert!(matches!(fx.book(event, lost).await, BookingOutcome::Confirmed(_)), "the lost key took no seat");
}

/// Holds the event's guard, as a cancel in flight would, until the connection commits.
async fn hold_guard(fx: &Fixture, event: EventId) -> AsyncPgConnection {
    let mut conn = fx.raw().await;
    conn.batch_execute("BEGIN").await.unwrap();
    diesel::sql_query(LOCK_EVENT).bind::<BigInt, _>(event.get()).execute(&mut conn).await.unwrap();
    conn
}

/// Blocks until some session of the test's database waits on a lock.
async fn until_one_waits(fx: &Fixture) {
    let mut conn = fx.raw().await;
    for _ in 0..200 {
        let waiting = number(
            &mut conn,
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .await;
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("nothing ever waited on the held lock");
}

fn cancel(
    store: &PgStore,
    caller: UserId,
    target: CancelTarget,
) -> JoinHandle<Result<Cancellation, CancelError>> {
    let store = store.clone();
    tokio::spawn(async move { store.cancel(CancelBooking { caller, target }, None).await })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_queued_behind_one_in_flight_go_together_each_with_its_own_answer() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 3).await;
    let users = fx.users(6).await;
    let mut held = Vec::new();
    for &user in &users[..3] {
        let BookingOutcome::Confirmed(booking) = fx.book(event, user).await else {
            panic!("a seat was free")
        };
        held.push(booking);
    }
    for &user in &users[3..5] {
        assert!(matches!(fx.book(event, user).await, BookingOutcome::Waitlisted { .. }));
    }
    let line = positions(&fx, event).await;
    let stranger = users[5];

    let mut guard = hold_guard(&fx, event).await;
    let lead = cancel(&fx.store, held[0].user, CancelTarget::Booking(held[0].id));
    until_one_waits(&fx).await;
    let not_theirs = cancel(&fx.store, stranger, CancelTarget::Booking(held[1].id));
    let by_event = cancel(&fx.store, held[2].user, CancelTarget::LiveBookingFor(event));
    let again = cancel(&fx.store, held[0].user, CancelTarget::Booking(held[0].id));
    let nothing_held = cancel(&fx.store, stranger, CancelTarget::LiveBookingFor(event));
    queued(&fx.store, PgStore::cancel_batch_counts, 4).await;
    guard.batch_execute("COMMIT").await.unwrap();

    let lead = lead.await.unwrap().unwrap();
    assert_eq!(
        lead.promoted.iter().map(|b| b.id).collect::<Vec<_>>(),
        [line[0].0],
        "first in line, first served"
    );
    assert!(matches!(not_theirs.await.unwrap(), Err(CancelError::NotAllowed(id)) if id == held[1].id));
    let by_event = by_event.await.unwrap().unwrap();
    assert_eq!(
        (by_event.cancelled.id, by_event.promoted.iter().map(|b| b.id).collect::<Vec<_>>()),
        (held[2].id, vec![line[1].0])
    );
    assert!(matches!(again.await.unwrap(), Err(CancelError::AlreadyCancelled(id)) if id == held[0].id));
    assert!(matches!(nothing_held.await.unwrap(), Err(CancelError::NoLiveBooking(e)) if e == event));
    let gathered = fx.store.cancel_batch_counts();
    assert_eq!((gathered.batches, gathered.jobs), (1, 4), "the four behind the lead went together");
    assert_eq!(notices(&fx, event).await, 5 + 2 + 2, "each booking, cancel and promotion once");
    fx.assert_invariants().await;
}

/// Five hundred bookers at once on two stores (two instances, each batching on its own) for
/// two hundred seats; then fifty holders cancel at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_bookers_on_two_instances_keep_every_invariant_and_the_line_in_order() {
    let fx = Fixture::with_pool(wide_pool()).await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 200).await;
    let buyers = fx.users(500).await;
    let stores = [fx.store.clone(), PgStore::new(fx.db.pool_with(&wide_pool()))];

    let tasks: Vec<_> =
        buyers.iter().enumerate().map(|(i, &user)| book(&stores[i % 2], event, user)).collect();
    let (mut confirmed, mut told): (Vec<Booking>, HashMap<BookingId, u64>) = (Vec::new(), HashMap::new());
    for task in tasks {
        match task.await.unwrap().unwrap() {
            BookingOutcome::Confirmed(booking) => confirmed.push(booking),
            BookingOutcome::Waitlisted { booking, position, .. } => {
                told.insert(booking.id, position.get());
            }
        }
    }
    let gathered = stores.iter().map(PgStore::batch_counts).fold(0, |n, c| n + c.jobs);
    assert!(gathered > 0, "a stampede of one event goes in batches");
    assert_eq!((confirmed.len(), told.len()), (200, 300));
    let line = positions(&fx, event).await;
    assert_eq!(line.len(), 300);
    for (id, exact) in &line {
        let was_told = told[id];
        assert!((1..=*exact).contains(&was_told), "booking {id} was told {was_told}, is {exact}");
    }
    assert_eq!(notices(&fx, event).await, 500);
    fx.assert_invariants().await;

    let tasks: Vec<_> = confirmed[..50]
        .iter()
        .enumerate()
        .map(|(i, held)| {
            let (store, cmd) = (
                stores[i % 2].clone(),
                CancelBooking { caller: held.user, target: CancelTarget::Booking(held.id) },
            );
            tokio::spawn(async move { store.cancel(cmd, None).await })
        })
        .collect();
    let mut promoted = Vec::new();
    for task in tasks {
        let served = task.await.unwrap().unwrap().promoted;
        let [lucky] = &served[..] else { panic!("a freed seat goes to the line: {served:?}") };
        assert_eq!(lucky.status, BookingStatus::Confirmed);
        promoted.push(lucky.id);
    }
    promoted.sort();
    assert_eq!(
        promoted,
        line[..50].iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        "first in line, first served"
    );
    fx.assert_invariants().await;
}
