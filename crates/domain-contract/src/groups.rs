//! Bookings of several seats, and the line that serves them: all or nothing, the event's most
//! seats per booking, first come first served by default, and an overtake limit that lets a
//! later booking that fits pass one that does not, a bounded number of times.

use domain::ports::{Sales as _, Store};
use domain::{
    BookError, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus, CancelBooking, CancelTarget,
    ChangeEvent, ChangeQuantity, ChangeQuantityError, EventId, MaxPerBooking, OvertakeLimit, Quantity,
    QuantityChange, Seating, UserId,
};

use crate::Adapter;
use crate::fixtures::{bookings, limit, new_event, user, users};
use crate::invariants::assert_invariants;

fn seats(n: i64) -> Quantity {
    Quantity::new(n).unwrap()
}

fn group(user: UserId, event: EventId, n: i64) -> BookTicket {
    BookTicket::new(user, event, None).unwrap().with_quantity(seats(n))
}

/// A new event of `limit` seats, at most `max` a booking, overtake limit `k`.
async fn seated_event<S: Store>(store: &S, organizer: UserId, limit: i64, max: i64, k: i64) -> EventId {
    let seating = Seating {
        max_per_booking: MaxPerBooking::new(max).unwrap(),
        overtake_limit: OvertakeLimit::new(k).unwrap(),
        promotion: domain::Promotion::Instant,
    };
    let new = new_event(organizer, limit, "2027-05-20", "Concert").with_seating(seating);
    store.create_event(new, None).await.unwrap().id
}

fn place(outcome: &BookingOutcome) -> Option<(u64, u64)> {
    match outcome {
        BookingOutcome::Confirmed(_) => None,
        BookingOutcome::Waitlisted { position, seats_ahead, .. } => Some((position.get(), *seats_ahead)),
    }
}

async fn cancel<S: Store>(store: &S, caller: UserId, event: EventId) -> Vec<UserId> {
    let cancel = CancelBooking { caller, target: CancelTarget::LiveBookingFor(event) };
    store.cancel(cancel, None).await.unwrap().promoted.iter().map(|b| b.user).collect()
}

/// The place in line of `user`'s live booking, as the store reads it.
async fn place_of<S: Store>(store: &S, event: EventId, user: UserId) -> Option<(u64, u64)> {
    let all = bookings(store, event).await;
    let view = &all
        .iter()
        .find(|a| a.booking.booking.user == user && a.booking.booking.status != BookingStatus::Cancelled)?
        .booking;
    Some((view.position?.get(), view.seats_ahead?))
}

async fn free<S: Store>(store: &S, event: EventId) -> (u32, u64) {
    let availability = store.availability(event).await.unwrap();
    (availability.tickets_available, availability.waiting_list_count)
}

/// Limit 5 with 3 taken: a group of 3 waits whole and 2 seats stay free; a newcomer of 2 that
/// would fit waits behind it (never past a line); a group that fits an empty line takes its
/// seats at once.
pub async fn a_group_is_confirmed_whole_or_waits_whole<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 5, 10, 0).await;
    let [a, b, c] = users(&store, "buyer", 3).await[..] else { unreachable!() };

    let three = store.book(group(a, event, 3), None).await.unwrap();
    assert!(matches!(&three, BookingOutcome::Confirmed(booking) if booking.quantity == seats(3)));
    assert_eq!(free(&store, event).await, (2, 0));

    let waits = store.book(group(b, event, 3), None).await.unwrap();
    assert_eq!(
        (waits.booking().status, place(&waits)),
        (BookingStatus::Pending, Some((1, 0))),
        "all or nothing"
    );
    assert_eq!(free(&store, event).await, (2, 3), "two free, three seats waited for");

    let behind = store.book(group(c, event, 2), None).await.unwrap();
    assert_eq!(place(&behind), Some((2, 3)), "two would fit, but the line comes first");
    assert_eq!(
        place_of(&store, event, c).await,
        Some((2, 3)),
        "read back with its place and the seats ahead"
    );
    assert_eq!(free(&store, event).await, (2, 5));
    assert_invariants(&store, event).await;
}

/// More seats than the event allows one booking, or than it has at all, are refused, and
/// nothing is written.
pub async fn quantities_beyond_the_events_maximum_or_limit_are_refused<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 5, 10, 0).await;
    let narrow = seated_event(&store, organizer, 5, 3, 0).await;
    let buyer = user(&store, "buyer").await;

    let over_max = store.book(group(buyer, event, 11), None).await;
    let over_limit = store.book(group(buyer, event, 6), None).await;
    let over_narrow = store.book(group(buyer, narrow, 4), None).await;

    assert!(matches!(over_max, Err(BookError::QuantityOverMax { max: 10 })), "{over_max:?}");
    assert!(matches!(over_limit, Err(BookError::QuantityOverLimit { limit: 5 })), "{over_limit:?}");
    assert!(matches!(over_narrow, Err(BookError::QuantityOverMax { max: 3 })), "{over_narrow:?}");
    assert!(bookings(&store, event).await.is_empty() && bookings(&store, narrow).await.is_empty());
    assert_eq!(free(&store, event).await, (5, 0));
    let allowed = store.book(group(buyer, event, 5), None).await.unwrap();
    assert!(matches!(allowed, BookingOutcome::Confirmed(_)), "the whole event in one booking");
}

