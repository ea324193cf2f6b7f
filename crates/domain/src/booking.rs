//! Bookings: seats held (`CONFIRMED`), a place in line (`PENDING`), seats held on offer
//! (`OFFERED`), or an ended booking. A booking is a group of one or more seats, held or waited
//! for all at once.

mod command;
mod offer;
mod quantity;
pub mod rules;
mod status;

pub use command::{BookTicket, CancelBooking, CancelTarget, ChangeQuantity};
pub use offer::{AnswerOffer, AnswerOfferError, Declination};
pub use quantity::{Quantity, QuantityError};
pub use status::{BookingStatus, UnknownStatus};

use std::num::NonZeroU64;

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{BookingId, EventId, UserId};

/// A booking as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// Its place in line: the line is served in id order (I4).
    pub id: BookingId,
    /// The event booked.
    pub event: EventId,
    /// Who holds it; only they and the event's organizer may see or cancel it.
    pub user: UserId,
    /// Confirmed, waiting, or cancelled.
    pub status: BookingStatus,
    /// The seats it holds or waits for, all at once.
    pub quantity: Quantity,
    /// Set by the database clock, so every server instance agrees on it.
    pub created_at: DateTime<Utc>,
    /// For a booking offered seats (and one whose offer lapsed), when the offer ends, by the
    /// database clock; `None` for a booking never offered any.
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// A place in an event's waiting list, 1-based. The line is ordered by booking id.
pub type WaitlistPosition = NonZeroU64;

/// A booking as read back: a pending one with its exact place in line, counted in the same
/// snapshot as the booking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingView {
    /// The booking as stored.
    pub booking: Booking,
    /// `Some` exactly when the booking is pending.
    pub position: Option<WaitlistPosition>,
    /// The seats the bookings ahead of it in line wait for; `Some` exactly when it is pending.
    pub seats_ahead: Option<u64>,
}

/// A booking of an organizer's event, with who holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// The booking with its place in line.
    pub booking: BookingView,
    /// Who holds it, for the organizer's list of who is coming.
    pub user: crate::user::User,
}

/// Why a booking could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FindBookingError {
    /// No such booking, or one the caller may not see: the two are one answer, so that nobody
    /// learns which booking ids exist.
    #[error("booking {0} does not exist or is not the caller's to see")]
    NotFound(BookingId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why an event's bookings could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListAttendeesError {
    #[error("event {0} does not exist")]
    /// No such event.
    EventNotFound(EventId),
    /// Only the organizer sees who is coming.
    #[error("the caller does not organise event {0}")]
    NotOrganizer(EventId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// What a booking attempt achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingOutcome {
    /// A seat was free and is now the user's.
    Confirmed(Booking),
    /// Not enough seats were free, or others were already waiting: the user is in line.
    Waitlisted {
        /// The new booking, pending.
        booking: Booking,
        /// 1 + the pending bookings with a lower id visible when the answer was made. Two
        /// buyers joining at the same instant may both see the same number; later reads are
        /// exact.
        position: WaitlistPosition,
        /// The seats the bookings ahead of it wait for, counted with `position`.
        seats_ahead: u64,
    },
}

impl BookingOutcome {
    #[must_use]
    /// The booking made, seated or waiting.
    pub const fn booking(&self) -> &Booking {
        match self {
            Self::Confirmed(booking) | Self::Waitlisted { booking, .. } => booking,
        }
    }
}

/// What a cancellation did, all committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    /// The booking, now `CANCELLED`.
    pub cancelled: Booking,
    /// The bookings the line was served, in line order — `CONFIRMED`, or `OFFERED` on an event
    /// that offers seats: the seats freed (or, for a group that left the line, the way it no
    /// longer blocks) may serve several.
    pub promoted: Vec<Booking>,
}

/// What changing a waiting booking's quantity did, all committed in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityChange {
    /// The booking as it now waits (or, once served, holds its seats). A lowered one keeps its
    /// place and id; a raised one is a new booking at the back of the line.
    pub booking: BookingView,
    /// For a raise, the booking it replaced, now `CANCELLED`.
    pub replaced: Option<Booking>,
    /// The bookings the line was served, in line order (the changed one among them when it now
    /// fits).
    pub promoted: Vec<Booking>,
}

/// Why a booking's quantity could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ChangeQuantityError {
    /// No such booking, or another user's: one answer, so ids are not revealed.
    #[error("booking {0} does not exist or is not the caller's")]
    NotFound(BookingId),
    /// Only a waiting booking changes its quantity; a confirmed one cancels instead.
    #[error("booking {0} is not waiting")]
    NotWaiting(BookingId),
    /// More seats than one booking of the event may take.
    #[error("the event allows at most {max} seats per booking")]
    OverMax {
        /// The event's [`crate::event::MaxPerBooking`].
        max: u32,
    },
    /// More seats than the event has: it could never be served.
    #[error("the event has {limit} seats in all")]
    OverLimit {
        /// The event's ticket limit.
        limit: u32,
    },
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why a booking attempt was refused. Variants carry data, not wording: what a client reads is
/// the inbound adapter's choice.
#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("event {0} does not exist")]
    /// No such event.
    EventNotFound(EventId),
    #[error("user {0} does not exist")]
    /// No such user (a token that outlived its account).
    UserNotFound(UserId),
    /// The user already holds a confirmed seat for this event.
    #[error("the user already holds a seat for this event")]
    AlreadyBooked,
    /// The user is already in this event's waiting list.
    #[error("the user is already in this event's waiting line")]
    AlreadyWaitlisted,
    /// A user may only book for themselves.
    #[error("user {caller} may not book for user {user}")]
    ForAnotherUser {
        /// Who asked.
        caller: UserId,
        /// For whom.
        user: UserId,
    },
    /// The organizer called the event off.
    #[error("event {0} is cancelled")]
    EventCancelled(EventId),
    /// More seats than one booking of the event may take (the event's, not the client's,
    /// maximum: a client reads it in the event).
    #[error("the event allows at most {max} seats per booking")]
    QuantityOverMax {
        /// The event's [`crate::event::MaxPerBooking`].
        max: u32,
    },
    /// More seats than the event has: such a booking could never be served.
    #[error("the event has {limit} seats in all")]
    QuantityOverLimit {
        /// The event's ticket limit.
        limit: u32,
    },
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why a cancellation was refused.
#[derive(Debug, thiserror::Error)]
pub enum CancelError {
    #[error("booking {0} does not exist")]
    /// No such booking.
    BookingNotFound(BookingId),
    /// Cancelling by event: the caller holds no confirmed, pending or offered booking there.
    #[error("no live booking of the caller for event {0}")]
    NoLiveBooking(EventId),
    #[error("booking {0} has already ended")]
    /// It ended before (cancelled, or an offer declined or lapsed): cancelling is not repeated.
    AlreadyCancelled(BookingId),
    /// Only the booking's owner or the event's organizer may cancel it.
    #[error("the caller may not cancel booking {0}")]
    NotAllowed(BookingId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

impl From<crate::event::FindEventError> for ListAttendeesError {
    fn from(error: crate::event::FindEventError) -> Self {
        match error {
            crate::event::FindEventError::NotFound(id) => Self::EventNotFound(id),
            crate::event::FindEventError::Repo(e) => Self::Repo(e),
        }
    }
}
