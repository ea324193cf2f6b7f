//! Offers with a deadline: on an event that offers seats, the bookings the line serves hold
//! their seats as offers until their holder accepts or declines, or the deadline passes by the
//! store's clock — when any read shows them expired at once, and the next write of the event
//! (or the sweeper) passes the seats on. The windows are the shortest allowed, ten seconds, so
//! the checks that watch one lapse take that long (they run beside the others).

use std::time::Duration;

use chrono::Utc;
use domain::notice::NoticeKind;
use domain::ports::{Catalog as _, Notifications as _, Sales as _, Store};
use domain::{
    AnswerOffer, AnswerOfferError, BookError, BookTicket, Booking, BookingStatus, CancelBooking,
    CancelTarget, ChangeEvent, EventChanges, EventId, OfferWindow, Promotion, Quantity, Seating, UserId,
};

use crate::fixtures::{book, new_event, settled, user, users};
use crate::invariants::assert_invariants;
use crate::{Adapter, Gate};

/// A new event of `limit` seats that offers them for ten seconds, a year from now (offers
/// stop when an event's day begins).
async fn offering_event<S: Store>(store: &S, organizer: UserId, limit: i64) -> EventId {
    offering_event_on(store, organizer, limit, &days_from_now(365)).await
}

async fn offering_event_on<S: Store>(store: &S, organizer: UserId, limit: i64, date: &str) -> EventId {
    let window = OfferWindow::new(i64::from(OfferWindow::MIN)).unwrap();
    let seating = Seating { promotion: Promotion::Offer(window), ..Seating::DEFAULT };
    let new = new_event(organizer, limit, date, "Offers").with_seating(seating);
    store.create_event(new, None).await.unwrap().id
}

/// An offering event of `limit` seats (a year from now) and `n` buyers who booked it in turn:
/// the first `limit` hold a seat each, the rest wait in that order.
async fn booked_in_turn<S: Store>(store: &S, limit: i64, n: usize) -> (EventId, Vec<UserId>) {
    let organizer = user(store, "organizer").await;
    let event = offering_event(store, organizer, limit).await;
    let buyers = users(store, "buyer", n).await;
    for &buyer in &buyers {
        store.book(book(buyer, event), None).await.unwrap();
    }
    (event, buyers)
}

/// The day `days` from today (UTC), as `YYYY-MM-DD`.
fn days_from_now(days: i64) -> String {
    (Utc::now() + chrono::Duration::days(days)).format("%Y-%m-%d").to_string()
}

fn answer(caller: UserId, booking: &Booking) -> AnswerOffer {
    AnswerOffer { caller, booking: booking.id }
}

async fn cancel<S: Store>(store: &S, caller: UserId, event: EventId) -> Vec<Booking> {
    let cancel = CancelBooking { caller, target: CancelTarget::LiveBookingFor(event) };
    store.cancel(cancel, None).await.unwrap().promoted
}

async fn read<S: Store>(store: &S, booking: &Booking) -> Booking {
    store.booking(booking.id).await.unwrap().unwrap().0.booking
}

/// Until a moment after `booking`'s deadline, by this machine's clock (the store's, here).
async fn past_deadline(booking: &Booking) {
    let deadline = booking.offer_expires_at.expect("an offer has a deadline");
    let wait = (deadline - Utc::now()).to_std().unwrap_or_default() + Duration::from_millis(200);
    tokio::time::sleep(wait).await;
}

/// Limit 1: A holds it, B and C wait. A cancels: B is offered the seat, held for it (nothing
/// free, one seat on offer, B may not book again, C may not answer it); B accepts before the
/// deadline and holds it; C is first in line.
pub async fn a_freed_seat_is_offered_to_the_head_and_held_until_accepted<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (event, buyers) = booked_in_turn(&store, 1, 3).await;
    let [a, b, c] = buyers[..] else { unreachable!() };

    let before = Utc::now();
    let promoted = cancel(&store, a, event).await;
    let [offered] = &promoted[..] else { panic!("one booking served: {promoted:?}") };
    assert_eq!((offered.user, offered.status), (b, BookingStatus::Offered));
    let deadline = offered.offer_expires_at.expect("an offer has a deadline");
    let window = chrono::Duration::seconds(i64::from(OfferWindow::MIN));
    assert!(
        deadline > before + window - chrono::Duration::seconds(2),
        "about the window from now: {deadline}"
    );
    assert!(deadline <= Utc::now() + window + chrono::Duration::seconds(2), "{deadline}");
    let status = store.availability(event).await.unwrap();
    assert_eq!((status.tickets_available, status.seats_on_offer, status.waiting_list_count), (0, 1, 1));
    assert!(matches!(store.book(book(b, event), None).await, Err(BookError::AlreadyBooked)), "I2");
    assert!(matches!(store.accept(answer(c, offered), None).await, Err(AnswerOfferError::NotFound(_))));
    assert_invariants(&store, event).await;

    let accepted = store.accept(answer(b, offered), None).await.unwrap();
    assert_eq!((accepted.id, accepted.status), (offered.id, BookingStatus::Confirmed));
    assert_eq!(read(&store, offered).await.status, BookingStatus::Confirmed);
    let again = store.accept(answer(b, offered), None).await;
    assert!(matches!(again, Err(AnswerOfferError::NotOffered(_))), "{again:?}");
    let status = store.availability(event).await.unwrap();
    assert_eq!((status.tickets_available, status.seats_on_offer, status.waiting_list_count), (0, 0, 1));
    let view = store.booking(store_booking_of(&store, event, c).await.id).await.unwrap().unwrap().0;
    assert_eq!(view.position.map(std::num::NonZeroU64::get), Some(1), "C is first in line");
    assert_invariants(&store, event).await;
}

