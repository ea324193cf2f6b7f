use chrono::{DateTime, Utc};

use super::{AdmissionRate, Serving};

/// What an organizer changes in a running room: the rate, a pause, or places let in at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RoomChange {
    /// A new rate.
    pub rate: Option<AdmissionRate>,
    /// Pause (`true`) or resume (`false`).
    pub paused: Option<bool>,
    /// Places reached at once, beyond the count.
    pub admit: u64,
}

impl RoomChange {
    /// The most places one change lets in at once.
    pub const MAX_ADMIT: u64 = 1_000_000;

    /// Whether it changes anything.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rate.is_none() && self.paused.is_none() && self.admit == 0
    }

    /// The count from `now` on: rewritten at its current value, so no place reached is
    /// unreached.
    #[must_use]
    pub fn apply(&self, serving: &Serving, now: DateTime<Utc>) -> Serving {
        serving.rebased(
            now,
            self.rate.unwrap_or(serving.rate),
            self.paused.unwrap_or(serving.paused),
            self.admit,
        )
    }
}
