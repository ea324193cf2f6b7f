//! A randomized run against one event for a while: `users` buyers, `concurrency` at a time,
//! book groups of one to `max_quantity` seats, cancel, lower a waiting booking's quantity, and
//! the organizer moves the ticket limit up and down — on every instance at once. On an event
//! that offers seats (`offer_window_seconds`), a buyer holding a booking answers it a quarter
//! of the time (accepting or declining whatever is offered), and one buyer in four, once
//! booked, only reads their booking (so what they are offered lapses); with `cancel_at_end`,
//! the organizer calls the event off once the clients stop. Nothing is known in advance about
//! who ends up with a seat; what is checked afterwards is that every invariant holds (by SQL,
//! when a database is given) and that every answer was one the API may give for such a
//! request. Seeded: the seed is in the report, and `--seed` replays the
//! same choices (not the same interleaving).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use crate::api::{Api, Reply};
use crate::provision::{self, Buyer, Provisioning};
use crate::stats::PhaseReport;

/// The run's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Mixed {
    pub users: usize,
    pub capacity: u32,
    pub max_quantity: u32,
    pub overtake_limit: u32,
    pub concurrency: usize,
    pub duration: Duration,
    pub seed: u64,
    /// The event offers freed seats for this long (10 to 604 800 seconds), else confirms them.
    pub offer_window_seconds: Option<u32>,
    /// The organizer calls the event off when the run ends.
    pub cancel_at_end: bool,
}

/// What happened.
#[derive(Debug)]
pub struct MixedRun {
    pub event: i64,
    pub phase: PhaseReport,
    /// Answers the API must never give to these requests (a 5xx, a 400 to a well-formed one).
    pub unexpected: Vec<String>,
}

/// What a buyer last heard of their booking, as far as this client knows (another client's
/// cancel may have served it since).
#[derive(Debug, Clone, Copy, Default)]
struct Known {
    booking: Option<i64>,
    quantity: u32,
}

/// A small, seeded generator: the scenario needs reproducible choices, not cryptography.
#[derive(Debug, Clone)]
struct Choices(u64);

impl Choices {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// # Errors
/// When provisioning fails.
pub async fn run(api: &Api, cfg: Mixed, provisioning: Provisioning<'_>) -> anyhow::Result<MixedRun> {
    anyhow::ensure!(cfg.users > 0, "a mixed run needs at least one user");
    let run = provision::run_id();
    let organizer =
        provision::buyers(api, &format!("{run}-organizer"), 1, Provisioning::one()).await?.remove(0);
    let buyers = Arc::new(provision::buyers(api, &run, cfg.users, provisioning).await?);
    anyhow::ensure!(!buyers.is_empty(), "no buyers were provisioned");
    let mut body = json!({
        "name": "Mixed load", "description": "Groups, cancels and limit changes", "date": "2027-12-31",
        "location": "Loopback", "ticketLimit": cfg.capacity, "price": 10,
        "maxPerBooking": cfg.max_quantity.max(1), "overtakeLimit": cfg.overtake_limit,
    });
    if let Some(window) = cfg.offer_window_seconds {
        body["promotion"] = json!("offer");
        body["offerWindowSeconds"] = json!(window);
    }
    let created = api.post(0, "/initialize", &body, Some(&organizer.token)).await;
    anyhow::ensure!(created.is(201), "creating the event: {:?} {}", created.status, created.body);
    let event = created.body["event"]["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no event id"))?;

