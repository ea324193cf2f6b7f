//! The stampede through a waiting room: an event of `capacity` seats behind a room that admits
//! `rate` places a second. Every buyer joins as the sale starts, asks for its admission token
//! when the room says to (within [`MIN_POLL`] and `max_poll`), and books with it once
//! admitted; no more than `concurrency` requests are in flight at once (the clients), spread
//! over the instances. Joins, polls and books are timed apart, and the run keeps what the
//! checks of `verify::room` need: when each join was sent and answered and the place it got,
//! and when each token came and for which place.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::api::{Api, Reply};
use crate::provision::{self, Provisioning};
use crate::report::RoomReport;
use crate::stats::PhaseReport;
use crate::verify::Placed;
use crate::verify::room::{Admission, Join, Schedule};

/// A room stampede's parameters; every buyer asks for one seat.
#[derive(Debug, Clone, Copy)]
pub struct Room {
    pub capacity: u32,
    pub buyers: usize,
    pub concurrency: usize,
    /// Places the room reaches a second (1 to 100 000).
    pub rate: u32,
    /// How long after the room is set up the sale starts: enough for the request and for every
    /// buyer's task to be waiting (or the joins go late, at once).
    pub start_in: Duration,
    /// The longest a client waits between two asks for its token, whatever the room says (at
    /// least [`MIN_POLL`]): short, a token is picked up soon after its place is reached, so the
    /// rate seen is the room's rather than the polling's; long, the polls weigh less on the
    /// service (the room itself says when the place is due, 1 to 30 s).
    pub max_poll: Duration,
    /// Buyers arriving a second from the start, each joining at its moment whether or not the
    /// others were answered (an open crowd, as people arrive); `None`: all at once, as fast as
    /// the clients are answered (a closed loop, whose latency is the clients over the joins a
    /// second).
    pub arrivals: Option<u32>,
}

/// The soonest a client asks again, whatever the room says: a browser's timer, not a busy loop.
/// The room speaks in whole seconds; a client that counts down to its place asks this often
/// around it, as the clients poll every 100 to 300 ms.
pub const MIN_POLL: Duration = Duration::from_millis(100);

/// How long past the last place's reach (`buyers / rate` after the start) a buyer still waits
/// for its token before the run gives up on it.
const PATIENCE: Duration = Duration::from_secs(60);

/// The rounding between the start as sent and as the database keeps it, and of a place's reach
/// to the microsecond: the clocks themselves are one, this machine's (see [`Schedule::slack`]).
const CLOCK_SLACK: Duration = Duration::from_millis(1);

/// The header `/book` takes the admission token in, beside the login token.
const ADMISSION_HEADER: &str = "X-Admission-Token";

/// How one buyer's visit ended.
#[derive(Debug)]
pub enum Outcome {
    /// Admitted, and booked: the `/book` answer.
    Booked(Reply),
    /// The join gave no place (its answer is the visit's `join_reply`).
    NotJoined,
    /// An answer to a poll that ended the wait without a token.
    Refused(Reply),
    /// No token before the run gave up.
    GaveUp,
}

/// One buyer's way through the room.
#[derive(Debug)]
pub struct Visit {
    pub join: Join,
    pub join_reply: Reply,
    /// Every poll's answer, without its body (a large stampede polls hundreds of thousands of
    /// times).
    pub polls: Vec<Reply>,
    pub admission: Option<Admission>,
    pub outcome: Outcome,
    /// When the visit's last answer came, from the release of the joins.
    pub ended: Duration,
}

#[derive(Debug)]
pub struct RoomRun {
    pub event: i64,
    pub schedule: Schedule,
    /// By buyer.
    pub visits: Vec<Visit>,
    /// From the sale's start to the last join's answer.
    pub join_phase: PhaseReport,
    /// Every poll, from the sale's start to the last answer of the run.
    pub poll_phase: PhaseReport,
    /// Every booking of an admitted buyer, over the same span.
    pub book_phase: PhaseReport,
    /// `/status` at the end.
    pub status: Value,
    /// CPU the load generator used from the sale's start to the last answer, in percent of one
    /// core: on one machine, what the service did not get.
    pub client_cpu_percent: Option<f64>,
}

impl RoomRun {
    /// Every join.
    #[must_use]
    pub fn joins(&self) -> Vec<Join> {
        self.visits.iter().map(|v| v.join).collect()
    }

    /// Every token received.
    #[must_use]
    pub fn admissions(&self) -> Vec<Admission> {
        self.visits.iter().filter_map(|v| v.admission).collect()
    }

    /// The `/book` answers, each with its buyer.
    pub fn bookings(&self) -> impl Iterator<Item = (usize, &Reply)> {
        bookings(&self.visits)
    }

