//! Interleavings forced step by step with a third connection's locks, where a random stampede
//! would only hit them by luck. Each step waits until PostgreSQL shows the wait it names — a
//! backend of this test's database blocked by the backend the test expects
//! (`pg_blocking_pids`) — so another test's locks on the same server can neither satisfy the
//! wait nor hide it, and a test fails when its interleaving did not happen.

use std::time::{Duration, Instant};

use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use domain::ports::Sales;
use domain::{
    BookError, BookTicket, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelTarget,
};

use crate::helpers::{Fixture, number};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Polls until `done` holds, for at most ten seconds; whether it did.
async fn wait_until(mut done: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if done().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The backend serving `conn`.
async fn backend(conn: &mut AsyncPgConnection) -> i32 {
    i32::try_from(number(conn, "SELECT pg_backend_pid()::int8 AS n").await).unwrap()
}

/// How many backends of this database wait for a lock `blocker` holds.
async fn blocked_by(monitor: &mut AsyncPgConnection, blocker: i32) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND $1 = ANY(pg_blocking_pids(pid))",
    )
    .bind::<Integer, _>(blocker)
    .get_result::<Count>(monitor)
    .await
    .unwrap()
    .n
}

/// How many backends of this database wait for a backend that itself waits for `blocker`.
async fn blocked_behind(monitor: &mut AsyncPgConnection, blocker: i32) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity waiter
         WHERE waiter.datname = current_database() AND EXISTS (
             SELECT 1 FROM pg_stat_activity first
             WHERE first.datname = current_database() AND $1 = ANY(pg_blocking_pids(first.pid))
               AND first.pid = ANY(pg_blocking_pids(waiter.pid)))",
    )
    .bind::<Integer, _>(blocker)
    .get_result::<Count>(monitor)
    .await
    .unwrap()
    .n
}

/// How many backends of this database wait for a lock at all. Behind a held row, only the
/// first waiter counts the holder among its blockers; the next waits for the first's place in
/// the queue (PostgreSQL's tuple lock), so "everyone behind the holder" is counted this way.
async fn blocked_here(monitor: &mut AsyncPgConnection) -> i64 {
    number(
        monitor,
        "SELECT count(*) AS n FROM pg_stat_activity
         WHERE datname = current_database() AND cardinality(pg_blocking_pids(pid)) > 0",
    )
    .await
}

/// A transaction on a connection of its own holding the event's row, until it commits.
async fn hold_event_row(fx: &Fixture, event: domain::EventId) -> (AsyncPgConnection, i32) {
    let mut blocker = fx.raw().await;
    let pid = backend(&mut blocker).await;
    blocker.batch_execute("BEGIN").await.unwrap();
    diesel::sql_query("SELECT id FROM events WHERE id = $1 FOR UPDATE")
        .bind::<BigInt, _>(event.get())
        .execute(&mut blocker)
        .await
        .unwrap();
    (blocker, pid)
}

/// The race the guard lock exists for (docs/ARCHITECTURE.md, "The two transactions"): a cancel sees an empty line and is about
/// to free the seat while a buyer, finding the event full, joins the line. Without the guard
/// the buyer waits forever beside a free seat (I3); with it, the buyer waits for the cancel and
/// takes the seat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_racing_the_cancel_that_frees_the_last_seat_gets_the_seat() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [holder, buyer] = fx.users(2).await[..] else { unreachable!() };
    let held = fx.book(event, holder).await;
    let mut monitor = fx.raw().await;

    // Hold the event row: the cancel will stop right where it frees the seat.
    let (mut blocker, blocker_pid) = hold_event_row(&fx, event).await;
    let cancel = {
        let (repo, cmd) = (
            fx.store.clone(),
            CancelBooking { caller: holder, target: CancelTarget::Booking(held.booking().id) },
        );
        tokio::spawn(async move { repo.cancel(cmd, None).await })
    };
    let cancel_stopped = wait_until(async || blocked_by(&mut monitor, blocker_pid).await == 1).await;
    assert!(cancel_stopped, "the cancel never waited on the held event row");

    // The buyer finds the event full: it either waits for the cancel (guard) or joins the line.
    let book = {
        let repo = fx.store.clone();
        tokio::spawn(async move { repo.book(BookTicket::new(buyer, event, None).unwrap(), None).await })
    };
    let mut buyer_waited = false;
    wait_until(async || {
        buyer_waited = blocked_behind(&mut monitor, blocker_pid).await == 1;
        buyer_waited || book.is_finished()
    })
    .await;
    blocker.batch_execute("COMMIT").await.unwrap();

    let cancellation = cancel.await.unwrap().unwrap();
    let outcome = book.await.unwrap().unwrap();
    assert_eq!(cancellation.cancelled.status, BookingStatus::Cancelled);
    assert!(matches!(outcome, BookingOutcome::Confirmed(_)), "the freed seat went unsold: {outcome:?}");
    assert!(buyer_waited, "the buyer never waited for the cancel: the race was not run");
    fx.assert_invariants().await;
}

