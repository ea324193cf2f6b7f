use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use domain::ports::{Catalog, Sales};
use domain::{
    BookError, BookTicket, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelTarget, EventId,
    UserId,
};

use crate::helpers::Fixture;

fn cancel_by_id(caller: UserId, outcome: &BookingOutcome) -> CancelBooking {
    CancelBooking { caller, target: CancelTarget::Booking(outcome.booking().id) }
}

async fn booking_rows(fx: &Fixture) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let count: Count = diesel::sql_query("SELECT count(*) AS n FROM bookings")
        .get_result(&mut fx.raw().await)
        .await
        .unwrap();
    count.n
}

#[tokio::test]
async fn a_free_seat_is_confirmed_to_the_buyer() {
    let fx = Fixture::new().await;
    let (organizer, buyer) = (fx.user("organizer").await, fx.user("buyer").await);
    let event = fx.event(organizer, 2).await;

    let outcome = fx.book(event, buyer).await;

    let BookingOutcome::Confirmed(booking) = outcome else { panic!("expected a seat: {outcome:?}") };
    assert_eq!((booking.event, booking.user, booking.status), (event, buyer, BookingStatus::Confirmed));
    fx.assert_invariants().await;
}

#[tokio::test]
async fn buyers_of_a_sold_out_event_join_the_line_in_order() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let buyers = fx.users(3).await;

    let outcomes =
        [fx.book(event, buyers[0]).await, fx.book(event, buyers[1]).await, fx.book(event, buyers[2]).await];

    assert!(matches!(outcomes[0], BookingOutcome::Confirmed(_)));
    let positions: Vec<u64> = outcomes[1..]
        .iter()
        .map(|o| match o {
            BookingOutcome::Waitlisted { booking, position } => {
                assert_eq!(booking.status, BookingStatus::Pending);
                position.get()
            }
            BookingOutcome::Confirmed(_) => panic!("sold out, yet confirmed: {o:?}"),
        })
        .collect();
    assert_eq!(positions, [1, 2]);
    fx.assert_invariants().await;
}

#[tokio::test]
async fn a_second_booking_by_the_same_user_is_refused_and_writes_nothing() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [holder, waiter] = fx.users(2).await[..] else { unreachable!() };
    fx.book(event, holder).await;
    fx.book(event, waiter).await;
    let rows_before = booking_rows(&fx).await;

    let holder_again = fx.store.book(BookTicket::new(holder, event, None).unwrap()).await;
    let waiter_again = fx.store.book(BookTicket::new(waiter, event, None).unwrap()).await;

    assert!(matches!(holder_again, Err(BookError::AlreadyBooked)), "{holder_again:?}");
    assert!(matches!(waiter_again, Err(BookError::AlreadyWaitlisted)), "{waiter_again:?}");
    assert_eq!(booking_rows(&fx).await, rows_before);
    fx.assert_invariants().await;
}

#[tokio::test]
async fn booking_an_unknown_event_is_not_found() {
    let fx = Fixture::new().await;
    let buyer = fx.user("buyer").await;
    let missing = EventId::new(77_777).unwrap();

    let refused = fx.store.book(BookTicket::new(buyer, missing, None).unwrap()).await;

    assert!(matches!(refused, Err(BookError::EventNotFound(id)) if id == missing), "{refused:?}");
}

#[tokio::test]
async fn booking_for_an_unknown_user_is_not_found_with_seats_left_or_sold_out() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let ghost = UserId::new(88_888).unwrap();
    let open = fx.event(organizer, 5).await;
    let full = fx.event(organizer, 1).await;
    fx.book(full, organizer).await;

    for event in [open, full] {
        let refused = fx.store.book(BookTicket::new(ghost, event, None).unwrap()).await;
        assert!(matches!(refused, Err(BookError::UserNotFound(id)) if id == ghost), "{refused:?}");
    }
    assert_eq!(fx.store.availability(open).await.unwrap().tickets_available, 5, "the seat went back");
    fx.assert_invariants().await;
}

#[tokio::test]
async fn cancelling_a_seat_gives_it_to_the_first_in_line_at_once() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [holder, first, second] = fx.users(3).await[..] else { unreachable!() };
    let held = fx.book(event, holder).await;
    let first_wait = fx.book(event, first).await;
    fx.book(event, second).await;

    let cancellation = fx.store.cancel(cancel_by_id(holder, &held)).await.unwrap();

    assert_eq!(cancellation.cancelled.status, BookingStatus::Cancelled);
    let promoted = cancellation.promoted.expect("someone was waiting");
    assert_eq!((promoted.id, promoted.status), (first_wait.booking().id, BookingStatus::Confirmed));
    let status = fx.store.availability(event).await.unwrap();
    assert_eq!((status.tickets_available, status.waiting_list_count), (0, 1));
    fx.assert_invariants().await;
}

