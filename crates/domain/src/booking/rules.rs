//! Rules the adapter applies while it holds the event's locks, so that the decision and the
//! write see the same state. Pure functions: tested here without a database.

use super::{BookError, Booking, BookingStatus, CancelError};
use crate::ids::UserId;

/// What a cancellation must do to the event besides marking the booking cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelEffect {
    /// The booking held a seat: give it to the first in line, or free it if nobody waits.
    FreeSeat,
    /// The booking was waiting: it just leaves the line; no seat changes hands.
    LeaveLine,
}

/// Decides whether `caller` may cancel `booking` of an event organised by `organizer`, and
/// what the cancellation does.
///
/// Permission is checked before state, so a stranger learns nothing about someone else's
/// booking.
///
/// # Errors
/// [`CancelError::NotAllowed`] unless the caller owns the booking or organises its event;
/// [`CancelError::AlreadyCancelled`] when there is nothing left to cancel.
pub fn plan_cancel(
    caller: UserId,
    booking: &Booking,
    organizer: UserId,
) -> Result<CancelEffect, CancelError> {
    if caller != booking.user && caller != organizer {
        return Err(CancelError::NotAllowed(booking.id));
    }
    match booking.status {
        BookingStatus::Confirmed => Ok(CancelEffect::FreeSeat),
        BookingStatus::Pending => Ok(CancelEffect::LeaveLine),
        BookingStatus::Cancelled => Err(CancelError::AlreadyCancelled(booking.id)),
    }
}

/// Whether `caller` may read a booking held by `holder` for an event organised by `organizer`:
/// its holder and the event's organizer may, nobody else.
#[must_use]
pub fn may_read(caller: UserId, holder: UserId, organizer: UserId) -> bool {
    caller == holder || caller == organizer
}

/// Whether an existing booking of the same user for the same event blocks a new one, and with
/// which answer. A cancelled booking does not block: the user may book again and joins the
/// back of the line.
#[must_use]
pub const fn refuse_duplicate(existing: BookingStatus) -> Option<BookError> {
    match existing {
        BookingStatus::Confirmed => Some(BookError::AlreadyBooked),
        BookingStatus::Pending => Some(BookError::AlreadyWaitlisted),
        BookingStatus::Cancelled => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::ids::{BookingId, EventId};

    fn user(id: i64) -> UserId {
        UserId::new(id).unwrap()
    }

    fn booking(owner: i64, status: BookingStatus) -> Booking {
        Booking {
            id: BookingId::new(10).unwrap(),
            event: EventId::new(3).unwrap(),
            user: user(owner),
            status,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_owner_cancelling_a_confirmed_booking_frees_a_seat() {
        let plan = plan_cancel(user(1), &booking(1, BookingStatus::Confirmed), user(99));
        assert_eq!(plan.ok(), Some(CancelEffect::FreeSeat));
    }

    #[test]
    fn cancelling_a_pending_booking_only_leaves_the_line() {
        let plan = plan_cancel(user(1), &booking(1, BookingStatus::Pending), user(99));
        assert_eq!(plan.ok(), Some(CancelEffect::LeaveLine));
    }

    #[test]
    fn the_organizer_may_cancel_anyones_booking_of_their_event() {
        let plan = plan_cancel(user(99), &booking(1, BookingStatus::Confirmed), user(99));
        assert_eq!(plan.ok(), Some(CancelEffect::FreeSeat));
    }

    #[test]
    fn a_stranger_may_not_cancel_and_learns_nothing_about_the_state() {
        for status in [BookingStatus::Confirmed, BookingStatus::Pending, BookingStatus::Cancelled] {
            let plan = plan_cancel(user(5), &booking(1, status), user(99));
            assert!(matches!(plan, Err(CancelError::NotAllowed(id)) if id.get() == 10), "{status}");
        }
    }

    #[test]
    fn a_cancelled_booking_cannot_be_cancelled_again() {
        let plan = plan_cancel(user(1), &booking(1, BookingStatus::Cancelled), user(99));
        assert!(matches!(plan, Err(CancelError::AlreadyCancelled(id)) if id.get() == 10));
    }

    #[test]
    fn a_live_booking_blocks_a_second_one_with_the_matching_message() {
        assert!(matches!(refuse_duplicate(BookingStatus::Confirmed), Some(BookError::AlreadyBooked)));
        assert!(matches!(refuse_duplicate(BookingStatus::Pending), Some(BookError::AlreadyWaitlisted)));
    }

    #[test]
    fn a_booking_is_readable_by_its_holder_and_the_organizer_only() {
        assert!(may_read(user(1), user(1), user(9)));
        assert!(may_read(user(9), user(1), user(9)));
        assert!(!may_read(user(5), user(1), user(9)));
    }

    #[test]
    fn a_cancelled_booking_does_not_block_booking_again() {
        assert!(refuse_duplicate(BookingStatus::Cancelled).is_none());
    }
}
