//! Events: what an organizer puts on sale, and how full it is.

mod changes;
mod event_date;
mod new_event;
mod price;
mod promotion;
pub mod rules;
mod sale_status;
mod seating;
mod ticket_limit;

pub use changes::{CancelEvent, ChangeEvent, EventChanges, NoChanges};
pub use event_date::{EventDate, EventDateError};
pub use new_event::NewEvent;
pub use price::{Price, PriceError};
pub use promotion::{OfferWindow, OfferWindowError, Promotion};
pub use sale_status::{EventStatus, UnknownEventStatus};
pub use seating::{MaxPerBooking, MaxPerBookingError, OvertakeLimit, OvertakeLimitError, Seating};
pub use ticket_limit::{TicketLimit, TicketLimitError};

use crate::booking::Booking;
use crate::error::RepoError;
use crate::ids::{EventId, UserId};
use crate::text::NonEmptyText;

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Also what pages of events are ordered by after the date.
    pub id: EventId,
    /// The user who created it; they may cancel any booking of it.
    pub organizer: UserId,
    /// Shown as given.
    pub name: NonEmptyText,
    /// Shown as given.
    pub description: NonEmptyText,
    /// The day it takes place; events are listed by it.
    pub date: EventDate,
    /// Shown as given, and searched with the name.
    pub location: NonEmptyText,
    /// The most seats that may be confirmed (I1).
    pub ticket_limit: TicketLimit,
    /// What a seat costs; the service takes no payment.
    pub price: Price,
    /// On sale, or called off by its organizer.
    pub status: EventStatus,
    /// How many seats one booking may take, and how the line is served.
    pub seating: Seating,
}

/// An event with how full it is, read in one snapshot: the event summary every read shows. Not
/// to be confused with [`EventStatus`], the event's sale status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// The event as stored.
    pub event: Event,
    /// Seats not yet confirmed to anyone.
    pub tickets_available: u32,
    /// Seats the waiting bookings wait for (one per booking for bookings of one seat).
    pub waiting_list_count: u64,
    /// Seats held for open offers, by the store's clock (taken, so not among the tickets
    /// available): an event that confirms at once has none.
    pub seats_on_offer: u32,
}

/// A seat count above the event's ticket limit: the store broke invariant I1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{seats_taken} seats taken of {ticket_limit}")]
pub struct SeatsOverLimit {
    /// The seats the store counted as taken.
    pub seats_taken: u32,
    /// The event's limit they exceed.
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
        Ok(Self { event, tickets_available, waiting_list_count, seats_on_offer: 0 })
    }

    /// The same, with `seats` of the seats taken held for open offers.
    #[must_use]
    pub fn with_seats_on_offer(self, seats: u32) -> Self {
        Self { seats_on_offer: seats, ..self }
    }
}

/// Why an event could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateEventError {
    /// The organizer's account does not exist (any more).
    #[error("organizer {0} does not exist")]
    OrganizerNotFound(UserId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FindEventError {
    #[error("event {0} does not exist")]
    /// No such event.
    NotFound(EventId),
    #[error(transparent)]
    /// The store failed.
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
            status: EventStatus::OnSale,
            seating: Seating::default(),
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

/// What changing an event did, all in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventChange {
    /// The event as changed.
    pub event: Availability,
    /// The bookings a raised ticket limit confirmed, heads of the line first.
    pub promoted: Vec<Booking>,
}

/// What calling an event off did, all in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCancellation {
    /// The event, now cancelled, with every seat free and nobody waiting.
    pub event: Availability,
    /// How many live bookings (confirmed or waiting) were cancelled with it.
    pub cancelled_bookings: u64,
}

/// Why an event could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeEventError {
    #[error("event {0} does not exist")]
    /// No such event.
    EventNotFound(EventId),
    /// Only the event's organizer may manage it.
    #[error("the caller does not organise event {0}")]
    NotOrganizer(EventId),
    #[error("event {0} is cancelled")]
    /// A cancelled event cannot change.
    EventCancelled(EventId),
    /// The new ticket limit is below the seats already confirmed; nothing changed.
    #[error("event {event} has {taken} seats taken, more than the new ticket limit")]
    LimitBelowTaken {
        /// The event.
        event: EventId,
        /// The seats confirmed now, the lowest limit allowed.
        taken: u32,
    },
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why an event could not be called off.
#[derive(Debug, thiserror::Error)]
pub enum CancelEventError {
    #[error("event {0} does not exist")]
    /// No such event.
    EventNotFound(EventId),
    #[error("the caller does not organise event {0}")]
    /// Only its organizer may call it off.
    NotOrganizer(EventId),
    #[error("event {0} is already cancelled")]
    /// It was called off before.
    AlreadyCancelled(EventId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}
