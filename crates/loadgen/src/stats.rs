//! Latency percentiles and answer counts for one timed phase.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::api::Reply;

/// What one timed phase measured.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PhaseReport {
    pub name: String,
    pub requests: usize,
    pub elapsed_s: f64,
    pub throughput_rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Answers by HTTP status, and `transport` for requests that got none.
    pub answers: BTreeMap<String, usize>,
    /// 5xx answers and transport failures (after any retries).
    pub failures: usize,
    /// Requests that were sent more than once before their answer (retried writes).
    pub retried: usize,
}

impl PhaseReport {
    #[must_use]
    pub fn from_replies<'a>(
        name: &str,
        replies: impl IntoIterator<Item = &'a Reply>,
        elapsed: Duration,
    ) -> Self {
        let mut latencies_us: Vec<u128> = Vec::new();
        let mut answers = BTreeMap::new();
        let (mut failures, mut retried) = (0, 0);
        for reply in replies {
            latencies_us.push(reply.latency.as_micros());
            if reply.attempts > 1 {
                retried += 1;
            }
            let key = match &reply.status {
                Ok(status) => {
                    if *status >= 500 {
                        failures += 1;
                    }
                    status.to_string()
                }
                Err(_) => {
                    failures += 1;
                    "transport".to_owned()
                }
            };
            *answers.entry(key).or_insert(0) += 1;
        }
        latencies_us.sort_unstable();
        let ms = |p: f64| percentile(&latencies_us, p).map_or(0.0, micros_to_ms);
        let requests = latencies_us.len();
        let elapsed_s = elapsed.as_secs_f64();
        Self {
            name: name.to_owned(),
            requests,
            elapsed_s,
            throughput_rps: if elapsed_s > 0.0 { count_to_f64(requests) / elapsed_s } else { 0.0 },
            p50_ms: ms(50.0),
            p95_ms: ms(95.0),
            p99_ms: ms(99.0),
            max_ms: latencies_us.last().map_or(0.0, |us| micros_to_ms(*us)),
            answers,
            failures,
            retried,
        }
    }
}

/// Nearest-rank percentile of sorted values.
#[must_use]
pub fn percentile(sorted: &[u128], p: f64) -> Option<u128> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p / 100.0 * count_to_f64(sorted.len())).ceil();
    let index = format!("{rank:.0}").parse::<usize>().unwrap_or(1).clamp(1, sorted.len()) - 1;
    sorted.get(index).copied()
}

pub fn micros_to_ms(us: u128) -> f64 {
    f64::from(u32::try_from(us).unwrap_or(u32::MAX)) / 1000.0
}

fn count_to_f64(n: usize) -> f64 {
    f64::from(u32::try_from(n).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: Result<u16, String>, ms: u64) -> Reply {
        Reply {
            status,
            body: serde_json::Value::Null,
            latency: Duration::from_millis(ms),
            retry_after: None,
            attempts: 1,
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<u128> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), Some(50));
        assert_eq!(percentile(&values, 99.0), Some(99));
        assert_eq!(percentile(&values, 100.0), Some(100));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn a_phase_counts_answers_failures_and_throughput() {
        let replies = [
            reply(Ok(201), 10),
            reply(Ok(201), 20),
            reply(Ok(400), 30),
            reply(Ok(503), 40),
            reply(Err("refused".into()), 50),
        ];
        let phase = PhaseReport::from_replies("book", &replies, Duration::from_secs(2));
        assert_eq!(phase.requests, 5);
        assert_eq!(phase.failures, 2, "the 503 and the transport failure");
        assert_eq!(phase.answers.get("201"), Some(&2));
        assert_eq!(phase.answers.get("transport"), Some(&1));
        assert!((phase.throughput_rps - 2.5).abs() < 1e-9);
        assert!((phase.p50_ms - 30.0).abs() < 1e-9);
        assert!((phase.max_ms - 50.0).abs() < 1e-9);
    }
}
