//! The offer sweeper's pace. Correctness never depends on it (every write that takes an event's
//! guard expires its lapsed offers first, and reads show them expired): it only bounds how long
//! a lapsed offer's seats wait for the next write of their event.

use std::time::Duration;

use super::ConfigError;
use super::vars::Vars;

/// The offer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffersConfig {
    /// `OFFER_SWEEP_INTERVAL_MS`: how often each instance looks for lapsed offers to pass on;
    /// default 500 ms; `0` runs no sweeper (lapsed offers then pass on at their event's next
    /// write).
    pub sweep_every: Option<Duration>,
}

impl OffersConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let every = vars.millis("OFFER_SWEEP_INTERVAL_MS", 500)?;
        Ok(Self { sweep_every: (!every.is_zero()).then_some(every) })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::app::config::tests::config;

    #[test]
    fn offers_are_swept_twice_a_second_unless_told_otherwise() {
        assert_eq!(config(&[]).unwrap().offers.sweep_every, Some(Duration::from_millis(500)));
        let off = config(&[("OFFER_SWEEP_INTERVAL_MS", "0")]).unwrap();
        assert_eq!(off.offers.sweep_every, None);
        assert!(config(&[("OFFER_SWEEP_INTERVAL_MS", "soon")]).is_err());
    }
}
