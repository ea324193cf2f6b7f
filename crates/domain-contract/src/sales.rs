//! [`domain::ports::Sales`]: booking, cancelling, changing and calling off, alone and at once.

use std::collections::HashSet;

use domain::ports::{Catalog as _, Sales as _};
use domain::{
    BookError, BookingId, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelEvent,
    CancelEventError, CancelTarget, ChangeEvent, ChangeEventError, EventChanges, EventId, EventStatus,
    UserId,
};

use crate::fixtures::{book, bookings, event, limit, user, users};
use crate::invariants::assert_invariants;
use domain::ports::Store;

use crate::Adapter;

fn position(outcome: &BookingOutcome) -> Option<u64> {
    match outcome {
        BookingOutcome::Confirmed(_) => None,
        BookingOutcome::Waitlisted { position, .. } => Some(position.get()),
    }
}

fn by_booking(caller: UserId, id: BookingId) -> CancelBooking {
    CancelBooking { caller, target: CancelTarget::Booking(id) }
}

fn by_event(caller: UserId, event: EventId) -> CancelBooking {
    CancelBooking { caller, target: CancelTarget::LiveBookingFor(event) }
}

fn statuses(all: &[domain::Attendee]) -> Vec<(UserId, BookingStatus)> {
    all.iter().map(|a| (a.booking.booking.user, a.booking.booking.status)).collect()
}

/// An event with `seats` seats, all taken, and `waiting` in line, booked in order.
async fn full_with_line<S: Store>(store: &S, seats: usize, waiting: usize) -> (UserId, EventId, Vec<UserId>) {
    let organizer = user(store, "organizer").await;
    let event = event(store, organizer, i64::try_from(seats).unwrap()).await;
    let buyers = users(store, "buyer", seats + waiting).await;
    for &buyer in &buyers {
        store.book(book(buyer, event), None).await.unwrap();
    }
    (organizer, event, buyers)
}

pub async fn a_free_seat_is_confirmed_and_a_full_event_puts_bookers_in_line<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let [a, b, c] = users(&store, "buyer", 3).await[..] else { unreachable!() };

    let first = store.book(book(a, event), None).await.unwrap();
    let second = store.book(book(b, event), None).await.unwrap();
    let third = store.book(book(c, event), None).await.unwrap();

    assert!(
        matches!(&first, BookingOutcome::Confirmed(b) if b.user == a && b.status == BookingStatus::Confirmed)
    );
    assert_eq!((position(&second), position(&third)), (Some(1), Some(2)));
    assert_eq!(second.booking().status, BookingStatus::Pending);
    assert!(second.booking().id < third.booking().id, "the line is in booking-id order");
    let availability = store.availability(event).await.unwrap();
    assert_eq!((availability.tickets_available, availability.waiting_list_count), (0, 2));
    assert_invariants(&store, event).await;
}

pub async fn booking_refuses_an_unknown_event_or_user_and_a_cancelled_event<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 5).await;
    let nobody = UserId::new(999_999).unwrap();
    let nowhere = EventId::new(999_999).unwrap();

    let sold_out = crate::fixtures::event(&store, organizer, 1).await;
    store.book(book(organizer, sold_out), None).await.unwrap();

    let no_event = store.book(book(organizer, nowhere), None).await;
    let no_user = store.book(book(nobody, event), None).await;
    let no_user_in_line = store.book(book(nobody, sold_out), None).await;
    store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();
    let called_off = store.book(book(organizer, event), None).await;

    assert!(matches!(no_event, Err(BookError::EventNotFound(id)) if id == nowhere), "{no_event:?}");
    assert!(matches!(no_user, Err(BookError::UserNotFound(id)) if id == nobody), "{no_user:?}");
    assert!(
        matches!(no_user_in_line, Err(BookError::UserNotFound(id)) if id == nobody),
        "{no_user_in_line:?}"
    );
    assert_eq!(bookings(&store, sold_out).await.len(), 1);
    assert!(matches!(called_off, Err(BookError::EventCancelled(id)) if id == event), "{called_off:?}");
    assert!(bookings(&store, event).await.is_empty());
}

pub async fn a_second_live_booking_is_refused_and_writes_nothing<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let [a, b] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    store.book(book(a, event), None).await.unwrap();
    store.book(book(b, event), None).await.unwrap();

    let again_seated = store.book(book(a, event), None).await;
    let again_waiting = store.book(book(b, event), None).await;

    assert!(matches!(again_seated, Err(BookError::AlreadyBooked)), "{again_seated:?}");
    assert!(matches!(again_waiting, Err(BookError::AlreadyWaitlisted)), "{again_waiting:?}");
    assert_eq!(bookings(&store, event).await.len(), 2);
    // Once cancelled, the user may book again.
    store.cancel(by_event(b, event), None).await.unwrap();
    assert!(store.book(book(b, event), None).await.is_ok());
    assert_invariants(&store, event).await;
}

