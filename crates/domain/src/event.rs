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

/// An event with its seat count and the length of its waiting list, read in one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStatus {
    pub event: Event,
    /// Seats not yet confirmed to anyone.
    pub tickets_available: u32,
    /// Bookings waiting for a seat.
    pub waiting_list_count: u64,
}

/// Why an event could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateEventError {
    /// The organizer's account does not exist (any more).
    #[error("User with ID {0} not found")]
    OrganizerNotFound(UserId),
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Why an event could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FindEventError {
    #[error("Event with ID {0} not found")]
    NotFound(EventId),
    #[error(transparent)]
    Repo(#[from] RepoError),
}
