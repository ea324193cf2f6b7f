//! Reading variables: every parse of a setting goes through here, so every error names its
//! variable and no value of a secret is ever echoed.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use super::ConfigError;
use crate::secret::Secret;

/// The variables, through a lookup (the process environment, or a map in tests). A blank
/// value counts as unset.
pub(super) struct Vars<'a>(&'a dyn Fn(&str) -> Option<String>);

impl<'a> Vars<'a> {
    pub(super) fn new(lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self(lookup)
    }

    /// The value of `var`, if set to something other than blanks.
    pub(super) fn get(&self, var: &str) -> Option<String> {
        (self.0)(var).filter(|v| !v.trim().is_empty())
    }

    /// A secret's value.
    pub(super) fn secret(&self, var: &str) -> Option<Secret> {
        self.get(var).map(Secret::new)
    }

    /// `var` parsed as `T`, or `default` when unset.
    pub(super) fn parsed<T>(&self, var: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        self.get(var).map_or(Ok(default), |raw| {
            raw.trim().parse().map_err(|e: T::Err| invalid(var, &raw, &e.to_string()))
        })
    }

    /// A count that must be at least 1.
    pub(super) fn at_least_one(&self, var: &'static str, default: usize) -> Result<usize, ConfigError> {
        match self.parsed(var, default)? {
            0 => Err(invalid(var, "0", "must be at least 1")),
            n => Ok(n),
        }
    }

    /// Milliseconds, at least 1.
    pub(super) fn positive_millis(&self, var: &'static str, default: u128) -> Result<Duration, ConfigError> {
        let millis: u64 = self.parsed(var, u64::try_from(default).unwrap_or(u64::MAX))?;
        if millis == 0 {
            return Err(invalid(var, "0", "must be at least 1"));
        }
        Ok(Duration::from_millis(millis))
    }

    /// Milliseconds, 0 allowed.
    pub(super) fn millis(&self, var: &'static str, default: u64) -> Result<Duration, ConfigError> {
        Ok(Duration::from_millis(self.parsed(var, default)?))
    }

    /// Seconds, or a number with `s`, `m`, `h` or `d`.
    pub(super) fn duration(&self, var: &'static str, default: Duration) -> Result<Duration, ConfigError> {
        let Some(raw) = self.get(var) else { return Ok(default) };
        let raw = raw.trim();
        let (number, unit) = match raw.char_indices().last() {
            Some((i, 's')) => (&raw[..i], 1),
            Some((i, 'm')) => (&raw[..i], 60),
            Some((i, 'h')) => (&raw[..i], 3600),
            Some((i, 'd')) => (&raw[..i], 86_400),
            _ => (raw, 1),
        };
        match number.parse::<u64>().ok().filter(|n| *n > 0).and_then(|n| n.checked_mul(unit)) {
            Some(seconds) => Ok(Duration::from_secs(seconds)),
            None => Err(invalid(var, raw, "expected a positive number of seconds, or e.g. 30m, 1h or 7d")),
        }
    }
}

/// A variable set to something unusable.
pub(super) fn invalid(var: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { var, value: value.to_owned(), reason: reason.to_owned() }
}
