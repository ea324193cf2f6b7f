//! What a run prints: a table for people, or JSON for scripts.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::sql::history::HistoryCheck;

use crate::stats::PhaseReport;

#[derive(Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub instances: usize,
    pub parameters: BTreeMap<String, u64>,
    pub phases: Vec<PhaseReport>,
    /// CPU the load generator itself used, in percent of one core (status and room scenarios:
    /// on one machine, what the service did not get).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_cpu_percent: Option<f64>,
    /// Argon2id hashes a second the machine computes (login scenario): its sign-in ceiling.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashing_ceiling_per_s: Option<f64>,
    /// Webhook deliveries of the churn's event, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<WebhookReport>,
    /// What became of the offers of the offer churn's event, by SQL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offers: Option<OfferReport>,
    /// How the waiting room of the room scenario let its buyers through.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomReport>,
    /// The service's integrity check of every event after the scenario, given a database URL
    /// (its failures are violations too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryCheck>,
    /// Broken invariants and failed requests; empty on success.
    pub violations: Vec<String>,
}

/// What the churn's webhook received, and how long after the commit.
#[derive(Debug, Serialize)]
pub struct WebhookReport {
    /// Requests received (a retried notification counts each time).
    pub received: usize,
    /// Distinct notifications received.
    pub notifications: usize,
    pub promotions_received: usize,
    pub promotions_expected: usize,
    /// From the notification's `createdAt` (the database clock, when its transaction began)
    /// to its arrival at the receiver.
    pub lag_p50_ms: f64,
    pub lag_p99_ms: f64,
    pub lag_max_ms: f64,
}

/// The offer churn's offers as the database recorded them, and how long a lapsed offer's seats
/// waited for their next offer.
#[derive(Debug, Serialize)]
pub struct OfferReport {
    /// Offers made (`booking.offered` notices of the event).
    pub offered: usize,
    /// Offers accepted in time (confirmed bookings that had an offer).
    pub accepted: usize,
    /// Offers that lapsed (`EXPIRED` bookings).
    pub expired: usize,
    /// Expired offers with a next offer to measure to, and those without (the line ran out).
    pub measured: usize,
    pub without_next_offer: usize,
    /// From an expired offer's deadline to the event's next offer (both the database's clock):
    /// the sweeper's (or the next change's) delay in passing the seats on.
    pub deadline_to_next_offer_p50_ms: f64,
    pub deadline_to_next_offer_p99_ms: f64,
    pub deadline_to_next_offer_max_ms: f64,
}

/// The stampede through a waiting room, beyond its phases' latencies: how fast the room let
/// buyers through, and what they got.
#[derive(Debug, Serialize)]
pub struct RoomReport {
    /// Buyers who got a place.
    pub joined: usize,
    /// Admission tokens received.
    pub tokens: usize,
    /// Tokens over the time from the sale's start to the last one: at most the rate.
    pub tokens_per_s: f64,
    /// When the last token came, after the sale's start.
    pub last_token_after_s: f64,
    /// The least time any token came after its place was reached (below zero: before, which
    /// beyond the clocks' rounding is a violation): how close the room cut it.
    pub closest_to_reach_ms: f64,
    /// Bookings confirmed, and waitlisted (the event sold out before them).
    pub confirmed: usize,
    pub waitlisted: usize,
}

impl Report {
    #[must_use]
    pub fn ok(&self) -> bool {
        self.violations.is_empty() && self.phases.iter().all(|p| p.failures == 0)
    }

    #[must_use]
    pub fn table(&self) -> String {
        let parameters: Vec<String> = self.parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let mut out =
            format!("{} on {} instance(s), {}\n", self.scenario, self.instances, parameters.join(" "));
        out.push_str(&format!(
            "{:<8} {:>9} {:>9} {:>11} {:>8} {:>8} {:>8} {:>8}  answers\n",
            "phase", "requests", "seconds", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
        ));
        for p in &self.phases {
            let answers: Vec<String> = p.answers.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            out.push_str(&format!(
                "{:<8} {:>9} {:>9.2} {:>11.1} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}\n",
                p.name,
                p.requests,
                p.elapsed_s,
                p.throughput_rps,
                p.p50_ms,
                p.p95_ms,
                p.p99_ms,
                p.max_ms,
                answers.join(" ")
            ));
        }
        if let Some(w) = &self.webhooks {
            out.push_str(&format!(
                "webhook: {} notifications ({} requests), promotions {}/{}, lag p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n",
                w.notifications, w.received, w.promotions_received, w.promotions_expected, w.lag_p50_ms, w.lag_p99_ms, w.lag_max_ms
            ));
        }
        if let Some(o) = &self.offers {
            out.push_str(&format!(
                "offers: {} made, {} accepted, {} expired; deadline to next offer p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} measured, {} without a next offer)\n",
                o.offered, o.accepted, o.expired, o.deadline_to_next_offer_p50_ms, o.deadline_to_next_offer_p99_ms,
                o.deadline_to_next_offer_max_ms, o.measured, o.without_next_offer
            ));
        }
        if let Some(r) = &self.room {
            out.push_str(&format!(
                "room: {} joined, {} tokens at {:.1}/s, the last {:.2} s after the start, the closest {:.1} ms after its place was reached; {} confirmed, {} waitlisted\n",
                r.joined, r.tokens, r.tokens_per_s, r.last_token_after_s, r.closest_to_reach_ms, r.confirmed, r.waitlisted
            ));
        }
        if let Some(h) = &self.history {
            let verdict = if h.failures.is_empty() {
                "every check held".to_owned()
            } else {
                format!("{} FAILED", h.failures.len())
            };
            out.push_str(&format!(
                "integrity check: {} events, {} history entries: {verdict}\n",
                h.events, h.entries
            ));
        }
        if let Some(cpu) = self.client_cpu_percent {
            out.push_str(&format!("load generator CPU: {cpu:.0}% of one core\n"));
        }
        if self.violations.is_empty() {
            out.push_str("invariants: all held\n");
        } else {
            out.push_str(&format!("invariants: {} VIOLATION(S)\n", self.violations.len()));
            for v in self.violations.iter().take(20) {
                out.push_str(&format!("  - {v}\n"));
            }
        }
        out
    }
}