/// The scenario with K = 0: four singles fill four seats, G(3) and D(1) wait; one
/// cancel serves nobody (D fits but may not pass G); a newcomer E(1) waits behind D; two more
/// cancels, and the third seat freed confirms G in that cancel, D first in line after it.
pub async fn first_come_first_served_holds_the_seats_for_the_head<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 4, 10, 0).await;
    let singles = users(&store, "single", 4).await;
    let [g, d, e] = users(&store, "buyer", 3).await[..] else { unreachable!() };
    for &single in &singles {
        store.book(group(single, event, 1), None).await.unwrap();
    }
    store.book(group(g, event, 3), None).await.unwrap();
    store.book(group(d, event, 1), None).await.unwrap();

    assert_eq!(cancel(&store, singles[0], event).await, [], "D fits, but G is first");
    assert_eq!(free(&store, event).await, (1, 4));
    let newcomer = store.book(group(e, event, 1), None).await.unwrap();
    assert_eq!(place(&newcomer), Some((3, 4)), "E waits behind D");
    assert_eq!(cancel(&store, singles[1], event).await, []);
    assert_eq!(cancel(&store, singles[2], event).await, [g], "G is served in that cancel");

    assert_eq!(free(&store, event).await, (0, 2));
    assert_eq!(place_of(&store, event, d).await, Some((1, 0)), "D is first in line");
    assert_eq!(place_of(&store, event, e).await, Some((2, 1)));
    assert_invariants(&store, event).await;
}

/// The scenario with K = 1: the first cancel serves D past G (G passed once); a newcomer
/// E(1) waits behind G; the second and third cancels serve nobody, not even E — the seats are
/// held for G; the fourth confirms G, and E is first in line.
pub async fn an_overtake_limit_lets_later_bookings_pass_that_often_and_no_more<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 4, 10, 1).await;
    let singles = users(&store, "single", 4).await;
    let [g, d, e] = users(&store, "buyer", 3).await[..] else { unreachable!() };
    for &single in &singles {
        store.book(group(single, event, 1), None).await.unwrap();
    }
    store.book(group(g, event, 3), None).await.unwrap();
    store.book(group(d, event, 1), None).await.unwrap();

    assert_eq!(cancel(&store, singles[0], event).await, [d], "D passes G once");
    let newcomer = store.book(group(e, event, 1), None).await.unwrap();
    assert_eq!(place(&newcomer), Some((2, 3)), "E waits behind G");
    assert_eq!(cancel(&store, singles[1], event).await, [], "the seat is held for G");
    assert_eq!(cancel(&store, singles[2], event).await, [], "two seats, held for G");
    assert_eq!(free(&store, event).await, (2, 4));
    assert_eq!(cancel(&store, singles[3], event).await, [g]);

    assert_eq!(place_of(&store, event, e).await, Some((1, 0)), "E is first in line");
    assert_eq!(free(&store, event).await, (0, 1));
    assert_invariants(&store, event).await;
}

fn change(caller: UserId, booking: BookingId, n: i64) -> ChangeQuantity {
    ChangeQuantity { caller, booking, quantity: seats(n) }
}

/// A waiting group that lowers its quantity keeps its booking and place, and is served at once
/// when it now fits; one that raises it is replaced by a new booking at the back of the line.
pub async fn a_waiting_booking_lowers_in_place_and_raises_to_the_back<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 3, 10, 0).await;
    let [a, b, g, h] = users(&store, "buyer", 4).await[..] else { unreachable!() };
    store.book(group(a, event, 1), None).await.unwrap();
    store.book(group(b, event, 1), None).await.unwrap();
    let g_booking = store.book(group(g, event, 3), None).await.unwrap().booking().id;
    let h_booking = store.book(group(h, event, 1), None).await.unwrap().booking().id;

    let lowered: QuantityChange = store.change_quantity(change(g, g_booking, 2), None).await.unwrap();
    assert_eq!((lowered.booking.booking.id, lowered.booking.booking.quantity), (g_booking, seats(2)));
    assert_eq!(
        (lowered.booking.position.map(|p| p.get()), lowered.replaced.as_ref()),
        (Some(1), None),
        "in place"
    );
    assert!(lowered.promoted.is_empty(), "two do not fit one free seat");

    let raised = store.change_quantity(change(h, h_booking, 2), None).await.unwrap();
    let replaced: &Booking = raised.replaced.as_ref().unwrap();
    assert_eq!((replaced.id, replaced.status), (h_booking, BookingStatus::Cancelled));
    assert!(raised.booking.booking.id > h_booking, "a new booking, at the back");
    assert_eq!((raised.booking.position.map(|p| p.get()), raised.booking.seats_ahead), (Some(2), Some(2)));

    let fits = store.change_quantity(change(g, g_booking, 1), None).await.unwrap();
    assert_eq!(fits.booking.booking.status, BookingStatus::Confirmed, "now it fits: served at once");
    assert_eq!(fits.promoted.iter().map(|b| b.id).collect::<Vec<_>>(), [g_booking]);
    assert_eq!(free(&store, event).await, (0, 2));
    assert_invariants(&store, event).await;
}

