use crate::words::stored_words;

stored_words! {
    /// Where a booking stands. Stored as the original service's upper-case words, and the words
    /// offers added.
    pub enum BookingStatus, unknown: UnknownStatus ("booking status") {
        /// Holds its seats.
        Confirmed => "CONFIRMED",
        /// Waits in line for them.
        Pending => "PENDING",
        /// Ended by its holder, the organizer, or with its event; kept as history.
        Cancelled => "CANCELLED",
        /// Served from the line of an event that offers seats: they are held for it until its
        /// deadline, and it is confirmed only if its holder accepts before then.
        Offered => "OFFERED",
        /// An offer its holder did not accept in time; its seats went on down the line.
        Expired => "EXPIRED",
        /// An offer its holder turned down; its seats went on down the line.
        Declined => "DECLINED",
    }
}

impl BookingStatus {
    /// Every status, for those who list or test them all.
    pub const ALL: [Self; 6] =
        [Self::Confirmed, Self::Pending, Self::Cancelled, Self::Offered, Self::Expired, Self::Declined];

    /// Whether the booking still counts for its user (I2: one live booking per user and event).
    #[must_use]
    pub const fn is_live(self) -> bool {
        matches!(self, Self::Confirmed | Self::Pending | Self::Offered)
    }

    /// Whether its seats are taken from the event's (I1: confirmed and offered).
    #[must_use]
    pub const fn holds_seats(self) -> bool {
        matches!(self, Self::Confirmed | Self::Offered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_stored_word() {
        for status in BookingStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("WAITING".parse::<BookingStatus>().is_err());
    }

    #[test]
    fn an_offer_holds_seats_and_counts_as_live_until_it_ends() {
        let live: Vec<_> = BookingStatus::ALL.into_iter().filter(|s| s.is_live()).collect();
        let seated: Vec<_> = BookingStatus::ALL.into_iter().filter(|s| s.holds_seats()).collect();
        use BookingStatus::{Confirmed, Offered, Pending};
        assert_eq!(live, [Confirmed, Pending, Offered]);
        assert_eq!(seated, [Confirmed, Offered]);
    }
}
