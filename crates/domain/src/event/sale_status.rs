use crate::words::stored_words;

stored_words! {
    /// Whether an event is still sold: the organizer may call it off, after which nobody can
    /// book it. Stored as the upper-case words the API shows.
    pub enum EventStatus, unknown: UnknownEventStatus ("event status") {
        /// May be booked.
        OnSale => "ON_SALE",
        /// Called off by its organizer: every booking ended, none may be made.
        Cancelled => "CANCELLED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_stored_word() {
        for status in [EventStatus::OnSale, EventStatus::Cancelled] {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("on_sale".parse::<EventStatus>().is_err());
    }
}
