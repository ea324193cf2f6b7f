use super::Action;
use crate::booking::BookingStatus;

/// What a booking adds to its event's counters: the seats it takes, and, waiting, one booking
/// and its seats in line. An entry's deltas are the difference a change makes to these.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// Seats taken (I1: confirmed and offered bookings).
    pub seats: i64,
    /// Bookings waiting.
    pub waiting: i64,
    /// Seats waited for.
    pub waiting_seats: i64,
}

impl Counted {
    /// What a booking in `status` for `quantity` seats counts for.
    #[must_use]
    pub fn of(status: BookingStatus, quantity: u32) -> Self {
        let quantity = i64::from(quantity);
        if status.holds_seats() {
            Self { seats: quantity, ..Self::default() }
        } else if status == BookingStatus::Pending {
            Self { seats: 0, waiting: 1, waiting_seats: quantity }
        } else {
            Self::default()
        }
    }

    /// `self` then `other`.
    #[must_use]
    pub const fn plus(self, other: Self) -> Self {
        Self {
            seats: self.seats + other.seats,
            waiting: self.waiting + other.waiting,
            waiting_seats: self.waiting_seats + other.waiting_seats,
        }
    }

    /// What goes from `self` to `to`.
    #[must_use]
    pub const fn to(self, to: Self) -> Self {
        Self {
            seats: to.seats - self.seats,
            waiting: to.waiting - self.waiting,
            waiting_seats: to.waiting_seats - self.waiting_seats,
        }
    }
}

/// One booking's change as a history entry records it: from what (none for a new booking) to
/// what, and for how many seats before and after. Adapters build one per booking a write
/// touches; its [`Change::action`] and [`Change::deltas`] are what the entry stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The status before; `None` for a booking the change creates.
    pub from: Option<BookingStatus>,
    /// The status after.
    pub to: BookingStatus,
    /// The seats before (ignored for a new booking).
    pub quantity_before: u32,
    /// The seats after.
    pub quantity: u32,
}

impl Change {
    /// A new booking.
    #[must_use]
    pub const fn new_booking(to: BookingStatus, quantity: u32) -> Self {
        Self { from: None, to, quantity_before: quantity, quantity }
    }

    /// A booking of `quantity` seats going from `from` to `to`.
    #[must_use]
    pub const fn status(from: BookingStatus, to: BookingStatus, quantity: u32) -> Self {
        Self { from: Some(from), to, quantity_before: quantity, quantity }
    }

    /// What the entry records the change as; `None` when the state machine does not allow it.
    #[must_use]
    pub const fn action(&self) -> Option<Action> {
        Action::of(self.from, self.to, self.from.is_some() && self.quantity_before != self.quantity)
    }

    /// What the change does to the event's counters.
    #[must_use]
    pub fn deltas(&self) -> Counted {
        let before = self.from.map_or_else(Counted::default, |from| Counted::of(from, self.quantity_before));
        before.to(Counted::of(self.to, self.quantity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BookingStatus::{Cancelled, Confirmed, Expired, Offered, Pending};

    #[test]
    fn a_change_moves_its_seats_between_the_counters() {
        let booked = Change::new_booking(Confirmed, 3);
        assert_eq!(booked.deltas(), Counted { seats: 3, waiting: 0, waiting_seats: 0 });
        let queued = Change::new_booking(Pending, 2);
        assert_eq!(queued.deltas(), Counted { seats: 0, waiting: 1, waiting_seats: 2 });
        let offered = Change::status(Pending, Offered, 2);
        assert_eq!(offered.deltas(), Counted { seats: 2, waiting: -1, waiting_seats: -2 });
        assert_eq!(Change::status(Offered, Expired, 2).deltas(), Counted { seats: -2, ..Counted::default() });
        assert_eq!(Change::status(Offered, Confirmed, 2).deltas(), Counted::default());
        assert_eq!(Change::status(Pending, Cancelled, 4).deltas().waiting_seats, -4);
        let lowered = Change { from: Some(Pending), to: Pending, quantity_before: 4, quantity: 1 };
        assert_eq!((lowered.action(), lowered.deltas().waiting_seats), (Some(Action::QuantityChanged), -3));
    }

    #[test]
    fn summed_deltas_are_the_counters_of_where_the_booking_ends() {
        let path = [
            Change::new_booking(Pending, 3),
            Change { from: Some(Pending), to: Pending, quantity_before: 3, quantity: 2 },
            Change::status(Pending, Offered, 2),
            Change::status(Offered, Confirmed, 2),
            Change::status(Confirmed, Cancelled, 2),
        ];
        let total = path.iter().fold(Counted::default(), |sum, c| sum.plus(c.deltas()));
        assert_eq!(total, Counted::default());
        assert!(path.iter().all(|c| c.action().is_some()));
    }
}