#[tokio::test]
async fn cancelling_a_seat_nobody_waits_for_frees_it() {
    let fx = Fixture::new().await;
    let (organizer, buyer) = (fx.user("organizer").await, fx.user("buyer").await);
    let event = fx.event(organizer, 1).await;
    let held = fx.book(event, buyer).await;

    let cancellation = fx.store.cancel(cancel_by_id(buyer, &held)).await.unwrap();

    assert_eq!(cancellation.promoted, None);
    assert_eq!(fx.store.availability(event).await.unwrap().tickets_available, 1);
    fx.assert_invariants().await;
}

#[tokio::test]
async fn cancelling_a_place_in_line_moves_no_seat() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [holder, first, second] = fx.users(3).await[..] else { unreachable!() };
    fx.book(event, holder).await;
    let first_wait = fx.book(event, first).await;
    fx.book(event, second).await;

    let cancellation = fx.store.cancel(cancel_by_id(first, &first_wait)).await.unwrap();

    assert_eq!(cancellation.promoted, None);
    let status = fx.store.availability(event).await.unwrap();
    assert_eq!((status.tickets_available, status.waiting_list_count), (0, 1));
    fx.assert_invariants().await;
}

#[tokio::test]
async fn a_cancelled_booking_cannot_be_cancelled_again() {
    let fx = Fixture::new().await;
    let (organizer, buyer) = (fx.user("organizer").await, fx.user("buyer").await);
    let event = fx.event(organizer, 1).await;
    let held = fx.book(event, buyer).await;
    fx.store.cancel(cancel_by_id(buyer, &held)).await.unwrap();

    let again = fx.store.cancel(cancel_by_id(buyer, &held)).await;

    assert!(matches!(again, Err(CancelError::AlreadyCancelled(id)) if id == held.booking().id), "{again:?}");
    fx.assert_invariants().await;
}

#[tokio::test]
async fn only_the_owner_or_the_organizer_may_cancel() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 5).await;
    let [owner, stranger, other] = fx.users(3).await[..] else { unreachable!() };
    let held = fx.book(event, owner).await;
    let other_held = fx.book(event, other).await;

    let by_stranger = fx.store.cancel(cancel_by_id(stranger, &held)).await;
    let by_organizer = fx.store.cancel(cancel_by_id(organizer, &other_held)).await;

    assert!(
        matches!(by_stranger, Err(CancelError::NotAllowed(id)) if id == held.booking().id),
        "{by_stranger:?}"
    );
    assert_eq!(by_organizer.unwrap().cancelled.user, other);
    assert_eq!(
        fx.store.availability(event).await.unwrap().tickets_available,
        4,
        "only the organizer's cancel counted"
    );
    fx.assert_invariants().await;
}

#[tokio::test]
async fn cancelling_an_unknown_booking_is_not_found() {
    let fx = Fixture::new().await;
    let caller = fx.user("caller").await;
    let missing = domain::BookingId::new(5_555).unwrap();

    let refused = fx.store.cancel(CancelBooking { caller, target: CancelTarget::Booking(missing) }).await;

    assert!(matches!(refused, Err(CancelError::BookingNotFound(id)) if id == missing), "{refused:?}");
}

#[tokio::test]
async fn cancelling_by_event_cancels_the_callers_live_booking() {
    let fx = Fixture::new().await;
    let (organizer, buyer) = (fx.user("organizer").await, fx.user("buyer").await);
    let event = fx.event(organizer, 1).await;
    let held = fx.book(event, buyer).await;
    let by_event = CancelBooking { caller: buyer, target: CancelTarget::LiveBookingFor(event) };

    let cancellation = fx.store.cancel(by_event).await.unwrap();
    let again = fx.store.cancel(by_event).await;

    assert_eq!(cancellation.cancelled.id, held.booking().id);
    assert!(matches!(again, Err(CancelError::NoLiveBooking(id)) if id == event), "{again:?}");
    fx.assert_invariants().await;
}

#[tokio::test]
async fn a_user_who_cancelled_may_book_again_and_joins_the_back_of_the_line() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let [holder, first, second] = fx.users(3).await[..] else { unreachable!() };
    fx.book(event, holder).await;
    let first_wait = fx.book(event, first).await;
    fx.book(event, second).await;
    fx.store.cancel(cancel_by_id(first, &first_wait)).await.unwrap();

    let rebooked = fx.book(event, first).await;

    let BookingOutcome::Waitlisted { booking, position } = rebooked else {
        panic!("expected the line: {rebooked:?}")
    };
    assert!(booking.id > first_wait.booking().id);
    assert_eq!(position.get(), 2, "behind the one who stayed in line");
    fx.assert_invariants().await;
}