/// The live booking `user` holds for `event`.
async fn store_booking_of<S: Store>(store: &S, event: EventId, user: UserId) -> Booking {
    crate::fixtures::bookings(store, event)
        .await
        .into_iter()
        .map(|a| a.booking.booking)
        .find(|b| b.user == user && b.status.is_live())
        .expect("a live booking")
}

/// A declined offer passes the seat on in the decline's own change: C is offered it there; a
/// second answer is refused; an offered booking that is cancelled frees its seat like a
/// confirmed one.
pub async fn a_declined_offer_passes_the_seats_on_at_once<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (event, buyers) = booked_in_turn(&store, 1, 3).await;
    let [a, b, c] = buyers[..] else { unreachable!() };
    let offered = cancel(&store, a, event).await.remove(0);

    let declined = store.decline(answer(b, &offered), None).await.unwrap();
    assert_eq!(declined.declined.status, BookingStatus::Declined);
    let next: Vec<(UserId, BookingStatus)> = declined.promoted.iter().map(|p| (p.user, p.status)).collect();
    assert_eq!(next, [(c, BookingStatus::Offered)]);
    assert!(matches!(store.decline(answer(b, &offered), None).await, Err(AnswerOfferError::NotOffered(_))));
    assert_invariants(&store, event).await;

    let freed = cancel(&store, c, event).await;
    assert!(freed.is_empty());
    let status = store.availability(event).await.unwrap();
    assert_eq!((status.tickets_available, status.seats_on_offer), (1, 0), "the offered seat is free again");
    assert_invariants(&store, event).await;
}

/// A group at the head is offered only when its whole quantity is free, and then for all of it.
pub async fn a_group_is_offered_only_when_its_whole_quantity_is_free<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = offering_event(&store, organizer, 2).await;
    let [a, b, g] = users(&store, "buyer", 3).await[..] else { unreachable!() };
    store.book(book(a, event), None).await.unwrap();
    store.book(book(b, event), None).await.unwrap();
    let group = BookTicket::new(g, event, None).unwrap().with_quantity(Quantity::new(2).unwrap());
    store.book(group, None).await.unwrap();

    assert!(cancel(&store, a, event).await.is_empty(), "one seat free: the group of two waits");
    let promoted = cancel(&store, b, event).await;
    let served: Vec<_> = promoted.iter().map(|p| (p.user, p.status, p.quantity.get())).collect();
    assert_eq!(served, [(g, BookingStatus::Offered, 2)]);
    assert_eq!(store.availability(event).await.unwrap().seats_on_offer, 2);
    assert_invariants(&store, event).await;
}

