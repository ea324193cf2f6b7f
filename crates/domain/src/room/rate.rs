use std::fmt;

/// How many places a room reaches per second: 1 to 100 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdmissionRate(u32);

/// A rate outside `1..=100_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an admission rate is 1 to {max} places a second, got {0}", max = AdmissionRate::MAX)]
pub struct AdmissionRateError(pub i64);

impl AdmissionRate {
    /// The fastest a room admits: far beyond what one event's bookings can take.
    pub const MAX: u32 = 100_000;

    /// # Errors
    /// [`AdmissionRateError`] outside `1..=100_000`.
    pub fn new(raw: i64) -> Result<Self, AdmissionRateError> {
        match u32::try_from(raw) {
            Ok(rate) if (1..=Self::MAX).contains(&rate) => Ok(Self(rate)),
            _ => Err(AdmissionRateError(raw)),
        }
    }

    /// Places a second.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for AdmissionRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_one_to_a_hundred_thousand_a_second() {
        assert_eq!(AdmissionRate::new(1).map(AdmissionRate::get), Ok(1));
        assert_eq!(AdmissionRate::new(100_000).map(AdmissionRate::get), Ok(100_000));
        for bad in [0, -1, 100_001, i64::MAX] {
            assert_eq!(AdmissionRate::new(bad), Err(AdmissionRateError(bad)));
        }
    }
}