pub async fn concurrent_bookers_never_get_more_seats_than_the_limit<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 7).await;
    let buyers = users(&store, "buyer", 40).await;

    let tasks: Vec<_> = buyers
        .iter()
        .map(|&buyer| {
            let store = store.clone();
            tokio::spawn(async move { store.book(book(buyer, event), None).await })
        })
        .collect();
    let mut confirmed = 0;
    for task in tasks {
        if matches!(task.await.unwrap().unwrap(), BookingOutcome::Confirmed(_)) {
            confirmed += 1;
        }
    }

    assert_eq!(confirmed, 7, "exactly the limit confirmed");
    let availability = store.availability(event).await.unwrap();
    assert_eq!((availability.tickets_available, availability.waiting_list_count), (0, 33));
    assert_invariants(&store, event).await;
}

pub async fn concurrent_bookings_of_one_user_make_one_live_booking<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 3).await;
    let buyer = user(&store, "buyer").await;

    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.book(book(buyer, event), None).await })
        })
        .collect();
    let mut booked = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => booked += 1,
            Err(BookError::AlreadyBooked | BookError::AlreadyWaitlisted) => {}
            Err(e) => panic!("{e:?}"),
        }
    }

    assert_eq!(booked, 1);
    assert_eq!(bookings(&store, event).await.len(), 1);
    assert_invariants(&store, event).await;
}

/// The race an event's guard exists for: a cancel finds the line empty and frees the last
/// seat while buyers, finding the event full, join the line. Whoever comes second must see the
/// first: the seat is taken by a buyer, never left free beside a line (I3).
pub async fn bookers_racing_the_cancel_of_the_last_seat_never_leave_it_free<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let holders = users(&store, "holder", 30).await;
    let buyers = users(&store, "buyer", 3).await;
    let mut events = Vec::new();
    for &holder in &holders {
        let event = event(&store, organizer, 1).await;
        store.book(book(holder, event), None).await.unwrap();
        events.push((event, holder));
    }

    let mut tasks = Vec::new();
    for &(event, holder) in &events {
        let canceller = store.clone();
        tasks.push(tokio::spawn(async move {
            canceller.cancel(by_event(holder, event), None).await.map(drop).unwrap()
        }));
        for &buyer in &buyers {
            let store = store.clone();
            tasks.push(tokio::spawn(
                async move { store.book(book(buyer, event), None).await.map(drop).unwrap() },
            ));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }

    for (event, _) in events {
        let availability = store.availability(event).await.unwrap();
        assert_eq!(availability.tickets_available, 0, "event {event}: the freed seat went unsold");
        assert_invariants(&store, event).await;
    }
}

pub async fn cancelling_a_seat_promotes_the_head_of_the_line<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, event, buyers) = full_with_line(&store, 2, 3).await;

    let cancellation = store.cancel(by_event(buyers[0], event), None).await.unwrap();

    assert_eq!(cancellation.cancelled.status, BookingStatus::Cancelled);
    assert_eq!(cancellation.cancelled.user, buyers[0]);
    let [promoted] = &cancellation.promoted[..] else { panic!("the head of the line gets the seat") };
    assert_eq!((promoted.user, promoted.status), (buyers[2], BookingStatus::Confirmed));
    let availability = store.availability(event).await.unwrap();
    assert_eq!((availability.tickets_available, availability.waiting_list_count), (0, 2));
    assert_invariants(&store, event).await;
}

pub async fn cancelling_with_nobody_waiting_frees_the_seat<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, event, buyers) = full_with_line(&store, 2, 0).await;

    let cancellation = store.cancel(by_event(buyers[1], event), None).await.unwrap();

    assert_eq!(cancellation.promoted, []);
    assert_eq!(store.availability(event).await.unwrap().tickets_available, 1);
    assert_invariants(&store, event).await;
}

pub async fn cancelling_a_pending_booking_moves_the_line_up<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, event, buyers) = full_with_line(&store, 1, 3).await;

    let cancellation = store.cancel(by_event(buyers[1], event), None).await.unwrap();

    assert_eq!(cancellation.promoted, [], "a place in line holds no seat");
    let line: Vec<_> = bookings(&store, event)
        .await
        .into_iter()
        .filter(|a| a.booking.booking.status == BookingStatus::Pending)
        .map(|a| (a.booking.booking.user, a.booking.position.map(std::num::NonZeroU64::get)))
        .collect();
    assert_eq!(line, vec![(buyers[2], Some(1)), (buyers[3], Some(2))]);
    assert_invariants(&store, event).await;
}

