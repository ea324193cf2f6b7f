use std::fmt;

use super::Promotion;
use crate::booking::Quantity;

/// How an event sells more than one seat per booking, and serves a line of groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seating {
    /// The most seats one booking may take.
    pub max_per_booking: MaxPerBooking,
    /// How often a waiting booking that does not fit may be passed by a later one that does
    /// (see [`crate::line`]); 0, the default, is strictly first come, first served.
    pub overtake_limit: OvertakeLimit,
    /// Whether the bookings the line serves are confirmed at once or offered the seats.
    pub promotion: Promotion,
}

impl Seating {
    /// Ten seats a booking, first come, first served, confirmed at once.
    pub const DEFAULT: Self = Self {
        max_per_booking: MaxPerBooking(10),
        overtake_limit: OvertakeLimit(0),
        promotion: Promotion::Instant,
    };
}

impl Default for Seating {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The most seats one booking of an event may take: 1 to [`Quantity::MAX`], 10 by default
/// (what the ticketing services people compare us with allow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MaxPerBooking(u32);

/// A per-booking maximum outside `1..=Quantity::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("at most 1 to {max} seats per booking, not {0}", max = Quantity::MAX)]
pub struct MaxPerBookingError(pub i64);

impl MaxPerBooking {
    /// # Errors
    /// [`MaxPerBookingError`] below 1 or above [`Quantity::MAX`].
    pub fn new(raw: i64) -> Result<Self, MaxPerBookingError> {
        Quantity::new(raw).map(|q| Self(q.get())).map_err(|_| MaxPerBookingError(raw))
    }

    #[must_use]
    /// The number of seats.
    pub const fn get(self) -> u32 {
        self.0
    }

    #[must_use]
    /// Whether one booking may take `quantity` seats.
    pub const fn allows(self, quantity: Quantity) -> bool {
        quantity.get() <= self.0
    }
}

impl Default for MaxPerBooking {
    fn default() -> Self {
        Seating::DEFAULT.max_per_booking
    }
}

impl fmt::Display for MaxPerBooking {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// How often one waiting booking may be passed: 0 to [`OvertakeLimit::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OvertakeLimit(u32);

/// An overtake limit outside `0..=OvertakeLimit::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a booking may be passed 0 to {max} times, not {0}", max = OvertakeLimit::MAX)]
pub struct OvertakeLimitError(pub i64);

impl OvertakeLimit {
    /// The largest limit: beyond it a group could wait for ever behind a stream of singles.
    pub const MAX: u32 = 100;

    /// # Errors
    /// [`OvertakeLimitError`] below 0 or above [`Self::MAX`].
    pub fn new(raw: i64) -> Result<Self, OvertakeLimitError> {
        match u32::try_from(raw) {
            Ok(k) if k <= Self::MAX => Ok(Self(k)),
            _ => Err(OvertakeLimitError(raw)),
        }
    }

    #[must_use]
    /// The number of times.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for OvertakeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_seats_a_booking_and_first_come_first_served_unless_told_otherwise() {
        let seating = Seating::default();
        assert_eq!((seating.max_per_booking.get(), seating.overtake_limit.get()), (10, 0));
        assert!(seating.max_per_booking.allows(Quantity::new(10).unwrap()));
        assert!(!seating.max_per_booking.allows(Quantity::new(11).unwrap()));
    }

    #[test]
    fn limits_are_bounded() {
        assert!(MaxPerBooking::new(0).is_err() && MaxPerBooking::new(101).is_err());
        assert!(OvertakeLimit::new(-1).is_err() && OvertakeLimit::new(101).is_err());
        assert_eq!(OvertakeLimit::new(0).map(OvertakeLimit::get), Ok(0));
    }
}
