//! Interleavings forced step by step with a third connection's locks, where a random stampede
//! would only hit them by luck.

use std::time::{Duration, Instant};

use diesel::sql_types::BigInt;
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use domain::ports::Sales;
use domain::{BookTicket, BookingOutcome, BookingStatus, CancelBooking, CancelTarget};

use crate::helpers::Fixture;

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Polls until `done` holds, for at most ten seconds.
async fn wait_until(mut done: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done().await {
        assert!(Instant::now() < deadline, "timed out waiting for the interleaving");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
    let waiting_locks = async |monitor: &mut diesel_async::AsyncPgConnection| {
        let count: Count = diesel::sql_query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted")
            .get_result(monitor)
            .await
            .unwrap();
        count.n
    };

    // Hold the event row: the cancel will stop right where it frees the seat.
    let mut blocker = fx.raw().await;
    blocker.batch_execute("BEGIN").await.unwrap();
    diesel::sql_query("SELECT id FROM events WHERE id = $1 FOR UPDATE")
        .bind::<BigInt, _>(event.get())
        .execute(&mut blocker)
        .await
        .unwrap();
    let cancel = {
        let (repo, cmd) = (
            fx.store.clone(),
            CancelBooking { caller: holder, target: CancelTarget::Booking(held.booking().id) },
        );
        tokio::spawn(async move { repo.cancel(cmd, None).await })
    };
    wait_until(async || waiting_locks(&mut monitor).await == 1).await;

    // The buyer finds the event full: it either waits for the cancel (guard) or joins the line.
    let book = {
        let repo = fx.store.clone();
        tokio::spawn(async move { repo.book(BookTicket::new(buyer, event, None).unwrap(), None).await })
    };
    wait_until(async || book.is_finished() || waiting_locks(&mut monitor).await == 2).await;
    blocker.batch_execute("COMMIT").await.unwrap();

    let cancellation = cancel.await.unwrap().unwrap();
    let outcome = book.await.unwrap().unwrap();
    assert_eq!(cancellation.cancelled.status, BookingStatus::Cancelled);
    assert!(matches!(outcome, BookingOutcome::Confirmed(_)), "the freed seat went unsold: {outcome:?}");
    fx.assert_invariants().await;
}

/// A user cancelling and re-booking at once (two tabs): the re-booking holds the event row
/// while it waits on the unique index for the cancelled booking, so the cancel must not need
/// the event row after touching the booking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_and_rebooking_at_once_does_not_deadlock() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 5).await;
    let buyer = fx.user("buyer").await;

    for _ in 0..30 {
        let held = fx.store.book(BookTicket::new(buyer, event, None).unwrap(), None).await;
        let cmd = CancelBooking { caller: buyer, target: CancelTarget::LiveBookingFor(event) };
        let (cancelled, rebooked) = tokio::join!(
            fx.store.cancel(cmd, None),
            fx.store.book(BookTicket::new(buyer, event, None).unwrap(), None)
        );
        assert!(held.is_ok() || cancelled.is_ok(), "{held:?} {cancelled:?}");
        assert!(
            !format!("{cancelled:?}{rebooked:?}").contains("deadlock"),
            "deadlock: {cancelled:?} {rebooked:?}"
        );
        fx.store.cancel(cmd, None).await.ok();
    }
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
    let booking = {
        let store = fx.store.clone();
        tokio::spawn(async move { store.book(BookTicket::new(buyer, event, None).unwrap(), None).await })
    };
    // The buyer's seat write waits on the taker's row lock, its booking already written.
    wait_until(async || {
        let count: Count = diesel::sql_query("SELECT count(*) AS n FROM pg_locks WHERE NOT granted")
            .get_result(&mut monitor)
            .await
            .unwrap();
        count.n > 0
    })
    .await;
    taker_conn.batch_execute("COMMIT").await.unwrap();

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
