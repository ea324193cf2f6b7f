use std::time::Duration;

use super::{DeliveryError, DeliveryOutcome};

/// When a webhook whose receiver keeps failing is paused: after `failures` failed attempts in a
/// row its deliveries are held back for `pause`; once the pause is over one delivery probes
/// the receiver, and if that fails too the next pause is twice as long, up to `max_pause`. A
/// delivered attempt closes the breaker. Without it, every delivery of a dead receiver is
/// retried on its own schedule for a day: a few webhooks to a refused port made thousands of
/// attempts a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Failed attempts in a row that pause a webhook (at least 1).
    pub failures: u32,
    /// The first pause.
    pub pause: Duration,
    /// The longest pause.
    pub max_pause: Duration,
    /// The retry window ([`super::RetryPolicy::keep_trying_for`]): when a pause starts, the
    /// deliveries it holds back whose notification is older than this are given up, as their
    /// own retry would have been — a dead receiver's backlog does not wait for the probes.
    pub give_up_after: Duration,
}

/// A webhook's breaker as the store reads it, under its lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BreakerState {
    /// Failed attempts in a row.
    pub failures: u32,
    /// Pauses since its last delivered attempt: how long the next one is.
    pub pauses: u32,
    /// Whether a pause is running now (by the store's clock).
    pub paused: bool,
}

impl BreakerPolicy {
    /// The breaker after one recorded attempt that ended with `outcome`, and, when this attempt
    /// starts a pause, how long it lasts from now. A failure while paused (an attempt started
    /// before the pause) counts, but starts no pause of its own; a 410 (the webhook is disabled)
    /// and the service's own failure ([`DeliveryError::Internal`]) say nothing about the
    /// receiver and change nothing.
    #[must_use]
    pub fn after(&self, state: BreakerState, outcome: &DeliveryOutcome) -> (BreakerState, Option<Duration>) {
        match outcome {
            DeliveryOutcome::Delivered { .. } => (BreakerState::default(), None),
            DeliveryOutcome::Gone | DeliveryOutcome::Failed { error: DeliveryError::Internal, .. } => {
                (state, None)
            }
            DeliveryOutcome::Failed { .. } => {
                let failures = state.failures.saturating_add(1);
                if state.paused || failures < self.failures {
                    return (BreakerState { failures, ..state }, None);
                }
                let pauses = state.pauses.saturating_add(1);
                let doublings = (pauses - 1).min(31);
                let pause = self.pause.saturating_mul(1 << doublings).min(self.max_pause);
                (BreakerState { failures, pauses, paused: true }, Some(pause))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: BreakerPolicy = BreakerPolicy {
        failures: 3,
        pause: Duration::from_secs(60),
        max_pause: Duration::from_secs(300),
        give_up_after: Duration::from_secs(86_400),
    };

    fn failed(error: DeliveryError) -> DeliveryOutcome {
        DeliveryOutcome::Failed { error, status: None, detail: String::new() }
    }

    /// The pauses `outcomes` start, one after another, each probe made once the last pause is
    /// over.
    fn pauses(outcomes: &[DeliveryOutcome]) -> (BreakerState, Vec<Option<u64>>) {
        let mut state = BreakerState::default();
        let mut started = Vec::new();
        for outcome in outcomes {
            let (next, pause) = POLICY.after(BreakerState { paused: false, ..state }, outcome);
            state = next;
            started.push(pause.map(|p| p.as_secs()));
        }
        (state, started)
    }

    #[test]
    fn failures_in_a_row_pause_for_longer_each_time_up_to_the_longest() {
        let timeout = failed(DeliveryError::Timeout);
        let (state, started) = pauses(&vec![timeout; 7]);
        assert_eq!(started, [None, None, Some(60), Some(120), Some(240), Some(300), Some(300)]);
        assert_eq!(state, BreakerState { failures: 7, pauses: 5, paused: true });
    }

    #[test]
    fn a_delivery_closes_the_breaker() {
        let refused = failed(DeliveryError::Unreachable);
        let (state, started) =
            pauses(&[refused.clone(), refused.clone(), DeliveryOutcome::Delivered { status: 200 }, refused]);
        assert_eq!(started, [None, None, None, None]);
        assert_eq!(state, BreakerState { failures: 1, pauses: 0, paused: false });
    }

    #[test]
    fn attempts_that_end_during_a_pause_count_but_pause_no_longer() {
        let paused = BreakerState { failures: 3, pauses: 1, paused: true };
        assert_eq!(
            POLICY.after(paused, &failed(DeliveryError::Tls)),
            (BreakerState { failures: 4, pauses: 1, paused: true }, None)
        );
    }

    #[test]
    fn a_gone_receiver_and_the_services_own_failure_say_nothing_of_the_receiver() {
        let state = BreakerState { failures: 2, pauses: 0, paused: false };
        assert_eq!(POLICY.after(state, &DeliveryOutcome::Gone), (state, None));
        assert_eq!(POLICY.after(state, &failed(DeliveryError::Internal)), (state, None));
        let (_, pause) = POLICY.after(state, &failed(DeliveryError::HttpStatus));
        assert_eq!(pause, Some(Duration::from_secs(60)));
    }
}
