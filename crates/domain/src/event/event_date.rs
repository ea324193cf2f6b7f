use std::fmt;

use chrono::NaiveDate;

/// The calendar day an event takes place, written `YYYY-MM-DD` on the wire.
///
/// Past dates are allowed: the original service accepted them and its clients create them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventDate(NaiveDate);

/// Text that is not a real `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("date must be a real calendar date written YYYY-MM-DD, got {0:?}")]
pub struct EventDateError(pub String);

impl EventDate {
    /// Parses exactly `YYYY-MM-DD` (no time, no single-digit month or day).
    ///
    /// # Errors
    /// [`EventDateError`] for any other shape or a day that does not exist (`2023-02-29`).
    pub fn parse(raw: &str) -> Result<Self, EventDateError> {
        let shape_ok = raw.len() == 10
            && raw
                .bytes()
                .enumerate()
                .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
        if !shape_ok {
            return Err(EventDateError(raw.to_owned()));
        }
        NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(Self).map_err(|_| EventDateError(raw.to_owned()))
    }

    #[must_use]
    pub const fn from_naive(date: NaiveDate) -> Self {
        Self(date)
    }

    #[must_use]
    pub const fn naive(self) -> NaiveDate {
        self.0
    }
}

impl fmt::Display for EventDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_date_round_trips_through_text() {
        assert_eq!(EventDate::parse("2021-12-31").map(|d| d.to_string()), Ok("2021-12-31".to_owned()));
    }

    #[test]
    fn a_day_that_does_not_exist_is_rejected() {
        assert!(EventDate::parse("2023-02-29").is_err());
        assert!(EventDate::parse("2024-02-29").is_ok());
    }

    #[test]
    fn other_shapes_are_rejected() {
        for raw in ["2021-1-5", "2021-12-31T00:00:00Z", "31-12-2021", "", "abcd-ef-gh"] {
            assert!(EventDate::parse(raw).is_err(), "{raw} was accepted");
        }
    }
}
