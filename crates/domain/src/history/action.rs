use crate::booking::BookingStatus;
use crate::words::stored_words;

stored_words! {
    /// What a history entry records. A booking's entries name its change of status (or of
    /// quantity, or of its offer's deadline); an event's, its creation, a new ticket limit, or
    /// its cancellation.
    pub enum Action, unknown: UnknownAction ("history action") {
        /// The event was put on sale.
        Created => "created",
        /// The booking as it stood when history began to be kept.
        Imported => "imported",
        /// A new booking took its seats.
        Booked => "booked",
        /// A new booking joined the line.
        Waitlisted => "waitlisted",
        /// A waiting booking was served its seats, confirmed.
        Promoted => "promoted",
        /// A waiting booking was served its seats, held until a deadline.
        Offered => "offered",
        /// An offer was accepted before its deadline.
        Accepted => "accepted",
        /// An offer was turned down.
        Declined => "declined",
        /// An offer's deadline passed.
        Expired => "expired",
        /// A live booking was cancelled (by its holder, the organizer, or with its event).
        Cancelled => "cancelled",
        /// A waiting booking now waits for fewer seats.
        QuantityChanged => "quantity_changed",
        /// An open offer's deadline moved earlier with its event's date.
        DeadlineMoved => "deadline_moved",
        /// The event's ticket limit changed.
        LimitChanged => "limit_changed",
        /// The event was called off.
        EventCancelled => "event_cancelled",
    }
}

impl Action {
    /// Every action, for those who list or test them all.
    pub const ALL: [Self; 14] = [
        Self::Created,
        Self::Imported,
        Self::Booked,
        Self::Waitlisted,
        Self::Promoted,
        Self::Offered,
        Self::Accepted,
        Self::Declined,
        Self::Expired,
        Self::Cancelled,
        Self::QuantityChanged,
        Self::DeadlineMoved,
        Self::LimitChanged,
        Self::EventCancelled,
    ];

    /// The action a booking's change from `from` (none: a new booking) to `to` is, `resized`
    /// when its quantity changed too; `None` for a change its state machine does not allow.
    /// This is the state machine: the integrity check holds every booking's entries to it.
    #[must_use]
    pub const fn of(from: Option<BookingStatus>, to: BookingStatus, resized: bool) -> Option<Self> {
        use BookingStatus::{Cancelled, Confirmed, Declined, Expired, Offered, Pending};
        Some(match (from, to) {
            (None, Confirmed) => Self::Booked,
            (None, Pending) => Self::Waitlisted,
            (Some(Pending), Confirmed) => Self::Promoted,
            (Some(Pending), Offered) => Self::Offered,
            (Some(Offered), Confirmed) if !resized => Self::Accepted,
            (Some(Offered), Declined) if !resized => Self::Declined,
            (Some(Offered), Expired) if !resized => Self::Expired,
            (Some(Offered), Offered) if !resized => Self::DeadlineMoved,
            (Some(Confirmed | Pending | Offered), Cancelled) if !resized => Self::Cancelled,
            (Some(Pending), Pending) if resized => Self::QuantityChanged,
            _ => return None,
        })
    }

    /// Whether the entry is about the event rather than one of its bookings.
    #[must_use]
    pub const fn is_event_wide(self) -> bool {
        matches!(self, Self::Created | Self::LimitChanged | Self::EventCancelled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use BookingStatus::{Cancelled, Confirmed, Declined, Expired, Offered, Pending};

    #[test]
    fn every_action_round_trips_through_its_stored_word() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse(), Ok(action));
        }
        assert!("deleted".parse::<Action>().is_err());
    }

    #[test]
    fn a_booking_starts_booked_or_waiting_and_ends_once() {
        assert_eq!(Action::of(None, Confirmed, false), Some(Action::Booked));
        assert_eq!(Action::of(None, Pending, false), Some(Action::Waitlisted));
        assert_eq!(Action::of(None, Cancelled, false), None);
        assert_eq!(Action::of(None, Offered, false), None);
        for ended in [Cancelled, Declined, Expired] {
            for to in BookingStatus::ALL {
                assert_eq!(Action::of(Some(ended), to, false), None, "{ended} to {to}");
            }
        }
    }

    #[test]
    fn only_a_waiting_booking_is_served_or_resized_and_only_an_offer_answered() {
        assert_eq!(Action::of(Some(Pending), Confirmed, false), Some(Action::Promoted));
        assert_eq!(Action::of(Some(Pending), Offered, false), Some(Action::Offered));
        assert_eq!(Action::of(Some(Pending), Pending, true), Some(Action::QuantityChanged));
        assert_eq!(Action::of(Some(Pending), Pending, false), None);
        assert_eq!(Action::of(Some(Offered), Confirmed, false), Some(Action::Accepted));
        assert_eq!(Action::of(Some(Offered), Declined, false), Some(Action::Declined));
        assert_eq!(Action::of(Some(Offered), Expired, false), Some(Action::Expired));
        assert_eq!(Action::of(Some(Confirmed), Pending, false), None);
        assert_eq!(Action::of(Some(Confirmed), Offered, false), None);
        assert_eq!(Action::of(Some(Pending), Declined, false), None);
        assert_eq!(Action::of(Some(Confirmed), Confirmed, true), None);
    }

    #[test]
    fn every_live_booking_may_be_cancelled() {
        for from in [Confirmed, Pending, Offered] {
            assert_eq!(Action::of(Some(from), Cancelled, false), Some(Action::Cancelled));
        }
    }
}