    /// Every buyer must get through: those who never booked, a few of them named.
    #[must_use]
    pub fn unbooked(&self) -> Vec<String> {
        let why: Vec<String> = self
            .visits
            .iter()
            .enumerate()
            .filter_map(|(buyer, v)| match &v.outcome {
                Outcome::Booked(_) => None,
                Outcome::NotJoined => Some(format!(
                    "buyer {buyer}: the join answered {:?} {}",
                    v.join_reply.status, v.join_reply.body
                )),
                Outcome::Refused(reply) => Some(format!(
                    "buyer {buyer} (place {:?}): a poll answered {:?} {}",
                    v.join.position, reply.status, reply.body
                )),
                Outcome::GaveUp => Some(format!(
                    "buyer {buyer} (place {:?}): no token after {} polls",
                    v.join.position,
                    v.polls.len()
                )),
            })
            .collect();
        if why.is_empty() {
            return Vec::new();
        }
        let examples: Vec<&str> = why.iter().take(5).map(String::as_str).collect();
        vec![format!(
            "{} of {} buyers never booked, e.g. {}",
            why.len(),
            self.visits.len(),
            examples.join("; ")
        )]
    }

    /// The room's figures, with `placed` the bookings read from [`RoomRun::bookings`].
    #[must_use]
    pub fn report(&self, placed: &[Placed]) -> RoomReport {
        let admissions = self.admissions();
        let since_start = |at: DateTime<Utc>| seconds(at - self.schedule.sale_starts_at);
        let last_token_after_s = admissions.iter().map(|a| since_start(a.received)).fold(0.0, f64::max);
        let closest = admissions
            .iter()
            .map(|a| seconds(a.received - self.schedule.reached_at(a.position)) * 1000.0)
            .reduce(f64::min);
        let tokens = admissions.len();
        RoomReport {
            joined: self.visits.iter().filter(|v| v.join.position.is_some()).count(),
            tokens,
            tokens_per_s: if last_token_after_s > 0.0 {
                f64::from(u32::try_from(tokens).unwrap_or(u32::MAX)) / last_token_after_s
            } else {
                0.0
            },
            last_token_after_s,
            closest_to_reach_ms: closest.unwrap_or(0.0),
            confirmed: placed.iter().filter(|p| p.confirmed).count(),
            waitlisted: placed.iter().filter(|p| !p.confirmed).count(),
        }
    }
}

/// # Errors
/// When provisioning or setting up the room fails, or a buyer's task panics.
pub async fn run(api: &Api, cfg: Room, provisioning: Provisioning<'_>) -> anyhow::Result<RoomRun> {
    let run = provision::run_id();
    let organizer = provision::buyers(api, &format!("{run}-organizer"), 1, Provisioning::one())
        .await?
        .pop()
        .context("no organizer")?;
    let buyers = Arc::new(provision::buyers(api, &run, cfg.buyers, provisioning).await?);
    let event = provision::event(api, &organizer, cfg.capacity).await?;

    // One moment read on both clocks: the wall clock's, which the database shares, for the
    // room's times; the monotonic one's for releasing the joins and timing them.
    let (opens_at, now) = (Utc::now(), Instant::now());
    let schedule = Schedule {
        sale_starts_at: opens_at + TimeDelta::from_std(cfg.start_in)?,
        rate: cfg.rate,
        slack: CLOCK_SLACK,
    };
    let release = now + cfg.start_in;
    let body = json!({
        "opensAt": opens_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "saleStartsAt": schedule.sale_starts_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "admissionsPerSecond": cfg.rate,
    });
    let room = api.put(0, &format!("/events/{event}/waiting-room"), &body, &organizer.token).await;
    anyhow::ensure!(room.is(201), "setting up the waiting room: {:?} {}", room.status, room.body);

    let buyers_count = u64::try_from(cfg.buyers).unwrap_or(u64::MAX);
    let last_reached =
        Duration::from_micros(buyers_count.saturating_mul(1_000_000) / u64::from(cfg.rate.max(1)));
    let give_up = release + last_reached + PATIENCE;
    let clients = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let tasks: Vec<_> = (0..cfg.buyers)
        .map(|n| {
            let (api, buyers, clients) = (api.clone(), buyers.clone(), clients.clone());
            tokio::spawn(async move {
                let token = buyers.get(n).map_or("", |b| b.token.as_str());
                let visitor = Visitor {
                    api: &api,
                    n,
                    event,
                    rate: cfg.rate,
                    max_poll: cfg.max_poll,
                    arrives: cfg.arrivals.map_or(Duration::ZERO, |a| {
                        let n = u64::try_from(n).unwrap_or(u64::MAX);
                        Duration::from_micros(n.saturating_mul(1_000_000) / u64::from(a.max(1)))
                    }),
                    token,
                    clients: &clients,
                };
                visitor.visit(release, give_up).await
            })
        })
        .collect();
    tokio::time::sleep_until(release.into()).await;
    let cpu_at_release = super::status::process_cpu_seconds();
    let mut visits = Vec::with_capacity(cfg.buyers);
    for task in tasks {
        visits.push(task.await?);
    }
    let client_cpu_percent = cpu_at_release
        .zip(super::status::process_cpu_seconds())
        .map(|(before, after)| (after - before) / release.elapsed().as_secs_f64() * 100.0);

    let joined = visits.iter().map(|v| v.join.answered).max().unwrap_or_default();
    let ended = visits.iter().map(|v| v.ended).max().unwrap_or_default();
    let join_phase = PhaseReport::from_replies("join", visits.iter().map(|v| &v.join_reply), joined);
    let mut poll_phase = PhaseReport::from_replies("poll", visits.iter().flat_map(|v| &v.polls), ended);
    // A 503 to a poll is the service shedding load with a `Retry-After`: to a client waiting
    // its turn, the same "ask again later" as a 202. It shows among the answers, not as a
    // failure; a transport failure or another 5xx still is one.
    poll_phase.failures =
        poll_phase.failures.saturating_sub(poll_phase.answers.get("503").copied().unwrap_or(0));
    let book_phase = PhaseReport::from_replies("book", bookings(&visits).map(|(_, reply)| reply), ended);
    let status = api.get(0, &format!("/status/{event}")).await.body;
    Ok(RoomRun { event, schedule, visits, join_phase, poll_phase, book_phase, status, client_cpu_percent })
}