pub async fn cancels_are_refused_for_unknown_foreign_or_cancelled_bookings<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, event, buyers) = full_with_line(&store, 1, 1).await;
    let stranger = user(&store, "stranger").await;
    let seat = bookings(&store, event).await[0].booking.booking.id;
    let unknown = BookingId::new(999_999).unwrap();

    let not_found = store.cancel(by_booking(buyers[0], unknown), None).await;
    let no_live = store.cancel(by_event(stranger, event), None).await;
    let not_allowed = store.cancel(by_booking(stranger, seat), None).await;
    let before = statuses(&bookings(&store, event).await);
    store.cancel(by_booking(buyers[0], seat), None).await.unwrap();
    let twice = store.cancel(by_booking(buyers[0], seat), None).await;

    assert!(matches!(not_found, Err(CancelError::BookingNotFound(id)) if id == unknown), "{not_found:?}");
    assert!(matches!(no_live, Err(CancelError::NoLiveBooking(id)) if id == event), "{no_live:?}");
    assert!(matches!(not_allowed, Err(CancelError::NotAllowed(id)) if id == seat), "{not_allowed:?}");
    assert!(matches!(twice, Err(CancelError::AlreadyCancelled(id)) if id == seat), "{twice:?}");
    assert_eq!(before, vec![(buyers[0], BookingStatus::Confirmed), (buyers[1], BookingStatus::Pending)]);
    assert_invariants(&store, event).await;
}

pub async fn the_organizer_may_cancel_any_booking_of_their_event<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (organizer, event, buyers) = full_with_line(&store, 1, 1).await;
    let seat = bookings(&store, event).await[0].booking.booking.id;

    let cancellation = store.cancel(by_booking(organizer, seat), None).await.unwrap();

    assert_eq!(cancellation.cancelled.user, buyers[0]);
    assert_eq!(cancellation.promoted.iter().map(|b| b.user).collect::<Vec<_>>(), [buyers[1]]);
    assert_invariants(&store, event).await;
}

pub async fn concurrent_cancels_promote_the_line_in_order<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, event, buyers) = full_with_line(&store, 6, 10).await;

    let tasks: Vec<_> = buyers[..6]
        .iter()
        .map(|&buyer| {
            let store = store.clone();
            tokio::spawn(async move { store.cancel(by_event(buyer, event), None).await })
        })
        .collect();
    let mut promoted = HashSet::new();
    for task in tasks {
        let promotions = task.await.unwrap().unwrap().promoted;
        let [promotion] = &promotions[..] else { panic!("someone was waiting: {promotions:?}") };
        assert!(promoted.insert(promotion.user), "{} promoted twice", promotion.user);
    }

    let first_six: HashSet<UserId> = buyers[6..12].iter().copied().collect();
    assert_eq!(promoted, first_six, "the first six in line, nobody past them");
    assert_eq!(store.availability(event).await.unwrap().waiting_list_count, 4);
    assert_invariants(&store, event).await;
}

pub async fn raising_the_limit_promotes_the_heads_of_the_line<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (organizer, event, buyers) = full_with_line(&store, 2, 4).await;

    let change =
        store.change_event(ChangeEvent { caller: organizer, event, changes: limit(5) }, None).await.unwrap();

    let promoted: Vec<UserId> = change.promoted.iter().map(|b| b.user).collect();
    assert_eq!(promoted, buyers[2..5].to_vec(), "the heads, in line order");
    assert!(change.promoted.iter().all(|b| b.status == BookingStatus::Confirmed));
    assert_eq!(change.event.event.ticket_limit.get(), 5);
    assert_eq!((change.event.tickets_available, change.event.waiting_list_count), (0, 1));
    assert_eq!(store.availability(event).await.unwrap(), change.event);
    // Past the whole line: everyone seated, the rest free.
    let past =
        store.change_event(ChangeEvent { caller: organizer, event, changes: limit(9) }, None).await.unwrap();
    assert_eq!(past.promoted.len(), 1);
    assert_eq!(past.event.tickets_available, 3);
    assert_invariants(&store, event).await;
}

