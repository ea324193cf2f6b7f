use std::time::Duration;

/// When a failed delivery is tried again: after `base`, doubling each time up to `max_delay`,
/// for as long as the notification is younger than `keep_trying_for`; then it is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the second attempt; it doubles with each failure.
    pub base: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// How long after its notification a delivery is still tried.
    pub keep_trying_for: Duration,
}

impl RetryPolicy {
    /// The contract's defaults: from 5 s, doubling to at most 6 h between tries, for 24 h.
    #[must_use]
    pub const fn with_base(base: Duration) -> Self {
        Self {
            base,
            max_delay: Duration::from_secs(6 * 3600),
            keep_trying_for: Duration::from_secs(24 * 3600),
        }
    }

    /// The wait before the next try, after `attempts` failed tries of a delivery written `age`
    /// ago; `None` to give up.
    #[must_use]
    pub fn after_failure(&self, attempts: u32, age: Duration) -> Option<Duration> {
        if age >= self.keep_trying_for {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(31);
        let delay = self.base.saturating_mul(1 << doublings).min(self.max_delay);
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn the_wait_doubles_from_the_base_up_to_the_cap() {
        let policy = RetryPolicy::with_base(5 * SECOND);
        let waits: Vec<_> = (1..=4).map(|n| policy.after_failure(n, SECOND)).collect();
        assert_eq!(waits, [Some(5 * SECOND), Some(10 * SECOND), Some(20 * SECOND), Some(40 * SECOND)]);
        assert_eq!(policy.after_failure(30, SECOND), Some(policy.max_delay));
        assert_eq!(policy.after_failure(u32::MAX, SECOND), Some(policy.max_delay));
    }

    #[test]
    fn a_delivery_is_tried_for_a_day_then_given_up() {
        let policy = RetryPolicy::with_base(5 * SECOND);
        assert!(policy.after_failure(16, Duration::from_secs(24 * 3600 - 1)).is_some());
        assert_eq!(policy.after_failure(17, Duration::from_secs(24 * 3600)), None);
    }
}
