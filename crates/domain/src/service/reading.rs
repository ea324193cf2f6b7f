//! Reads that carry a rule: who may see a booking, and who may see an event's bookings.

use crate::booking::rules::may_read;
use crate::booking::{Attendee, BookingView, FindBookingError, ListAttendeesError};
use crate::ids::{BookingId, EventId, UserId};
use crate::listing::{BookingQuery, Page};
use crate::ports::Catalog;

/// A booking, for its holder or its event's organizer.
///
/// # Errors
/// [`FindBookingError::NotFound`] for an unknown booking and for one the caller may not see
/// alike; [`FindBookingError::Repo`] when the store fails.
pub async fn booking(
    catalog: &impl Catalog,
    caller: UserId,
    id: BookingId,
) -> Result<BookingView, FindBookingError> {
    match catalog.booking(id).await? {
        Some((view, organizer)) if may_read(caller, view.booking.user, organizer) => Ok(view),
        _ => Err(FindBookingError::NotFound(id)),
    }
}

/// A page of an event's bookings with their holders, for its organizer.
///
/// # Errors
/// [`ListAttendeesError::EventNotFound`], [`ListAttendeesError::NotOrganizer`], or
/// [`ListAttendeesError::Repo`] when the store fails.
pub async fn attendees(
    catalog: &impl Catalog,
    caller: UserId,
    event: EventId,
    query: BookingQuery,
) -> Result<Page<Attendee, BookingId>, ListAttendeesError> {
    if caller != super::organizer_of(catalog, event).await? {
        return Err(ListAttendeesError::NotOrganizer(event));
    }
    Ok(catalog.attendees(event, query).await?)
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::booking::{Booking, BookingStatus};
    use crate::event::FindEventError;
    use crate::event::{Availability, Event, EventDate, EventStatus, Price, TicketLimit};
    use crate::ports::MockCatalog;
    use crate::text::NonEmptyText;

    fn id(n: i64) -> UserId {
        UserId::new(n).unwrap()
    }

    fn view(holder: i64) -> BookingView {
        let booking = Booking {
            id: BookingId::new(7).unwrap(),
            event: EventId::new(3).unwrap(),
            user: id(holder),
            status: BookingStatus::Confirmed,
            created_at: Utc::now(),
            quantity: crate::booking::Quantity::ONE,
            offer_expires_at: None,
        };
        BookingView { booking, position: None, seats_ahead: None }
    }

    fn catalog_with_booking_of(holder: i64, organizer: i64) -> MockCatalog {
        let mut catalog = MockCatalog::new();
        catalog
            .expect_booking()
            .returning(move |_| Box::pin(async move { Ok(Some((view(holder), id(organizer)))) }));
        catalog
    }

    #[tokio::test]
    async fn the_holder_and_the_organizer_see_a_booking() {
        let catalog = catalog_with_booking_of(1, 9);
        assert!(booking(&catalog, id(1), BookingId::new(7).unwrap()).await.is_ok());
        assert!(booking(&catalog, id(9), BookingId::new(7).unwrap()).await.is_ok());
    }

    #[tokio::test]
    async fn anyone_else_is_told_it_does_not_exist() {
        let catalog = catalog_with_booking_of(1, 9);
        let hidden = booking(&catalog, id(5), BookingId::new(7).unwrap()).await;
        assert!(matches!(hidden, Err(FindBookingError::NotFound(b)) if b.get() == 7));
        let mut empty = MockCatalog::new();
        empty.expect_booking().returning(|_| Box::pin(async { Ok(None) }));
        assert!(matches!(
            booking(&empty, id(1), BookingId::new(8).unwrap()).await,
            Err(FindBookingError::NotFound(_))
        ));
    }

    fn catalog_with_event_by(organizer: i64) -> MockCatalog {
        let mut catalog = MockCatalog::new();
        catalog.expect_availability().returning(move |event| {
            let found = Event {
                id: event,
                organizer: id(organizer),
                name: NonEmptyText::parse("Gig").unwrap(),
                description: NonEmptyText::parse("Loud").unwrap(),
                date: EventDate::parse("2027-01-01").unwrap(),
                location: NonEmptyText::parse("Kandy").unwrap(),
                ticket_limit: TicketLimit::new(2).unwrap(),
                price: Price::from_cents(0).unwrap(),
                status: EventStatus::OnSale,
                seating: crate::event::Seating::DEFAULT,
            };
            Box::pin(async move { Ok(Availability::new(found, 0, 0).unwrap()) })
        });
        catalog
    }

    #[tokio::test]
    async fn only_the_organizer_lists_who_is_coming_and_strangers_never_reach_the_list() {
        let mut catalog = catalog_with_event_by(9);
        catalog
            .expect_attendees()
            .times(1)
            .returning(|_, _| Box::pin(async { Ok(Page { items: vec![], next: None }) }));
        let event = EventId::new(3).unwrap();

        let refused = attendees(&catalog, id(5), event, BookingQuery::default()).await;
        let listed = attendees(&catalog, id(9), event, BookingQuery::default()).await;

        assert!(matches!(refused, Err(ListAttendeesError::NotOrganizer(_))));
        assert!(listed.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_event_is_reported_as_such() {
        let mut catalog = MockCatalog::new();
        catalog
            .expect_availability()
            .returning(|e| Box::pin(async move { Err(FindEventError::NotFound(e)) }));
        let missing = attendees(&catalog, id(1), EventId::new(4).unwrap(), BookingQuery::default()).await;
        assert!(matches!(missing, Err(ListAttendeesError::EventNotFound(e)) if e.get() == 4));
    }
}
