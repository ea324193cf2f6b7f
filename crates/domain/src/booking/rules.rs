//! Rules the adapter applies while it holds the event's locks, so that the decision and the
//! write see the same state. Pure functions: tested here without a database.

pub use super::offer::check_answer;
use super::{BookError, Booking, BookingStatus, CancelError, ChangeQuantityError, Quantity};
use crate::event::Seating;
use crate::ids::UserId;

/// What a cancellation must do to the event besides marking the booking cancelled. Either way
/// the line is served next ([`crate::line::serve`]): freed seats may serve it, and a waiting
/// group that leaves may no longer block those behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelEffect {
    /// The booking held seats: they are free again.
    FreeSeats(Quantity),
    /// The booking was waiting: it leaves the line; no seat changes hands.
    LeaveLine,
}

/// Checks a booking's quantity against the event it is for, before anything is written.
///
/// # Errors
/// [`BookError::QuantityOverMax`] above the event's most seats per booking (checked first: the
/// client's request is malformed for this event); [`BookError::QuantityOverLimit`] above the
/// event's ticket limit, which no line could ever serve.
pub fn check_quantity(quantity: Quantity, seating: Seating, ticket_limit: u32) -> Result<(), BookError> {
    if !seating.max_per_booking.allows(quantity) {
        return Err(BookError::QuantityOverMax { max: seating.max_per_booking.get() });
    }
    if quantity.get() > ticket_limit {
        return Err(BookError::QuantityOverLimit { limit: ticket_limit });
    }
    Ok(())
}

/// What changing a waiting booking's quantity does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityPlan {
    /// The same quantity: nothing changes.
    Unchanged,
    /// Fewer seats: the booking keeps its place in line with the new quantity.
    Lower(Quantity),
    /// More seats: the booking leaves the line and a new one with the quantity joins its back.
    Raise(Quantity),
}

/// Decides whether `caller` may change `booking`'s quantity to `quantity` for an event seated
/// as `seating` with `ticket_limit` seats, and how.
///
/// # Errors
/// [`ChangeQuantityError::NotFound`] unless the caller holds the booking (one answer, so ids
/// are not revealed); [`ChangeQuantityError::NotWaiting`] unless it is pending;
/// [`ChangeQuantityError::OverMax`] / [`ChangeQuantityError::OverLimit`] for a raise beyond the
/// event's most seats per booking / its ticket limit (a lower quantity is always allowed).
pub fn plan_quantity_change(
    caller: UserId,
    booking: &Booking,
    quantity: Quantity,
    seating: Seating,
    ticket_limit: u32,
) -> Result<QuantityPlan, ChangeQuantityError> {
    if caller != booking.user {
        return Err(ChangeQuantityError::NotFound(booking.id));
    }
    if booking.status != BookingStatus::Pending {
        return Err(ChangeQuantityError::NotWaiting(booking.id));
    }
    match quantity.cmp(&booking.quantity) {
        std::cmp::Ordering::Equal => Ok(QuantityPlan::Unchanged),
        std::cmp::Ordering::Less => Ok(QuantityPlan::Lower(quantity)),
        std::cmp::Ordering::Greater => match check_quantity(quantity, seating, ticket_limit) {
            Ok(()) => Ok(QuantityPlan::Raise(quantity)),
            Err(BookError::QuantityOverMax { max }) => Err(ChangeQuantityError::OverMax { max }),
            Err(_) => Err(ChangeQuantityError::OverLimit { limit: ticket_limit }),
        },
    }
}

