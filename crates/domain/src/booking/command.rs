use super::{BookError, Quantity};
use crate::ids::{BookingId, EventId, UserId};

/// A request to book seats (or a place in line) at an event for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookTicket {
    event: EventId,
    user: UserId,
    quantity: Quantity,
}

impl BookTicket {
    /// Books `event` for `caller`. `for_user` is the user the client named, if any: clients
    /// may name the user, but only themselves.
    ///
    /// # Errors
    /// [`BookError::ForAnotherUser`] when `for_user` is someone other than `caller`.
    pub fn new(caller: UserId, event: EventId, for_user: Option<UserId>) -> Result<Self, BookError> {
        match for_user {
            Some(user) if user != caller => Err(BookError::ForAnotherUser { caller, user }),
            _ => Ok(Self { event, user: caller, quantity: Quantity::ONE }),
        }
    }

    #[must_use]
    /// The same request for `quantity` seats, all or nothing (one by default).
    pub const fn with_quantity(self, quantity: Quantity) -> Self {
        Self { quantity, ..self }
    }

    #[must_use]
    /// How many seats.
    pub const fn quantity(&self) -> Quantity {
        self.quantity
    }

    #[must_use]
    /// The event to book.
    pub const fn event(&self) -> EventId {
        self.event
    }

    #[must_use]
    /// Who books: always the caller.
    pub const fn user(&self) -> UserId {
        self.user
    }
}

/// Which booking a cancellation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelTarget {
    /// The booking with this id.
    Booking(BookingId),
    /// The caller's live (confirmed or pending) booking for this event.
    LiveBookingFor(EventId),
}

/// A request by `caller` to change the quantity of their waiting booking: lowering it keeps its
/// place in line; raising it moves it to the back (as a new booking, since the line is in
/// booking order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeQuantity {
    /// Who asks: only the booking's holder.
    pub caller: UserId,
    /// The booking.
    pub booking: BookingId,
    /// The seats it should wait for.
    pub quantity: Quantity,
}

/// A request by `caller` to cancel a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelBooking {
    /// Who asks: the booking's holder or the event's organizer may cancel.
    pub caller: UserId,
    /// Which booking.
    pub target: CancelTarget,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (UserId, UserId, EventId) {
        match (UserId::new(1), UserId::new(2), EventId::new(9)) {
            (Ok(a), Ok(b), Ok(e)) => (a, b, e),
            _ => unreachable!("literal ids are positive"),
        }
    }

    #[test]
    fn a_booking_without_a_named_user_is_for_the_caller() {
        let (caller, _, event) = ids();
        let cmd = BookTicket::new(caller, event, None).map(|c| (c.user(), c.event()));
        assert_eq!(cmd.ok(), Some((caller, event)));
    }

    #[test]
    fn a_caller_may_name_themselves() {
        let (caller, _, event) = ids();
        assert!(BookTicket::new(caller, event, Some(caller)).is_ok());
    }

    #[test]
    fn a_caller_may_not_book_for_someone_else() {
        let (caller, other, event) = ids();
        let refused = BookTicket::new(caller, event, Some(other));
        assert!(
            matches!(refused, Err(BookError::ForAnotherUser { caller: c, user: u }) if c == caller && u == other)
        );
    }
}
