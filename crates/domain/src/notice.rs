//! Notifications: what a change of a booking or an event tells the people concerned.
//!
//! The rules of what is notified are pure functions of a change's outcome ([`rules`]); the
//! adapter writes their [`Notice`]s in the transaction that makes the change, so a notice exists
//! exactly when its change committed. Read back, a notice is a [`Notification`] with an id.
//! [`Watermark`] is how a reader of the outbox follows it without skipping a notice whose
//! transaction commits after a later one's.

pub mod rules;
mod watermark;

pub use watermark::{Settlement, Watermark};

use chrono::{DateTime, Utc};

use crate::booking::{BookingStatus, BookingView, Quantity, WaitlistPosition};
use crate::event::Availability;
use crate::ids::{BookingId, EventId, NotificationId, UserId};
use crate::words::stored_words;

stored_words! {
    /// What happened. The words are the notification types of the HTTP contract.
    pub enum NoticeKind, unknown: UnknownNoticeKind("notification type") {
        /// A booking took a free seat.
        BookingConfirmed => "booking.confirmed",
        /// A booking joined the waiting line.
        BookingWaitlisted => "booking.waitlisted",
        /// A waiting booking got a seat: someone cancelled, or the ticket limit rose.
        BookingPromoted => "booking.promoted",
        /// A booking ended: by its holder, by the organizer, or with its event.
        BookingCancelled => "booking.cancelled",
        /// An event's organizer changed it.
        EventUpdated => "event.updated",
        /// An event's organizer called it off.
        EventCancelled => "event.cancelled",
        /// A waiting booking was offered seats, held until a deadline.
        BookingOffered => "booking.offered",
        /// An offer lapsed unanswered; its seats went on down the line.
        BookingOfferExpired => "booking.offer_expired",
        /// An offer was accepted: the booking holds its seats.
        BookingAccepted => "booking.accepted",
        /// An offer was turned down; its seats went on down the line.
        BookingDeclined => "booking.declined",
    }
}

impl NoticeKind {
    /// Every kind, for those who subscribe to all.
    pub const ALL: [Self; 10] = [
        Self::BookingConfirmed,
        Self::BookingWaitlisted,
        Self::BookingPromoted,
        Self::BookingCancelled,
        Self::EventUpdated,
        Self::EventCancelled,
        Self::BookingOffered,
        Self::BookingOfferExpired,
        Self::BookingAccepted,
        Self::BookingDeclined,
    ];

    /// The status a booking has after the change this kind reports; `None` for an event's
    /// notice. A notice needs to store no more of its booking than this and the place in line:
    /// the rest of a booking never changes.
    #[must_use]
    pub const fn booking_status(self) -> Option<BookingStatus> {
        match self {
            Self::BookingConfirmed | Self::BookingPromoted | Self::BookingAccepted => {
                Some(BookingStatus::Confirmed)
            }
            Self::BookingWaitlisted => Some(BookingStatus::Pending),
            Self::BookingCancelled => Some(BookingStatus::Cancelled),
            Self::BookingOffered => Some(BookingStatus::Offered),
            Self::BookingOfferExpired => Some(BookingStatus::Expired),
            Self::BookingDeclined => Some(BookingStatus::Declined),
            Self::EventUpdated | Self::EventCancelled => None,
        }
    }
}

/// A notice to be written with the change it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    /// What happened.
    pub kind: NoticeKind,
    /// The event it happened to; webhooks filter by it.
    pub event: EventId,
    /// Who is told.
    pub subject: Subject,
}

/// Who a notice is about, and so who receives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    /// Goes to the booking's holder (and to the organizer's webhooks).
    Booking {
        /// The booking.
        booking: BookingId,
        /// Its holder, who is told.
        holder: UserId,
        /// The seats it holds or waits for, as they were when the notice was written (a
        /// waiting booking may lower them later).
        quantity: Quantity,
        /// The place in line, for a booking that joined it.
        position: Option<WaitlistPosition>,
        /// The seats the bookings ahead of it waited for, with `position`.
        seats_ahead: Option<u64>,
    },
    /// Goes to the organizer's webhooks; the store keeps the event as the change left it.
    Event,
}

/// A notice as stored and read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The outbox's order; readers page by it.
    pub id: NotificationId,
    /// What happened.
    pub kind: NoticeKind,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// What it is about, as the change left it.
    pub data: NotificationData,
}

/// What a notification carries: its booking or its event as the change left them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotificationData {
    /// A booking's notice: the booking with its place in line.
    Booking(BookingView),
    /// An event's notice: the event with its availability.
    Event(Availability),
}

impl Notification {
    /// The user whose feed shows it; `None` for an event's notice.
    #[must_use]
    pub const fn recipient(&self) -> Option<UserId> {
        match &self.data {
            NotificationData::Booking(view) => Some(view.booking.user),
            NotificationData::Event(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_word() {
        for kind in NoticeKind::ALL {
            assert_eq!(kind.as_str().parse::<NoticeKind>(), Ok(kind));
        }
        assert!("booking.lost".parse::<NoticeKind>().is_err());
    }

    #[test]
    fn booking_kinds_say_the_status_they_leave_and_event_kinds_none() {
        assert_eq!(NoticeKind::BookingPromoted.booking_status(), Some(BookingStatus::Confirmed));
        assert_eq!(NoticeKind::BookingWaitlisted.booking_status(), Some(BookingStatus::Pending));
        assert_eq!(NoticeKind::BookingCancelled.booking_status(), Some(BookingStatus::Cancelled));
        assert_eq!(NoticeKind::EventCancelled.booking_status(), None);
    }
}