/// Decides whether `caller` may cancel `booking` of an event organised by `organizer`, and
/// what the cancellation does.
///
/// Permission is checked before state, so a stranger learns nothing about someone else's
/// booking.
///
/// # Errors
/// [`CancelError::NotAllowed`] unless the caller owns the booking or organises its event;
/// [`CancelError::AlreadyCancelled`] when there is nothing left to cancel. An offered booking
/// holds its seats, so cancelling it frees them like a confirmed one's.
pub fn plan_cancel(
    caller: UserId,
    booking: &Booking,
    organizer: UserId,
) -> Result<CancelEffect, CancelError> {
    if caller != booking.user && caller != organizer {
        return Err(CancelError::NotAllowed(booking.id));
    }
    match booking.status {
        BookingStatus::Confirmed | BookingStatus::Offered => Ok(CancelEffect::FreeSeats(booking.quantity)),
        BookingStatus::Pending => Ok(CancelEffect::LeaveLine),
        BookingStatus::Cancelled | BookingStatus::Expired | BookingStatus::Declined => {
            Err(CancelError::AlreadyCancelled(booking.id))
        }
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
        BookingStatus::Confirmed | BookingStatus::Offered => Some(BookError::AlreadyBooked),
        BookingStatus::Pending => Some(BookError::AlreadyWaitlisted),
        BookingStatus::Cancelled | BookingStatus::Expired | BookingStatus::Declined => None,
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
            quantity: Quantity::new(2).unwrap(),
            created_at: Utc::now(),
            offer_expires_at: None,
        }
    }

    #[test]
    fn the_owner_cancelling_a_confirmed_booking_frees_its_seats() {
        let plan = plan_cancel(user(1), &booking(1, BookingStatus::Confirmed), user(99));
        assert_eq!(plan.ok(), Some(CancelEffect::FreeSeats(Quantity::new(2).unwrap())));
    }

    #[test]
    fn cancelling_a_pending_booking_only_leaves_the_line() {
        let plan = plan_cancel(user(1), &booking(1, BookingStatus::Pending), user(99));
        assert_eq!(plan.ok(), Some(CancelEffect::LeaveLine));
    }

    #[test]
    fn the_organizer_may_cancel_anyones_booking_of_their_event() {
        let plan = plan_cancel(user(99), &booking(1, BookingStatus::Confirmed), user(99));
        assert!(matches!(plan, Ok(CancelEffect::FreeSeats(_))));
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

    #[test]
    fn an_offer_holds_seats_until_it_ends() {
        let offered = plan_cancel(user(1), &booking(1, BookingStatus::Offered), user(99));
        assert_eq!(offered.ok(), Some(CancelEffect::FreeSeats(Quantity::new(2).unwrap())));
        assert!(matches!(refuse_duplicate(BookingStatus::Offered), Some(BookError::AlreadyBooked)));
        for ended in [BookingStatus::Expired, BookingStatus::Declined] {
            let plan = plan_cancel(user(1), &booking(1, ended), user(99));
            assert!(matches!(plan, Err(CancelError::AlreadyCancelled(_))), "{ended}");
            assert!(refuse_duplicate(ended).is_none(), "{ended} does not block booking again");
        }
    }

    fn seats(n: i64) -> Quantity {
        Quantity::new(n).unwrap()
    }

    fn seating(max: i64) -> Seating {
        Seating { max_per_booking: crate::event::MaxPerBooking::new(max).unwrap(), ..Seating::DEFAULT }
    }

    #[test]
    fn a_quantity_over_the_events_maximum_is_refused_before_one_over_its_limit() {
        assert!(check_quantity(seats(10), seating(10), 10).is_ok());
        assert!(matches!(
            check_quantity(seats(11), seating(10), 5),
            Err(BookError::QuantityOverMax { max: 10 })
        ));
        assert!(matches!(
            check_quantity(seats(6), seating(10), 5),
            Err(BookError::QuantityOverLimit { limit: 5 })
        ));
    }

    #[test]
    fn a_waiting_booking_lowers_in_place_and_raises_to_the_back() {
        let waiting = booking(1, BookingStatus::Pending);
        let plan = |q| plan_quantity_change(user(1), &waiting, seats(q), seating(10), 8);
        assert_eq!(plan(2).ok(), Some(QuantityPlan::Unchanged));
        assert_eq!(plan(1).ok(), Some(QuantityPlan::Lower(seats(1))));
        assert_eq!(plan(3).ok(), Some(QuantityPlan::Raise(seats(3))));
        assert!(matches!(plan(9), Err(ChangeQuantityError::OverLimit { limit: 8 })));
        let narrow = plan_quantity_change(user(1), &waiting, seats(4), seating(3), 8);
        assert!(matches!(narrow, Err(ChangeQuantityError::OverMax { max: 3 })));
    }

    #[test]
    fn only_the_holder_changes_a_quantity_and_only_while_waiting() {
        let waiting = booking(1, BookingStatus::Pending);
        let stranger = plan_quantity_change(user(99), &waiting, seats(1), seating(10), 8);
        assert!(matches!(stranger, Err(ChangeQuantityError::NotFound(_))));
        for status in [BookingStatus::Confirmed, BookingStatus::Cancelled] {
            let plan = plan_quantity_change(user(1), &booking(1, status), seats(1), seating(10), 8);
            assert!(matches!(plan, Err(ChangeQuantityError::NotWaiting(_))), "{status}");
        }
    }
}