pub async fn event_changes_are_refused_and_change_nothing<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (organizer, event, buyers) = full_with_line(&store, 3, 1).await;
    let nowhere = EventId::new(999_999).unwrap();
    let before = store.availability(event).await.unwrap();
    let rename = EventChanges { name: Some(crate::fixtures::text("Renamed")), ..EventChanges::default() };

    let unknown =
        store.change_event(ChangeEvent { caller: organizer, event: nowhere, changes: limit(5) }, None).await;
    let stranger =
        store.change_event(ChangeEvent { caller: buyers[0], event, changes: rename.clone() }, None).await;
    let below = store.change_event(ChangeEvent { caller: organizer, event, changes: limit(2) }, None).await;

    assert!(matches!(unknown, Err(ChangeEventError::EventNotFound(id)) if id == nowhere), "{unknown:?}");
    assert!(matches!(stranger, Err(ChangeEventError::NotOrganizer(id)) if id == event), "{stranger:?}");
    assert!(
        matches!(below, Err(ChangeEventError::LimitBelowTaken { event: id, taken: 3 }) if id == event),
        "{below:?}"
    );
    assert_eq!(store.availability(event).await.unwrap(), before, "nothing changed");
    store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();
    let called_off =
        store.change_event(ChangeEvent { caller: organizer, event, changes: rename }, None).await;
    assert!(matches!(called_off, Err(ChangeEventError::EventCancelled(id)) if id == event), "{called_off:?}");
}

pub async fn every_field_can_change_and_the_rest_stay<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 4).await;
    let before = store.availability(event).await.unwrap().event;
    let changes = EventChanges {
        description: Some(crate::fixtures::text("Now acoustic")),
        date: Some(domain::EventDate::parse("2027-02-03").unwrap()),
        location: Some(crate::fixtures::text("Galle")),
        price: Some(domain::Price::from_cents(550).unwrap()),
        ..EventChanges::default()
    };

    let change = store.change_event(ChangeEvent { caller: organizer, event, changes }, None).await.unwrap();

    let changed = &change.event.event;
    assert_eq!((changed.name.as_str(), changed.description.as_str()), (before.name.as_str(), "Now acoustic"));
    assert_eq!((changed.date.to_string().as_str(), changed.location.as_str()), ("2027-02-03", "Galle"));
    assert_eq!((changed.price.cents(), changed.ticket_limit), (550, before.ticket_limit));
    assert!(change.promoted.is_empty());
    assert_eq!(store.availability(event).await.unwrap(), change.event, "read back as changed");
}

pub async fn raises_and_bookings_at_once_keep_every_invariant<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 5).await;
    let buyers = users(&store, "buyer", 40).await;

    let books: Vec<_> = buyers
        .iter()
        .map(|&buyer| {
            let store = store.clone();
            tokio::spawn(async move { store.book(book(buyer, event), None).await.map(drop) })
        })
        .collect();
    let raises: Vec<_> = (0..6_i64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let changes = limit(5 + 4 * (i + 1));
                store.change_event(ChangeEvent { caller: organizer, event, changes }, None).await.map(drop)
            })
        })
        .collect();
    for task in books {
        task.await.unwrap().unwrap();
    }
    for task in raises {
        match task.await.unwrap() {
            Ok(()) | Err(ChangeEventError::LimitBelowTaken { .. }) => {}
            Err(e) => panic!("{e:?}"),
        }
    }

    assert_invariants(&store, event).await;
}

pub async fn calling_an_event_off_cancels_every_live_booking_and_stops_sales<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (organizer, event, buyers) = full_with_line(&store, 2, 2).await;
    store.cancel(by_event(buyers[3], event), None).await.unwrap();

    let cancellation = store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();

    assert_eq!(cancellation.cancelled_bookings, 3, "the live ones; the one cancelled before is not counted");
    assert_eq!(cancellation.event.event.status, EventStatus::Cancelled);
    assert_eq!((cancellation.event.tickets_available, cancellation.event.waiting_list_count), (2, 0));
    assert!(
        bookings(&store, event).await.iter().all(|a| a.booking.booking.status == BookingStatus::Cancelled)
    );
    let late = store.book(book(buyers[3], event), None).await;
    assert!(matches!(late, Err(BookError::EventCancelled(id)) if id == event), "{late:?}");
    assert_invariants(&store, event).await;
}

pub async fn calling_an_event_off_is_refused_to_strangers_and_twice<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (organizer, event, buyers) = full_with_line(&store, 1, 0).await;
    let nowhere = EventId::new(999_999).unwrap();

    let unknown = store.cancel_event(CancelEvent { caller: organizer, event: nowhere }, None).await;
    let stranger = store.cancel_event(CancelEvent { caller: buyers[0], event }, None).await;
    let still_on = store.availability(event).await.unwrap().event.status;
    store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();
    let twice = store.cancel_event(CancelEvent { caller: organizer, event }, None).await;

    assert!(matches!(unknown, Err(CancelEventError::EventNotFound(id)) if id == nowhere), "{unknown:?}");
    assert!(matches!(stranger, Err(CancelEventError::NotOrganizer(id)) if id == event), "{stranger:?}");
    assert_eq!(still_on, EventStatus::OnSale);
    assert!(matches!(twice, Err(CancelEventError::AlreadyCancelled(id)) if id == event), "{twice:?}");
}
