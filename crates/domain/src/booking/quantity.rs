use std::fmt;

/// How many seats one booking holds or waits for, all or nothing: at least one, at most
/// [`Quantity::MAX`] (no event lets one booking take more: see
/// [`crate::event::MaxPerBooking`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quantity(u32);

/// A quantity outside `1..=Quantity::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a booking holds 1 to {max} seats, not {0}", max = Quantity::MAX)]
pub struct QuantityError(pub i64);

impl Quantity {
    /// The most seats any booking may hold.
    pub const MAX: u32 = 100;

    /// One seat: what a booking that names no quantity holds.
    pub const ONE: Self = Self(1);

    /// # Errors
    /// [`QuantityError`] below 1 or above [`Self::MAX`].
    pub fn new(raw: i64) -> Result<Self, QuantityError> {
        match u32::try_from(raw) {
            Ok(seats) if (1..=Self::MAX).contains(&seats) => Ok(Self(seats)),
            _ => Err(QuantityError(raw)),
        }
    }

    #[must_use]
    /// The number of seats.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl Default for Quantity {
    fn default() -> Self {
        Self::ONE
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_booking_holds_one_to_a_hundred_seats() {
        assert_eq!(Quantity::new(1).map(Quantity::get), Ok(1));
        assert_eq!(Quantity::new(100).map(Quantity::get), Ok(100));
        for bad in [0, -1, 101, i64::MAX] {
            assert_eq!(Quantity::new(bad), Err(QuantityError(bad)));
        }
        assert_eq!(Quantity::default(), Quantity::ONE);
    }
}
