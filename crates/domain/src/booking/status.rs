use crate::words::stored_words;

stored_words! {
    /// Where a booking stands. Stored as the original service's upper-case words.
    pub enum BookingStatus, unknown: UnknownStatus ("booking status") {
        /// Holds a seat.
        Confirmed => "CONFIRMED",
        /// Waits in line for one.
        Pending => "PENDING",
        /// Ended; kept as history.
        Cancelled => "CANCELLED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_stored_word() {
        for status in [BookingStatus::Confirmed, BookingStatus::Pending, BookingStatus::Cancelled] {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("WAITING".parse::<BookingStatus>().is_err());
    }
}
