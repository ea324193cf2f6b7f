use std::fmt;

/// A ticket price in integer minor units (cents), so no amount is ever rounded by a float.
///
/// Zero is allowed: free events exist (the original's own demo data has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Price(i64);

/// Why a price was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("price must not be negative")]
    /// Below zero.
    Negative,
    #[error("price must have at most 2 decimal places")]
    /// More than two decimal places: cents are the smallest unit.
    TooPrecise,
    #[error("price is too large")]
    /// Above [`Price::MAX_CENTS`], where it would no longer be exact as a JSON number.
    TooLarge,
    #[error("price must be a number")]
    /// Not a number at all.
    NotANumber,
}

impl Price {
    /// Below 2^53, so every price is also exact where it travels as an IEEE double.
    pub const MAX_CENTS: i64 = 1_000_000_000_000_000;

    /// # Errors
    /// [`PriceError::Negative`] or [`PriceError::TooLarge`].
    pub const fn from_cents(cents: i64) -> Result<Self, PriceError> {
        if cents < 0 {
            Err(PriceError::Negative)
        } else if cents > Self::MAX_CENTS {
            Err(PriceError::TooLarge)
        } else {
            Ok(Self(cents))
        }
    }

    /// Parses a decimal literal exactly (`1000`, `19.99`, `12.5`, `1.5e2`, `-0`), without going
    /// through a float.
    ///
    /// # Errors
    /// [`PriceError`] for a negative amount, more than two decimal places, an amount above
    /// [`Price::MAX_CENTS`], or text that is not a number.
    pub fn parse(raw: &str) -> Result<Self, PriceError> {
        let (negative, body) = raw.strip_prefix('-').map_or((false, raw), |rest| (true, rest));
        let (mantissa, exponent) = match body.split_once(['e', 'E']) {
            Some((mantissa, exp)) => {
                let exp = exp.strip_prefix('+').unwrap_or(exp);
                (mantissa, exp.parse::<i32>().map_err(|_| PriceError::NotANumber)?)
            }
            None => (body, 0),
        };
        let (int_part, frac_part) = match mantissa.split_once('.') {
            Some((_, "")) => return Err(PriceError::NotANumber),
            Some(parts) => parts,
            None => (mantissa, ""),
        };
        let is_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int_part.is_empty() || !is_digits(int_part) || !is_digits(frac_part) {
            return Err(PriceError::NotANumber);
        }

        // value = digits × 10^(exponent − frac_len); cents = value × 100.
        let digits = format!("{int_part}{frac_part}");
        let mut digits = digits.trim_start_matches('0');
        let frac_len = i64::try_from(frac_part.len()).map_err(|_| PriceError::TooPrecise)?;
        let mut shift = 2 + i64::from(exponent) - frac_len;
        if digits.is_empty() {
            return Ok(Self(0));
        }
        if shift < 0 {
            let drop = usize::try_from(-shift).map_err(|_| PriceError::TooPrecise)?;
            let kept = digits.len().checked_sub(drop).ok_or(PriceError::TooPrecise)?;
            let (head, tail) = digits.split_at(kept);
            if head.is_empty() || !tail.bytes().all(|b| b == b'0') {
                return Err(PriceError::TooPrecise);
            }
            digits = head;
            shift = 0;
        }
        if i64::try_from(digits.len()).map_or(true, |len| len + shift > 16) {
            return Err(PriceError::TooLarge);
        }
        let cents = digits
            .parse::<i64>()
            .ok()
            .and_then(|n| 10_i64.checked_pow(u32::try_from(shift).ok()?).and_then(|p| n.checked_mul(p)))
            .ok_or(PriceError::TooLarge)?;
        if negative {
            return Err(PriceError::Negative);
        }
        Self::from_cents(cents)
    }

    #[must_use]
    /// The price in cents, as it is stored.
    pub const fn cents(self) -> i64 {
        self.0
    }
}

/// The shortest exact decimal: `1000`, `12.5`, `19.99`.
impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, rest) = (self.0 / 100, self.0 % 100);
        match rest {
            0 => write!(f, "{whole}"),
            r if r % 10 == 0 => write!(f, "{whole}.{}", r / 10),
            r => write!(f, "{whole}.{r:02}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cents(raw: &str) -> Result<i64, PriceError> {
        Price::parse(raw).map(Price::cents)
    }

    #[test]
    fn whole_and_decimal_amounts_are_kept_exactly() {
        assert_eq!(cents("1000"), Ok(100_000));
        assert_eq!(cents("19.99"), Ok(1999));
        assert_eq!(cents("0.1"), Ok(10));
        assert_eq!(cents("12.50"), Ok(1250));
        assert_eq!(cents("0"), Ok(0));
        assert_eq!(cents("-0"), Ok(0));
    }

    #[test]
    fn exponent_notation_is_understood() {
        assert_eq!(cents("1.5e2"), Ok(15_000));
        assert_eq!(cents("1E+3"), Ok(100_000));
        assert_eq!(cents("1999e-2"), Ok(1999));
        assert_eq!(cents("12.300e-1"), Ok(123));
    }

    #[test]
    fn more_than_two_decimal_places_are_rejected_unless_they_are_zeros() {
        assert_eq!(cents("0.001"), Err(PriceError::TooPrecise));
        assert_eq!(cents("19.999"), Err(PriceError::TooPrecise));
        assert_eq!(cents("1e-3"), Err(PriceError::TooPrecise));
        assert_eq!(cents("10.500"), Ok(1050));
    }

    #[test]
    fn negative_amounts_are_rejected() {
        assert_eq!(cents("-1"), Err(PriceError::Negative));
        assert_eq!(cents("-0.5"), Err(PriceError::Negative));
        assert_eq!(Price::from_cents(-1), Err(PriceError::Negative));
    }

    #[test]
    fn absurd_amounts_are_rejected_rather_than_wrapped() {
        assert_eq!(cents("1e300"), Err(PriceError::TooLarge));
        assert_eq!(cents("99999999999999999999"), Err(PriceError::TooLarge));
        assert_eq!(cents("10000000000000.01"), Err(PriceError::TooLarge));
    }

    #[test]
    fn text_that_is_not_a_number_is_rejected() {
        for raw in ["", "abc", "1.", ".5", "1.2.3", "1e", "0x10", " 1", "1,5"] {
            assert_eq!(cents(raw), Err(PriceError::NotANumber), "{raw:?}");
        }
    }

    #[test]
    fn a_price_displays_as_its_shortest_exact_decimal() {
        let shown = |c| Price::from_cents(c).map(|p| p.to_string());
        assert_eq!(shown(100_000), Ok("1000".to_owned()));
        assert_eq!(shown(1250), Ok("12.5".to_owned()));
        assert_eq!(shown(1999), Ok("19.99".to_owned()));
        assert_eq!(shown(5), Ok("0.05".to_owned()));
    }
}