/// Only a waiting booking's holder changes its quantity, within the event's maximum and limit;
/// a refusal changes nothing.
pub async fn quantity_changes_are_refused_and_change_nothing<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 4, 10, 0).await;
    let [a, b] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    let seated = store.book(group(a, event, 3), None).await.unwrap().booking().id;
    let waiting = store.book(group(b, event, 2), None).await.unwrap().booking().id;
    let before = bookings(&store, event).await;

    let stranger = store.change_quantity(change(a, waiting, 1), None).await;
    let confirmed = store.change_quantity(change(a, seated, 1), None).await;
    let over_max = store.change_quantity(change(b, waiting, 11), None).await;
    let unknown = store.change_quantity(change(b, BookingId::new(999_999).unwrap(), 1), None).await;

    assert!(matches!(stranger, Err(ChangeQuantityError::NotFound(id)) if id == waiting), "{stranger:?}");
    assert!(matches!(confirmed, Err(ChangeQuantityError::NotWaiting(id)) if id == seated), "{confirmed:?}");
    assert!(matches!(over_max, Err(ChangeQuantityError::OverMax { max: 10 })), "{over_max:?}");
    assert!(matches!(unknown, Err(ChangeQuantityError::NotFound(_))), "{unknown:?}");
    let change_limit = ChangeEvent { caller: organizer, event, changes: limit(3) };
    store.change_event(change_limit, None).await.unwrap();
    let over_limit = store.change_quantity(change(b, waiting, 4), None).await;
    assert!(matches!(over_limit, Err(ChangeQuantityError::OverLimit { limit: 3 })), "{over_limit:?}");
    let same = store.change_quantity(change(b, waiting, 2), None).await.unwrap();
    assert_eq!((same.booking.booking.id, same.replaced, same.promoted), (waiting, None, vec![]), "unchanged");

    let after = bookings(&store, event).await;
    let rows = |all: &[domain::Attendee]| -> Vec<_> {
        all.iter()
            .map(|a| (a.booking.booking.id, a.booking.booking.status, a.booking.booking.quantity))
            .collect()
    };
    assert_eq!(rows(&after), rows(&before));
    assert_invariants(&store, event).await;
}

/// A limit lowered below a waiting group's quantity is allowed (the group waits for more), one
/// below the seats confirmed is not; raised again, the group is served.
pub async fn a_limit_below_a_waiting_group_is_allowed_and_it_waits_for_more<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = seated_event(&store, organizer, 4, 10, 0).await;
    let [a, g] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    store.book(group(a, event, 2), None).await.unwrap();
    store.book(group(g, event, 3), None).await.unwrap();

    let lowered = store.change_event(ChangeEvent { caller: organizer, event, changes: limit(2) }, None).await;
    assert!(lowered.unwrap().promoted.is_empty());
    let below = store.change_event(ChangeEvent { caller: organizer, event, changes: limit(1) }, None).await;
    assert!(matches!(below, Err(domain::ChangeEventError::LimitBelowTaken { taken: 2, .. })), "{below:?}");
    assert_eq!(free(&store, event).await, (0, 3), "G waits for more than the event has");

    let raised = store.change_event(ChangeEvent { caller: organizer, event, changes: limit(5) }, None).await;
    assert_eq!(raised.unwrap().promoted.iter().map(|b| b.user).collect::<Vec<_>>(), [g]);
    assert_invariants(&store, event).await;
}

/// Groups of one to four seats booking, cancelling and lowering at once on both overtake
/// limits: every invariant holds afterwards, the line's order replayed from the notices.
pub async fn concurrent_groups_and_cancels_keep_every_invariant<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    for k in [0, 2] {
        let event = seated_event(&store, organizer, 10, 10, k).await;
        let buyers = users(&store, &format!("k{k}buyer"), 24).await;
        let mut tasks = Vec::new();
        for (i, &buyer) in buyers.iter().enumerate() {
            let store = store.clone();
            let quantity = i64::try_from(i % 4).unwrap() + 1;
            tasks.push(tokio::spawn(async move {
                let booked = store.book(group(buyer, event, quantity), None).await.unwrap();
                if i % 3 == 0 {
                    tokio::task::yield_now().await;
                    let cancel = CancelBooking { caller: buyer, target: CancelTarget::LiveBookingFor(event) };
                    store.cancel(cancel, None).await.unwrap();
                } else if i % 3 == 1 && booked.booking().status == BookingStatus::Pending && quantity > 1 {
                    let lower =
                        ChangeQuantity { caller: buyer, booking: booked.booking().id, quantity: seats(1) };
                    // It may have been served meanwhile: then it is no longer waiting.
                    match store.change_quantity(lower, None).await {
                        Ok(_) | Err(ChangeQuantityError::NotWaiting(_)) => {}
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_invariants(&store, event).await;
    }
}