/// One buyer and what it needs to get through the room.
struct Visitor<'a> {
    api: &'a Api,
    /// The buyer's index, which also picks the instance of each request.
    n: usize,
    event: i64,
    /// The room's admissions a second.
    rate: u32,
    max_poll: Duration,
    /// When, after the start, the buyer arrives.
    arrives: Duration,
    /// The login token.
    token: &'a str,
    /// A permit per request in flight: the clients.
    clients: &'a Semaphore,
}

impl Visitor<'_> {
    /// Joins at `release`, then polls until admitted (or refused, or `give_up`) and books.
    async fn visit(&self, release: Instant, give_up: Instant) -> Visit {
        tokio::time::sleep_until((release + self.arrives).into()).await;
        let (join_reply, sent, answered) = {
            // The semaphore is never closed: a permit always comes.
            let _client = self.clients.acquire().await.ok();
            let sent = Instant::now();
            let reply =
                self.api.post_again(self.n, &format!("/events/{}/queue", self.event), self.token).await;
            (reply, sent, Instant::now())
        };
        let position = if join_reply.is(201) || join_reply.is(200) {
            join_reply.body["position"].as_u64()
        } else {
            None
        };
        let join = Join {
            buyer: self.n,
            sent: sent.saturating_duration_since(release),
            answered: answered.saturating_duration_since(release),
            position,
        };
        let mut polls = Vec::new();
        let mut admission = None;
        let outcome = if position.is_some() {
            let first = answered + poll_after(&join_reply, self.rate, self.max_poll);
            self.wait_and_book(first, give_up, &mut polls, &mut admission).await
        } else {
            Outcome::NotJoined
        };
        let ended = Instant::now().saturating_duration_since(release);
        Visit { join, join_reply, polls, admission, outcome, ended }
    }

    /// Asks for the token at `due` and again when each answer says, until one comes (then
    /// books with it at once, on the same client) or the wait ends otherwise.
    async fn wait_and_book(
        &self,
        mut due: Instant,
        give_up: Instant,
        polls: &mut Vec<Reply>,
        admission: &mut Option<Admission>,
    ) -> Outcome {
        let path = format!("/events/{}/queue/token", self.event);
        loop {
            if due > give_up {
                return Outcome::GaveUp;
            }
            tokio::time::sleep_until(due.into()).await;
            let _client = self.clients.acquire().await.ok();
            // Each ask to the next instance, as a balancer spreads a browser's requests: a token
            // minted by one instance is then checked by another.
            let n = self.n + polls.len() + 1;
            let reply = self.api.post_empty(n, &path, self.token).await;
            let received = Utc::now();
            polls.push(without_body(&reply));
            match reply.status {
                Ok(200) => {
                    let (Some(signed), Some(position)) =
                        (reply.body["token"].as_str(), reply.body["position"].as_u64())
                    else {
                        return Outcome::Refused(reply);
                    };
                    *admission = Some(Admission { buyer: self.n, position, received });
                    let body = json!({"eventId": self.event});
                    let book =
                        self.api.write_with(n + 1, "/book", &body, self.token, (ADMISSION_HEADER, signed));
                    return Outcome::Booked(book.await);
                }
                // Not yet; or no answer, which a client tries again.
                Ok(202 | 408 | 429 | 500..) | Err(_) => {
                    due = Instant::now() + poll_after(&reply, self.rate, self.max_poll)
                }
                Ok(_) => return Outcome::Refused(reply),
            }
        }
    }
}