/// An offer left to lapse: a moment past its deadline every read shows it expired and it can
/// no longer be accepted, before anything has written; the event's next write (a booking here)
/// expires it first and offers the seat to the next in line; the notices say so in that order.
pub async fn a_lapsed_offer_reads_expired_and_the_next_write_passes_it_on<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = offering_event(&store, organizer, 1).await;
    let [a, b, c, d] = users(&store, "buyer", 4).await[..] else { unreachable!() };
    for buyer in [a, b, c] {
        store.book(book(buyer, event), None).await.unwrap();
    }
    let offered = cancel(&store, a, event).await.remove(0);

    past_deadline(&offered).await;
    assert_eq!(read(&store, &offered).await.status, BookingStatus::Expired, "no write needed");
    let late = store.accept(answer(b, &offered), None).await;
    assert!(matches!(late, Err(AnswerOfferError::OfferExpired(_))), "{late:?}");
    assert_eq!(store.availability(event).await.unwrap().seats_on_offer, 0);

    let d_waits = store.book(book(d, event), None).await.unwrap();
    assert_eq!(d_waits.booking().status, BookingStatus::Pending, "the seat went to C, ahead of D");
    let c_now = store_booking_of(&store, event, c).await;
    assert_eq!(c_now.status, BookingStatus::Offered);
    let through = settled(&store).await;
    let kinds: Vec<(NoticeKind, UserId)> = store
        .for_recipients(0, through, &[b, c])
        .await
        .unwrap()
        .into_iter()
        .filter(|n| matches!(n.kind, NoticeKind::BookingOfferExpired | NoticeKind::BookingOffered))
        .filter_map(|n| Some((n.kind, n.recipient()?)))
        .collect();
    assert_eq!(
        kinds,
        [
            (NoticeKind::BookingOffered, b),
            (NoticeKind::BookingOfferExpired, b),
            (NoticeKind::BookingOffered, c)
        ]
    );
    assert_invariants(&store, event).await;
}

/// Two offers lapse; two instances' sweepers run at once: between them they expire both, once,
/// and offer the two seats to the next two in line, once each.
pub async fn sweepers_pass_lapsed_offers_on_once_between_them<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let (event, buyers) = booked_in_turn(&store, 2, 6).await;
    let first = cancel(&store, buyers[0], event).await.remove(0);
    cancel(&store, buyers[1], event).await;

    past_deadline(&first).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other = A::another(&store, &keep);
    let (one, two) = tokio::join!(store.sweep_offers(10), other.sweep_offers(10));
    assert_eq!(one.unwrap() + two.unwrap(), 2, "each lapsed offer expired once");
    assert_eq!(store.sweep_offers(10).await.unwrap(), 0, "nothing left to expire");
    let offered: Vec<UserId> = crate::fixtures::bookings(&store, event)
        .await
        .into_iter()
        .map(|a| a.booking.booking)
        .filter(|b| b.status == BookingStatus::Offered)
        .map(|b| b.user)
        .collect();
    assert_eq!(offered, [buyers[4], buyers[5]], "the next two in line, once each");
    assert_invariants(&store, event).await;
}

/// An event that changes to offering: its line's next served bookings are offered; a raise
/// serves several at once, all with one deadline.
pub async fn a_raise_offers_several_at_once_with_one_deadline<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let new = new_event(organizer, 1, &days_from_now(365), "Later offers");
    let event = store.create_event(new, None).await.unwrap().id;
    let buyers = users(&store, "buyer", 4).await;
    for &buyer in &buyers {
        store.book(book(buyer, event), None).await.unwrap();
    }
    let window = OfferWindow::new(60).unwrap();
    let changes = EventChanges {
        ticket_limit: domain::TicketLimit::new(4).ok(),
        promotion: Some(Promotion::Offer(window)),
        ..EventChanges::default()
    };
    let changed = store.change_event(ChangeEvent { caller: organizer, event, changes }, None).await.unwrap();
    assert_eq!(changed.event.event.seating.promotion, Promotion::Offer(window));
    let deadlines: Vec<_> = changed.promoted.iter().map(|b| (b.status, b.offer_expires_at)).collect();
    assert_eq!(deadlines.len(), 3);
    assert!(deadlines.iter().all(|&(status, at)| status == BookingStatus::Offered && at == deadlines[0].1));
    assert_eq!(changed.event.seats_on_offer, 3);
    assert_invariants(&store, event).await;
}

/// A decline held between its decision and its write while the holder of the other seat
/// cancels on another instance: each freed seat goes to the next in line, once.
pub async fn a_decline_held_between_decision_and_write_keeps_a_cancel_out<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let (event, buyers) = booked_in_turn(&store, 2, 5).await;
    let offered = cancel(&store, buyers[0], event).await.remove(0);
    let gate = A::gate(&store, &keep);

    gate.close();
    let decline = tokio::spawn({
        let store = store.clone();
        let cmd = answer(buyers[2], &offered);
        async move { store.decline(cmd, None).await }
    });
    crate::guard::parked(&gate, 1).await;
    let cancelled = tokio::spawn({
        let (store, holder) = (A::another(&store, &keep), buyers[1]);
        async move { cancel(&store, holder, event).await }
    });
    crate::guard::second_comes_then_open(&gate, 2).await;
    let declined = decline.await.unwrap().unwrap();
    let promoted = cancelled.await.unwrap();

    let served: Vec<_> = declined.promoted.iter().chain(&promoted).map(|b| b.user).collect();
    assert_eq!(served, [buyers[3], buyers[4]], "each seat freed went to the next in line, once");
    assert_invariants(&store, event).await;
}

