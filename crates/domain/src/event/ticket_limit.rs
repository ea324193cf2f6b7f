use std::fmt;

/// How many seats an event has: at least one, at most what the store's `int` column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketLimit(i32);

/// A ticket limit outside `1..=i32::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a ticket limit must be from 1 to {max}, got {0}", max = i32::MAX)]
pub struct TicketLimitError(pub i64);

impl TicketLimit {
    /// # Errors
    /// [`TicketLimitError`] when `raw` is below 1 or above `i32::MAX`.
    pub fn new(raw: i64) -> Result<Self, TicketLimitError> {
        match i32::try_from(raw) {
            Ok(limit) if limit >= 1 => Ok(Self(limit)),
            _ => Err(TicketLimitError(raw)),
        }
    }

    #[must_use]
    /// The number of seats.
    pub const fn get(self) -> i32 {
        self.0
    }
}

impl fmt::Display for TicketLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seat_is_the_smallest_event() {
        assert_eq!(TicketLimit::new(1).map(TicketLimit::get), Ok(1));
        assert_eq!(TicketLimit::new(0), Err(TicketLimitError(0)));
        assert_eq!(TicketLimit::new(-5), Err(TicketLimitError(-5)));
    }

    #[test]
    fn a_limit_beyond_the_column_range_is_rejected() {
        assert!(TicketLimit::new(i64::from(i32::MAX)).is_ok());
        assert!(TicketLimit::new(i64::from(i32::MAX) + 1).is_err());
    }
}