    let known = (0..cfg.users).map(|_| Mutex::new(Known::default())).collect();
    let stage = Arc::new(Stage { api: api.clone(), cfg, event, buyers, known, organizer });
    let deadline = Instant::now() + cfg.duration;
    let started = Instant::now();
    let mut workers = Vec::with_capacity(cfg.concurrency);
    for worker in 0..cfg.concurrency.max(1) {
        let stage = stage.clone();
        let stream = 0x9E37_79B9_7F4A_7C15_u64.wrapping_mul(u64::try_from(worker).unwrap_or(0) + 1);
        let mut choices = Choices((cfg.seed ^ stream) | 1);
        workers.push(tokio::spawn(async move {
            let mut replies: Vec<(&'static str, Reply)> = Vec::new();
            let mut n = worker;
            while Instant::now() < deadline {
                n += cfg.concurrency.max(1);
                replies.push(stage.step(n, &mut choices).await);
            }
            replies
        }));
    }
    let mut replies = Vec::new();
    for worker in workers {
        replies.extend(worker.await?);
    }
    let elapsed = started.elapsed();
    let unexpected: Vec<String> = replies
        .iter()
        .filter(|(action, reply)| !expected(action, reply))
        .map(|(action, reply)| format!("{action}: {:?} {}", reply.status, reply.body))
        .collect();
    let mut unexpected = unexpected;
    let mut all: Vec<Reply> = replies.into_iter().map(|(_, reply)| reply).collect();
    if cfg.cancel_at_end {
        let called_off =
            api.write(0, &format!("/events/{event}/cancel"), &json!({}), Some(&stage.organizer.token)).await;
        if !called_off.is(200) {
            unexpected.push(format!("calling the event off: {:?} {}", called_off.status, called_off.body));
        }
        all.push(called_off);
    }
    let mut phase = PhaseReport::from_replies("mixed", &all, elapsed);
    // Refusals the rules call for (a second booking, a quantity that no longer fits, a cancel
    // of nothing) are answers here, not failures; what is not is in `unexpected`.
    phase.failures = unexpected.len();
    Ok(MixedRun { event, phase, unexpected })
}

/// What every worker of the run shares.
struct Stage {
    api: Api,
    cfg: Mixed,
    event: i64,
    buyers: Arc<Vec<Buyer>>,
    known: Vec<Mutex<Known>>,
    organizer: Buyer,
}

impl Stage {
    /// One random action by a random buyer (or the organizer); request `n` of the run.
    async fn step(&self, n: usize, choices: &mut Choices) -> (&'static str, Reply) {
        let (api, cfg, event) = (&self.api, self.cfg, self.event);
        let roll = choices.below(100);
        if roll < 5 {
            let spread = u64::from(cfg.capacity / 5).max(1);
            let limit = u64::from(cfg.capacity) - spread + choices.below(2 * spread + 1);
            let body = json!({"ticketLimit": limit});
            return ("limit", api.patch(n, &format!("/events/{event}"), &body, &self.organizer.token).await);
        }
        let who = usize::try_from(choices.below(u64::try_from(self.buyers.len()).unwrap_or(1))).unwrap_or(0);
        let (buyer, state) = (&self.buyers[who % self.buyers.len()], &self.known[who % self.known.len()]);
        let mut state = state.lock().await;
        // On an event that offers, one buyer in four books and then only reads their booking:
        // whatever they are offered lapses.
        if cfg.offer_window_seconds.is_some()
            && who % 4 == 0
            && let Some(booking) = state.booking
        {
            return ("read", api.get_as(n, &format!("/bookings/{booking}"), &buyer.token).await);
        }
        let quantity = 1 + u32::try_from(choices.below(u64::from(cfg.max_quantity.max(1)))).unwrap_or(0);
        let token = Some(buyer.token.as_str());
        if cfg.offer_window_seconds.is_some()
            && (30..55).contains(&roll)
            && let Some(booking) = state.booking
        {
            let verb = if roll < 42 { "accept" } else { "decline" };
            let reply = api.write(n, &format!("/bookings/{booking}/{verb}"), &json!({}), token).await;
            if reply.is(200) && verb == "decline" {
                *state = Known::default();
            }
            return ("answer", reply);
        }
        if roll < 55 {
            let reply = api.write(n, "/book", &json!({"eventId": event, "quantity": quantity}), token).await;
            if reply.is(201) {
                *state = Known {
                    booking: reply.body["booking"]["id"].as_i64(),
                    quantity: reply.body["booking"]["quantity"]
                        .as_u64()
                        .and_then(|q| u32::try_from(q).ok())
                        .unwrap_or(quantity),
                };
            }
            return ("book", reply);
        }
        match state.booking.filter(|_| roll >= 80 && state.quantity > 1) {
            Some(booking) => {
                let lower = state.quantity - 1;
                let body = json!({"quantity": lower});
                let reply = api.patch(n, &format!("/bookings/{booking}"), &body, &buyer.token).await;
                if reply.is(200) {
                    state.quantity = lower;
                }
                ("lower", reply)
            }
            None => {
                let reply = api.write(n, "/cancel", &json!({"eventId": event}), token).await;
                if reply.is(200) {
                    *state = Known::default();
                }
                ("cancel", reply)
            }
        }
    }
}

/// Whether `reply` is an answer the API may give to `action` in this run.
fn expected(action: &str, reply: &Reply) -> bool {
    let code = reply.body["code"].as_str().unwrap_or_default();
    let error = reply.body["error"].as_str().unwrap_or_default();
    match (action, &reply.status) {
        ("book", Ok(201)) | ("cancel" | "lower" | "limit" | "answer" | "read", Ok(200)) => true,
        // Nothing offered (yet, or any more), or its deadline passed; or no booking to answer.
        ("answer", Ok(409)) => matches!(code, "not_offered" | "offer_expired"),
        // Already booked or waiting (the original's 400s).
        ("book", Ok(400)) => matches!(code, "already_booked" | "already_waitlisted"),
        // A limit lowered below the quantity asked for.
        ("book", Ok(409)) => code == "quantity_over_limit",
        // No live booking of this buyer to cancel.
        ("cancel", Ok(404)) => true,
        // Served (or cancelled) since this client last heard.
        ("lower", Ok(409)) => code.contains("not_waiting") || error.contains("not waiting"),
        // A limit below the seats confirmed.
        ("limit", Ok(409)) => true,
        _ => false,
    }
}

/// The run's parameters as reported.
#[must_use]
pub fn parameters(cfg: &Mixed) -> BTreeMap<String, u64> {
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    BTreeMap::from([
        ("users".to_owned(), count(cfg.users)),
        ("capacity".to_owned(), u64::from(cfg.capacity)),
        ("max_quantity".to_owned(), u64::from(cfg.max_quantity)),
        ("overtake_limit".to_owned(), u64::from(cfg.overtake_limit)),
        ("concurrency".to_owned(), count(cfg.concurrency)),
        ("seconds".to_owned(), cfg.duration.as_secs()),
        ("seed".to_owned(), cfg.seed),
        ("offer_window_seconds".to_owned(), u64::from(cfg.offer_window_seconds.unwrap_or(0))),
        ("cancel_at_end".to_owned(), u64::from(cfg.cancel_at_end)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let (mut a, mut b) = (Choices(42), Choices(42));
        let first: Vec<u64> = (0..5).map(|_| a.below(100)).collect();
        assert_eq!(first, (0..5).map(|_| b.below(100)).collect::<Vec<_>>());
        assert!(first.iter().all(|&n| n < 100));
        assert_ne!(Choices(43).next(), Choices(42).next());
    }

    #[test]
    fn a_refusal_is_expected_only_for_its_own_reason() {
        let reply = |status, code: &str| Reply {
            status: Ok(status),
            body: json!({"code": code, "error": ""}),
            latency: Duration::ZERO,
            retry_after: None,
            attempts: 1,
        };
        for (action, status, code, ok) in [
            ("book", 400, "already_booked", true),
            ("book", 400, "already_waitlisted", true),
            ("book", 400, "invalid_request", false),
            ("book", 409, "quantity_over_limit", true),
            ("book", 409, "event_cancelled", false),
            ("lower", 409, "booking_not_waiting", true),
            ("lower", 400, "invalid_request", false),
            ("cancel", 500, "internal", false),
        ] {
            assert_eq!(expected(action, &reply(status, code)), ok, "{action} {status} {code}");
        }
    }
}