/// An accept and a decline of one offer at once, the decline held between its decision and its
/// write: exactly one of them succeeds, and the seat is confirmed or passed on accordingly.
pub async fn an_accept_and_a_decline_at_once_never_both_succeed<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let (event, buyers) = booked_in_turn(&store, 1, 3).await;
    let [a, b, c] = buyers[..] else { unreachable!() };
    let offered = cancel(&store, a, event).await.remove(0);
    let gate = A::gate(&store, &keep);

    gate.close();
    let decline = tokio::spawn({
        let (store, cmd) = (store.clone(), answer(b, &offered));
        async move { store.decline(cmd, None).await }
    });
    crate::guard::parked(&gate, 1).await;
    let accept = tokio::spawn({
        let (store, cmd) = (A::another(&store, &keep), answer(b, &offered));
        async move { store.accept(cmd, None).await }
    });
    // The accept either finishes (it decides under no guard) or waits for a row the decline
    // holds (the booking's, or the event's it bumps for history); give it the time to do
    // either, then let the decline write.
    for _ in 0..100 {
        if accept.is_finished() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    gate.open();
    let (declined, accepted) = (decline.await.unwrap(), accept.await.unwrap());

    assert!(declined.is_ok() != accepted.is_ok(), "exactly one wins: {declined:?} / {accepted:?}");
    let b_now = read(&store, &offered).await.status;
    let c_now = store_booking_of(&store, event, c).await.status;
    if accepted.is_ok() {
        assert_eq!((b_now, c_now), (BookingStatus::Confirmed, BookingStatus::Pending));
    } else {
        assert_eq!((b_now, c_now), (BookingStatus::Declined, BookingStatus::Offered));
    }
    assert_invariants(&store, event).await;
}

/// A holder whose offer lapsed, before anything has expired it, books again while another seat
/// is free: the booking is not refused as a second live one (the lapsed offer still counts as
/// live where it is stored); the offer is expired first and the new booking made.
pub async fn a_holder_whose_offer_lapsed_may_book_again<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (event, buyers) = booked_in_turn(&store, 2, 3).await;
    let [a, x, b] = buyers[..] else { unreachable!() };
    let offered = cancel(&store, a, event).await.remove(0);
    assert!(cancel(&store, x, event).await.is_empty(), "nobody else waits: X's seat is free");

    past_deadline(&offered).await;
    let again = store.book(book(b, event), None).await.unwrap();
    assert_eq!(again.booking().status, BookingStatus::Confirmed, "B books again, and gets a seat");
    assert_eq!(read(&store, &offered).await.status, BookingStatus::Expired);
    assert_invariants(&store, event).await;
}

/// An event that offers seats and whose day has begun makes no offer: its line is served by
/// confirming, as an instant event's is, and no seat is left free while someone waits.
pub async fn an_event_that_has_started_confirms_instead_of_offering<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = offering_event_on(&store, organizer, 1, &days_from_now(-1)).await;
    let [a, b] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    store.book(book(a, event), None).await.unwrap();
    store.book(book(b, event), None).await.unwrap();

    let promoted = cancel(&store, a, event).await;
    let served: Vec<_> = promoted.iter().map(|p| (p.user, p.status, p.offer_expires_at)).collect();
    assert_eq!(served, [(b, BookingStatus::Confirmed, None)]);
    assert_invariants(&store, event).await;
}

/// An event moved to today: no open offer outlasts the start of its day, so B's ends at once
/// (it reads expired), and the next write passes the seat on — by confirming, as the event's day
/// has begun.
pub async fn moving_the_event_to_today_ends_its_open_offers<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = offering_event(&store, organizer, 1).await;
    let [a, b, c] = users(&store, "buyer", 3).await[..] else { unreachable!() };
    for buyer in [a, b, c] {
        store.book(book(buyer, event), None).await.unwrap();
    }
    let offered = cancel(&store, a, event).await.remove(0);

    let today = EventChanges {
        date: Some(domain::EventDate::parse(&days_from_now(0)).unwrap()),
        ..EventChanges::default()
    };
    store.change_event(ChangeEvent { caller: organizer, event, changes: today }, None).await.unwrap();
    let capped = read(&store, &offered).await;
    assert_eq!(capped.status, BookingStatus::Expired, "{capped:?}");
    assert!(capped.offer_expires_at.is_some_and(|at| at <= Utc::now()));
    store.sweep_offers(10).await.unwrap();
    assert_eq!(store_booking_of(&store, event, c).await.status, BookingStatus::Confirmed);
    assert_invariants(&store, event).await;
}
