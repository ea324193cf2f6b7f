//! Events: what an organizer puts on sale, and how full it is.

mod event_date;
mod new_event;
mod price;
mod ticket_limit;

pub use event_date::{EventDate, EventDateError};
pub use new_event::NewEvent;
pub use price::{Price, PriceError};
pub use ticket_limit::{TicketLimit, TicketLimitError};

use crate::error::RepoError;
use crate::ids::{EventId, UserId};
use crate::text::NonEmptyText;

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    /// The user who created it; they may cancel any booking of it.
    pub organizer: UserId,
    pub name: NonEmptyText,
    pub description: NonEmptyText,
    pub date: EventDate,
    pub location: NonEmptyText,
    pub ticket_limit: TicketLimit,
    pub price: Price,
}

/// How full an event is, read in one snapshot: what `/status` reports. Not to be confused with
/// an event's sale status (on sale or called off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    pub event: Event,
    /// Seats not yet confirmed to anyone.
    pub tickets_available: u32,
    /// Bookings waiting for a seat.
    pub waiting_list_count: u64,
}

/// A seat count above the event's ticket limit: the store broke invariant I1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{seats_taken} seats taken of {ticket_limit}")]
pub struct SeatsOverLimit {
    pub seats_taken: u32,
    pub ticket_limit: TicketLimit,
}

impl Availability {
    /// The availability of `event` with `seats_taken` seats confirmed and `waiting_list_count`
    /// bookings in line.
    ///
    /// # Errors
    /// [`SeatsOverLimit`] when more seats are taken than the event has.
    pub fn new(event: Event, seats_taken: u32, waiting_list_count: u64) -> Result<Self, SeatsOverLimit> {
        let ticket_limit = event.ticket_limit;
        let tickets_available = u32::try_from(ticket_limit.get())
            .ok()
            .and_then(|limit| limit.checked_sub(seats_taken))
            .ok_or(SeatsOverLimit { seats_taken, ticket_limit })?;
        Ok(Self { event, tickets_available, waiting_list_count })
    }
}

/// Why an event could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateEventError {
    /// The organizer's account does not exist (any more).
    #[error("organizer {0} does not exist")]
    OrganizerNotFound(UserId),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FindEventError {
    #[error("event {0} does not exist")]
    NotFound(EventId),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(seats: i64) -> Event {
        Event {
            id: EventId::new(1).unwrap(),
            organizer: UserId::new(2).unwrap(),
            name: NonEmptyText::parse("Concert").unwrap(),
            description: NonEmptyText::parse("Live").unwrap(),
            date: EventDate::parse("2027-05-20").unwrap(),
            location: NonEmptyText::parse("Colombo").unwrap(),
            ticket_limit: TicketLimit::new(seats).unwrap(),
            price: Price::from_cents(0).unwrap(),
        }
    }

    #[test]
    fn the_tickets_available_are_the_seats_not_taken() {
        let availability = Availability::new(event(10), 7, 3).unwrap();
        assert_eq!((availability.tickets_available, availability.waiting_list_count), (3, 3));
        assert_eq!(Availability::new(event(10), 10, 0).unwrap().tickets_available, 0);
    }

    #[test]
    fn more_seats_taken_than_exist_is_an_inconsistency_not_a_number() {
        assert!(matches!(Availability::new(event(2), 3, 0), Err(SeatsOverLimit { seats_taken: 3, .. })));
    }
}
