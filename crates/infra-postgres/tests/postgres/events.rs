use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use domain::ports::Catalog;
use domain::{CreateEventError, EventId, FindEventError, UserId};

use crate::helpers::{Fixture, new_event};

#[tokio::test]
async fn a_created_event_keeps_every_field_exactly() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;

    let event = fx.store.create_event(new_event(organizer, 100)).await.unwrap();

    assert_eq!(event.organizer, organizer);
    assert_eq!(event.name.as_str(), "Concert");
    assert_eq!(event.description.as_str(), "Live music");
    assert_eq!(event.location.as_str(), "Colombo");
    assert_eq!(event.date.to_string(), "2026-12-31");
    assert_eq!(event.ticket_limit.get(), 100);
    assert_eq!(event.price.cents(), 1999);
}

#[tokio::test]
async fn an_event_needs_an_existing_organizer() {
    let fx = Fixture::new().await;
    let ghost = UserId::new(999_999).unwrap();

    let refused = fx.store.create_event(new_event(ghost, 10)).await;

    assert!(matches!(refused, Err(CreateEventError::OrganizerNotFound(id)) if id == ghost), "{refused:?}");
}

#[tokio::test]
async fn a_new_event_has_every_seat_available_and_nobody_waiting() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let id = fx.event(organizer, 3).await;

    let status = fx.store.availability(id).await.unwrap();

    assert_eq!(status.event.id, id);
    assert_eq!((status.tickets_available, status.waiting_list_count), (3, 0));
}

#[tokio::test]
async fn the_status_counts_taken_seats_and_the_waiting_list() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let id = fx.event(organizer, 2).await;
    for buyer in fx.users(5).await {
        fx.book(id, buyer).await;
    }

    let status = fx.store.availability(id).await.unwrap();

    assert_eq!((status.tickets_available, status.waiting_list_count), (0, 3));
}

#[tokio::test]
async fn the_status_of_an_unknown_event_is_not_found() {
    let fx = Fixture::new().await;
    let missing = EventId::new(31_337).unwrap();

    let status = fx.store.availability(missing).await;

    assert!(matches!(status, Err(FindEventError::NotFound(id)) if id == missing), "{status:?}");
}

/// Bookings name their event without a foreign key (the booking statements read the event
/// themselves); that an event with bookings cannot vanish rests on this.
#[tokio::test]
async fn an_event_is_never_deleted_not_even_one_without_bookings() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let booked = fx.event(organizer, 3).await;
    let empty = fx.event(organizer, 3).await;
    fx.book(booked, fx.user("buyer").await).await;
    let mut conn = fx.raw().await;

    for event in [booked, empty] {
        let deleted = diesel::sql_query("DELETE FROM events WHERE id = $1")
            .bind::<BigInt, _>(event.get())
            .execute(&mut conn)
            .await;
        let refused = deleted.expect_err("an event was deleted").to_string();
        assert!(refused.contains("never deleted"), "{refused}");
    }
    let truncated = diesel::sql_query("TRUNCATE events CASCADE").execute(&mut conn).await;
    assert!(truncated.is_err(), "the events were truncated");
    assert!(fx.store.availability(booked).await.is_ok());
}
