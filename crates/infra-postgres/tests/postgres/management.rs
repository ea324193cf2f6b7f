//! Changing and calling off events: guarded writes that compose with books and cancels.

use domain::ports::{Catalog, Sales};
use domain::{
    BookError, BookTicket, BookingOutcome, BookingStatus, CancelEvent, CancelEventError, ChangeEvent,
    ChangeEventError, EventChanges, EventDate, EventId, EventStatus, NonEmptyText, Price, UserId,
};

use crate::helpers::Fixture;

/// An event of `seats` seats, sold out, with `waiting` people in line (ids in line order).
async fn sold_out_with_line(fx: &Fixture, seats: i64, waiting: i32) -> (UserId, EventId, Vec<UserId>) {
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, seats).await;
    let buyers = fx.users(i32::try_from(seats).unwrap() + waiting).await;
    let mut line = Vec::new();
    for &buyer in &buyers {
        if let BookingOutcome::Waitlisted { booking, .. } = fx.book(event, buyer).await {
            line.push(booking.user);
        }
    }
    (organizer, event, line)
}

#[tokio::test]
async fn raising_the_limit_confirms_the_heads_of_the_line_in_order() {
    let fx = Fixture::new().await;
    let (organizer, event, line) = sold_out_with_line(&fx, 2, 5).await;

    let change = fx.set_limit(organizer, event, 5).await.unwrap();

    let promoted: Vec<UserId> = change.promoted.iter().map(|b| b.user).collect();
    assert_eq!(promoted, line[..3]);
    assert!(change.promoted.iter().all(|b| b.status == BookingStatus::Confirmed));
    assert_eq!((change.event.tickets_available, change.event.waiting_list_count), (0, 2));
    assert_eq!(change.event.event.ticket_limit.get(), 5);
    fx.assert_invariants().await;
}

#[tokio::test]
async fn a_raise_beyond_the_line_promotes_everyone_and_leaves_seats_free() {
    let fx = Fixture::new().await;
    let (organizer, event, _) = sold_out_with_line(&fx, 1, 2).await;

    let change = fx.set_limit(organizer, event, 10).await.unwrap();

    assert_eq!(change.promoted.len(), 2);
    assert_eq!((change.event.tickets_available, change.event.waiting_list_count), (7, 0));
    fx.assert_invariants().await;
}

#[tokio::test]
async fn lowering_the_limit_below_the_seats_taken_is_refused_and_changes_nothing() {
    let fx = Fixture::new().await;
    let (organizer, event, _) = sold_out_with_line(&fx, 3, 1).await;
    let rename = NonEmptyText::parse("Renamed").unwrap();
    let changes = EventChanges {
        name: Some(rename),
        ticket_limit: Some(domain::TicketLimit::new(2).unwrap()),
        ..EventChanges::default()
    };

    let refused = fx.store.change_event(ChangeEvent { caller: organizer, event, changes }).await;

    assert!(matches!(refused, Err(ChangeEventError::LimitBelowTaken { taken: 3, .. })), "{refused:?}");
    let after = fx.store.availability(event).await.unwrap();
    assert_eq!((after.event.name.as_str(), after.event.ticket_limit.get()), ("Concert", 3));
    assert!(fx.set_limit(organizer, event, 3).await.is_ok(), "down to exactly the seats taken is fine");
}

#[tokio::test]
async fn every_field_can_change_and_the_rest_stay() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 4).await;
    let changes = EventChanges {
        description: Some(NonEmptyText::parse("Now acoustic").unwrap()),
        date: Some(EventDate::parse("2027-02-03").unwrap()),
        location: Some(NonEmptyText::parse("Galle").unwrap()),
        price: Some(Price::parse("5.50").unwrap()),
        ..EventChanges::default()
    };

    let change = fx.store.change_event(ChangeEvent { caller: organizer, event, changes }).await.unwrap();

    let changed = change.event.event;
    assert_eq!(changed.name.as_str(), "Concert");
    assert_eq!(changed.description.as_str(), "Now acoustic");
    assert_eq!(changed.date.to_string(), "2027-02-03");
    assert_eq!(changed.location.as_str(), "Galle");
    assert_eq!(changed.price.cents(), 550);
    assert_eq!(changed.ticket_limit.get(), 4);
    assert!(change.promoted.is_empty());
}

#[tokio::test]
async fn only_the_organizer_may_change_or_cancel_an_event_that_exists() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let stranger = fx.user("stranger").await;
    let event = fx.event(organizer, 2).await;
    let missing = EventId::new(987_654).unwrap();

    assert!(matches!(fx.set_limit(stranger, event, 5).await, Err(ChangeEventError::NotOrganizer(_))));
    assert!(matches!(fx.set_limit(organizer, missing, 5).await, Err(ChangeEventError::EventNotFound(_))));
    let by_stranger = fx.store.cancel_event(CancelEvent { caller: stranger, event }).await;
    let unknown = fx.store.cancel_event(CancelEvent { caller: organizer, event: missing }).await;
    assert!(matches!(by_stranger, Err(CancelEventError::NotOrganizer(_))));
    assert!(matches!(unknown, Err(CancelEventError::EventNotFound(_))));
    assert_eq!(fx.store.availability(event).await.unwrap().event.status, EventStatus::OnSale);
}

#[tokio::test]
async fn cancelling_an_event_ends_every_live_booking_and_frees_every_seat() {
    let fx = Fixture::new().await;
    let (organizer, event, _) = sold_out_with_line(&fx, 3, 2).await;

    let cancellation = fx.store.cancel_event(CancelEvent { caller: organizer, event }).await.unwrap();

    assert_eq!(cancellation.cancelled_bookings, 5);
    assert_eq!(cancellation.event.event.status, EventStatus::Cancelled);
    assert_eq!((cancellation.event.tickets_available, cancellation.event.waiting_list_count), (3, 0));
    fx.assert_invariants().await;
}

#[tokio::test]
async fn a_cancelled_event_can_be_neither_booked_nor_changed_nor_cancelled_again() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 5).await;
    let buyer = fx.user("buyer").await;
    fx.store.cancel_event(CancelEvent { caller: organizer, event }).await.unwrap();

    // Seats are free, so this is refused by the fast path's own statement, then explained.
    let booked = fx.store.book(BookTicket::new(buyer, event, None).unwrap()).await;
    let changed = fx.set_limit(organizer, event, 6).await;
    let again = fx.store.cancel_event(CancelEvent { caller: organizer, event }).await;

    assert!(matches!(booked, Err(BookError::EventCancelled(e)) if e == event), "{booked:?}");
    assert!(matches!(changed, Err(ChangeEventError::EventCancelled(_))));
    assert!(matches!(again, Err(CancelEventError::AlreadyCancelled(_))));
    fx.assert_invariants().await;
}