/// The `/book` answers of `visits`, each with its buyer.
fn bookings(visits: &[Visit]) -> impl Iterator<Item = (usize, &Reply)> {
    visits.iter().enumerate().filter_map(|(buyer, v)| match &v.outcome {
        Outcome::Booked(reply) => Some((buyer, reply)),
        _ => None,
    })
}

/// When to ask next: when the answer says (`Retry-After`, or the place's `pollAfterSeconds`,
/// the sooner of the two), or when the place will be reached if sooner (its `ahead` places
/// and one at `rate` a second: the room says whole seconds, the place is reached between
/// them), or at once when it is reached (`admitted`); always within [`MIN_POLL`] and `max`.
fn poll_after(reply: &Reply, rate: u32, max: Duration) -> Duration {
    let max = max.max(MIN_POLL);
    let place = &reply.body;
    if place["state"] == "admitted" {
        return MIN_POLL;
    }
    let said = place["pollAfterSeconds"].as_u64().map(Duration::from_secs);
    let told = match (reply.retry_after, said) {
        (Some(header), Some(body)) => header.min(body),
        (header, body) => header.or(body).unwrap_or(max),
    };
    let reached = place["ahead"].as_u64().map(|ahead| {
        Duration::from_micros(ahead.saturating_add(1).saturating_mul(1_000_000) / u64::from(rate.max(1)))
    });
    reached.map_or(told, |reached| told.min(reached)).clamp(MIN_POLL, max)
}

/// A poll's answer as kept: all but its body.
fn without_body(reply: &Reply) -> Reply {
    Reply {
        status: reply.status.clone(),
        body: Value::Null,
        latency: reply.latency,
        retry_after: reply.retry_after,
        attempts: reply.attempts,
    }
}

/// `d` in seconds, to the microsecond.
fn seconds(d: TimeDelta) -> f64 {
    let whole = f64::from(i32::try_from(d.num_seconds()).unwrap_or(i32::MAX));
    whole + f64::from(d.subsec_nanos() / 1000) / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn answer(retry_after: Option<u64>, place: Value) -> Reply {
        Reply {
            status: Ok(202),
            body: place,
            latency: Duration::ZERO,
            retry_after: retry_after.map(Duration::from_secs),
            attempts: 1,
        }
    }

    #[test]
    fn a_client_asks_again_when_told_but_within_a_tenth_of_a_second_and_its_longest_wait() {
        let told = |seconds: u64| json!({"state": "waiting", "pollAfterSeconds": seconds});
        assert_eq!(poll_after(&answer(Some(0), Value::Null), 500, SECOND), MIN_POLL);
        assert_eq!(poll_after(&answer(None, told(0)), 500, SECOND), MIN_POLL);
        assert_eq!(poll_after(&answer(Some(30), told(30)), 500, SECOND), SECOND);
        assert_eq!(poll_after(&answer(Some(5), told(0)), 500, SECOND), MIN_POLL, "the sooner of the two");
        assert_eq!(poll_after(&answer(None, Value::Null), 500, SECOND), SECOND, "nothing said: the longest");
        let far = json!({"state": "waiting", "pollAfterSeconds": 4, "ahead": 20_000});
        assert_eq!(poll_after(&answer(Some(4), far), 500, Duration::from_secs(30)), Duration::from_secs(4));
    }

    #[test]
    fn a_client_asks_once_its_place_should_be_reached_and_at_once_when_it_is() {
        let ahead = |n: u64| json!({"state": "waiting", "pollAfterSeconds": 1, "ahead": n});
        assert_eq!(poll_after(&answer(Some(1), ahead(199)), 500, SECOND), Duration::from_millis(400));
        assert_eq!(poll_after(&answer(Some(1), ahead(9)), 500, SECOND), MIN_POLL, "no sooner than a tenth");
        assert_eq!(poll_after(&answer(Some(1), ahead(5000)), 500, SECOND), SECOND, "no later than a second");
        let admitted = json!({"state": "admitted", "pollAfterSeconds": 1});
        assert_eq!(poll_after(&answer(None, admitted), 500, SECOND), MIN_POLL);
    }
}
