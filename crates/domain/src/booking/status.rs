use std::fmt;
use std::str::FromStr;

/// Where a booking stands. Stored as the original service's upper-case words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BookingStatus {
    Confirmed,
    Pending,
    Cancelled,
}

/// A stored status word this code does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown booking status {0:?}")]
pub struct UnknownStatus(pub String);

impl BookingStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Confirmed => "CONFIRMED",
            Self::Pending => "PENDING",
            Self::Cancelled => "CANCELLED",
        }
    }
}

impl FromStr for BookingStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        match s {
            "CONFIRMED" => Ok(Self::Confirmed),
            "PENDING" => Ok(Self::Pending),
            "CANCELLED" => Ok(Self::Cancelled),
            other => Err(UnknownStatus(other.to_owned())),
        }
    }
}

impl fmt::Display for BookingStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