/// A user cancelling and re-booking at once (two tabs): the re-booking holds the event row
/// while it waits on the unique index for the cancelled booking, so the cancel must not need
/// the event row after touching the booking. Each round holds the event row until both the
/// cancel and the re-booking wait for it, then lets them race for it; each must end in one of
/// the answers that race allows (a deadlock would be an outage).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_and_rebooking_at_once_does_not_deadlock() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 5).await;
    let buyer = fx.user("buyer").await;
    let mut monitor = fx.raw().await;
    let cmd = CancelBooking { caller: buyer, target: CancelTarget::LiveBookingFor(event) };

    let mut rebooked_after_the_cancel = 0;
    for _ in 0..20 {
        fx.store.book(BookTicket::new(buyer, event, None).unwrap(), None).await.unwrap();
        let (mut blocker, blocker_pid) = hold_event_row(&fx, event).await;
        let cancel = {
            let store = fx.store.clone();
            tokio::spawn(async move { store.cancel(cmd, None).await })
        };
        let rebook = {
            let store = fx.store.clone();
            tokio::spawn(async move { store.book(BookTicket::new(buyer, event, None).unwrap(), None).await })
        };
        let both_wait = wait_until(async || {
            blocked_by(&mut monitor, blocker_pid).await == 1 && blocked_here(&mut monitor).await == 2
        })
        .await;
        blocker.batch_execute("COMMIT").await.unwrap();
        assert!(both_wait, "the cancel and the re-booking never both waited for the event row");

        let cancelled = cancel.await.unwrap();
        let rebooked = rebook.await.unwrap();
        assert!(cancelled.is_ok(), "{cancelled:?}");
        match rebooked {
            Ok(_) => rebooked_after_the_cancel += 1,
            Err(BookError::AlreadyBooked) => {}
            Err(e) => panic!("the re-booking failed: {e:?}"),
        }
        match fx.store.cancel(cmd, None).await {
            Ok(_) | Err(CancelError::NoLiveBooking(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    eprintln!("re-booked after the cancel in {rebooked_after_the_cancel} of 20 rounds");
    fx.assert_invariants().await;
}

/// The last seat goes to a write held open by another connection while the fast path waits
/// on the event's row: the fast path finds the seat gone, writes nothing, and the buyer joins
/// the line; nothing of the lost attempt remains (no booking, no notice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_path_that_loses_the_last_seat_writes_nothing_and_joins_the_line() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [taker, buyer] = fx.users(2).await[..] else { unreachable!() };
    let mut monitor = fx.raw().await;

    let mut taker_conn = fx.booking_left_open(event, taker).await;
    let taker_pid = backend(&mut taker_conn).await;
    let booking = {
        let store = fx.store.clone();
        tokio::spawn(async move { store.book(BookTicket::new(buyer, event, None).unwrap(), None).await })
    };
    // The buyer's seat write waits on the taker's row lock.
    let buyer_waited = wait_until(async || blocked_by(&mut monitor, taker_pid).await == 1).await;
    taker_conn.batch_execute("COMMIT").await.unwrap();
    assert!(buyer_waited, "the buyer's fast path never waited on the taker's write");

    let outcome = booking.await.unwrap().unwrap();
    assert!(matches!(outcome, BookingOutcome::Waitlisted { .. }), "{outcome:?}");
    let bookings: Count = diesel::sql_query("SELECT count(*) AS n FROM bookings WHERE event_id = $1")
        .bind::<BigInt, _>(event.get())
        .get_result(&mut monitor)
        .await
        .unwrap();
    let notices: Count = diesel::sql_query("SELECT count(*) AS n FROM notifications WHERE event_id = $1")
        .bind::<BigInt, _>(event.get())
        .get_result(&mut monitor)
        .await
        .unwrap();
    assert_eq!((bookings.n, notices.n), (2, 2), "the taker's and the buyer's place in line, nothing else");
    fx.assert_invariants().await;
}
