use std::fmt;
use std::str::FromStr;

/// Whether an event is still sold: the organizer may call it off, after which nobody can book
/// it. Stored as the upper-case words the API shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventStatus {
    OnSale,
    Cancelled,
}

/// A stored or requested sale status this code does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event status {0:?}")]
pub struct UnknownEventStatus(pub String);

impl EventStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::OnSale => "ON_SALE",
            Self::Cancelled => "CANCELLED",
        }
    }
}

impl FromStr for EventStatus {
    type Err = UnknownEventStatus;

    fn from_str(s: &str) -> Result<Self, UnknownEventStatus> {
        match s {
            "ON_SALE" => Ok(Self::OnSale),
            "CANCELLED" => Ok(Self::Cancelled),
            other => Err(UnknownEventStatus(other.to_owned())),
        }
    }
}

impl fmt::Display for EventStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
