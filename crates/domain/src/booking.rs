//! Bookings: a seat held (`CONFIRMED`), a place in line (`PENDING`), or a cancelled booking.

mod command;
pub mod rules;
mod status;

pub use command::{BookTicket, CancelBooking, CancelTarget};
pub use status::{BookingStatus, UnknownStatus};

use std::num::NonZeroU64;

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{BookingId, EventId, UserId};

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: BookingId,
    pub event: EventId,
    pub user: UserId,
    pub status: BookingStatus,
    /// Set by the database clock, so every server instance agrees on it.
    pub created_at: DateTime<Utc>,
}

/// A place in an event's waiting list, 1-based. The line is ordered by booking id.
pub type WaitlistPosition = NonZeroU64;

/// What a booking attempt achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingOutcome {
    /// A seat was free and is now the user's.
    Confirmed(Booking),
    /// The event was sold out; the user is in line.
    Waitlisted {
        booking: Booking,
        /// 1 + the pending bookings with a lower id visible when the answer was made. Two
        /// buyers joining at the same instant may both see the same number; later reads are
        /// exact.
        position: WaitlistPosition,
    },
}

impl BookingOutcome {
    #[must_use]
    pub const fn booking(&self) -> &Booking {
        match self {
            Self::Confirmed(booking) | Self::Waitlisted { booking, .. } => booking,
        }
    }
}

/// What a cancellation did, both halves committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The booking, now `CANCELLED`.
    pub cancelled: Booking,
    /// The first booking in line, now `CONFIRMED`, when the cancelled one held a seat and
    /// someone was waiting.
    pub promoted: Option<Booking>,
}

/// Why a booking attempt was refused. The messages are the original service's, which its
/// clients match on.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("Event with ID {0} not found")]
    EventNotFound(EventId),
    #[error("User with ID {0} not found")]
    UserNotFound(UserId),
    /// The user already holds a confirmed seat for this event.
    #[error("User already has a booking")]
    AlreadyBooked,
    /// The user is already in this event's waiting list.
    #[error("User is already on wait list")]
    AlreadyWaitlisted,
    /// A user may only book for themselves.
    #[error("You are not allowed to book for another user")]
    ForAnotherUser { caller: UserId, user: UserId },
    #[error(transparent)]
    Repo(#[from] RepoError),
}

/// Why a cancellation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("Booking with ID {0} not found")]
    BookingNotFound(BookingId),
    /// Cancelling by event: the caller holds no confirmed or pending booking there.
    #[error("No active booking found for event with ID {0}")]
    NoLiveBooking(EventId),
    #[error("Booking with ID {0} has already been cancelled")]
    AlreadyCancelled(BookingId),
    /// Only the booking's owner or the event's organizer may cancel it.
    #[error("You are not allowed to cancel this booking")]
    NotAllowed(BookingId),
    #[error(transparent)]
    Repo(#[from] RepoError),
}
