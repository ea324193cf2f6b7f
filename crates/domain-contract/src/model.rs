//! The sales rules as a small reference model in plain Rust, and random sequences of bookings,
//! cancels and limit changes run against an adapter and the model side by side, compared after
//! every step: each answer, and then the event's seats, line and bookings as the adapter reads
//! them back. A disagreement is shrunk (proptest) to the shortest sequence that still shows it.
//!
//! The model is written from docs/ARCHITECTURE.md's guarantees, not from either adapter: a free
//! seat is confirmed, a full event puts the booker at the end of the line, a freed seat goes to
//! the head of the line, a raise confirms the heads in order, a limit below the seats taken is
//! refused. Each case runs on an event and accounts of its own in one store, so a case costs a
//! few round trips per step, not a database.
//!
//! Random, so seeded: the seed is printed, and `TEST_SEED=<seed>` replays the same sequences.

use std::collections::HashMap;
use std::fmt;

use domain::{
    BookError, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelTarget, ChangeEvent,
    ChangeEventError, EventId, UserId,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::Adapter;
use crate::fixtures::{book, bookings, event, limit, user};

/// How many accounts book in one case: few enough that they collide often (a second booking,
/// a cancel of nothing), enough for a line.
const BUYERS: usize = 5;

/// One step of a sequence; buyers are numbered `0..BUYERS`.
#[derive(Debug, Clone, Copy)]
enum Step {
    Book(usize),
    /// The buyer cancels their live booking of the event.
    Cancel(usize),
    /// The organizer sets the ticket limit.
    Limit(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        5 => (0..BUYERS).prop_map(Step::Book),
        3 => (0..BUYERS).prop_map(Step::Cancel),
        2 => (1..7_i64).prop_map(Step::Limit),
    ]
}

/// What a step answered, in the model's terms (buyers by number).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Confirmed,
    Waitlisted {
        position: u64,
    },
    AlreadyBooked,
    AlreadyWaitlisted,
    Cancelled {
        promoted: Option<usize>,
    },
    NoLiveBooking,
    Changed {
        promoted: Vec<usize>,
    },
    LimitBelowTaken {
        taken: u32,
    },
    /// An answer the rules never give here.
    Unexpected(String),
}

/// The event as the model holds it: its limit, and every booking in id (arrival) order.
#[derive(Debug, Clone)]
struct Model {
    limit: u32,
    bookings: Vec<(usize, BookingStatus)>,
}

impl Model {
    fn count(&self, status: BookingStatus) -> usize {
        self.bookings.iter().filter(|(_, s)| *s == status).count()
    }

    fn live(&self, buyer: usize) -> Option<usize> {
        self.bookings.iter().position(|&(b, s)| b == buyer && s != BookingStatus::Cancelled)
    }

    /// Confirms the first `n` waiting, in line order; who they are.
    fn promote(&mut self, n: usize) -> Vec<usize> {
        let mut promoted = Vec::new();
        for (buyer, status) in &mut self.bookings {
            if promoted.len() == n {
                break;
            }
            if *status == BookingStatus::Pending {
                *status = BookingStatus::Confirmed;
                promoted.push(*buyer);
            }
        }
        promoted
    }

    fn apply(&mut self, step: Step) -> Answer {
        match step {
            Step::Book(buyer) => match self.live(buyer).map(|i| self.bookings[i].1) {
                Some(BookingStatus::Confirmed) => Answer::AlreadyBooked,
                Some(_) => Answer::AlreadyWaitlisted,
                None if self.count(BookingStatus::Confirmed) < self.limit as usize => {
                    self.bookings.push((buyer, BookingStatus::Confirmed));
                    Answer::Confirmed
                }
                None => {
                    self.bookings.push((buyer, BookingStatus::Pending));
                    Answer::Waitlisted { position: self.count(BookingStatus::Pending) as u64 }
                }
            },
            Step::Cancel(buyer) => {
                let Some(i) = self.live(buyer) else { return Answer::NoLiveBooking };
                let held_seat = self.bookings[i].1 == BookingStatus::Confirmed;
                self.bookings[i].1 = BookingStatus::Cancelled;
                let promoted = if held_seat { self.promote(1).pop() } else { None };
                Answer::Cancelled { promoted }
            }
            Step::Limit(seats) => {
                let (seats, taken) = (seats as u32, self.count(BookingStatus::Confirmed) as u32);
                if seats < taken {
                    return Answer::LimitBelowTaken { taken };
                }
                self.limit = seats;
                Answer::Changed { promoted: self.promote((seats - taken) as usize) }
            }
        }
    }

    /// Every booking as (buyer, status, place in line), in id order.
    fn rows(&self) -> Vec<(usize, BookingStatus, Option<u64>)> {
        let mut ahead = 0;
        self.bookings
            .iter()
            .map(|&(buyer, status)| {
                let place = (status == BookingStatus::Pending).then(|| {
                    ahead += 1;
                    ahead
                });
                (buyer, status, place)
            })
            .collect()
    }
}

/// One case's event and accounts in the store.
struct Stage<'a, S> {
    store: &'a S,
    organizer: UserId,
    event: EventId,
    buyers: Vec<UserId>,
    number: HashMap<UserId, usize>,
}

impl<S: domain::ports::Store> Stage<'_, S> {
    fn buyer(&self, user: UserId) -> usize {
        self.number.get(&user).copied().unwrap_or(usize::MAX)
    }

    async fn apply(&self, step: Step) -> Answer {
        match step {
            Step::Book(buyer) => match self.store.book(book(self.buyers[buyer], self.event), None).await {
                Ok(BookingOutcome::Confirmed(_)) => Answer::Confirmed,
                Ok(BookingOutcome::Waitlisted { position, .. }) => {
                    Answer::Waitlisted { position: position.get() }
                }
                Err(BookError::AlreadyBooked) => Answer::AlreadyBooked,
                Err(BookError::AlreadyWaitlisted) => Answer::AlreadyWaitlisted,
                Err(e) => Answer::Unexpected(format!("{e:?}")),
            },
            Step::Cancel(buyer) => {
                let cancel = CancelBooking {
                    caller: self.buyers[buyer],
                    target: CancelTarget::LiveBookingFor(self.event),
                };
                match self.store.cancel(cancel, None).await {
                    Ok(done) => Answer::Cancelled { promoted: done.promoted.map(|b| self.buyer(b.user)) },
                    Err(CancelError::NoLiveBooking(_)) => Answer::NoLiveBooking,
                    Err(e) => Answer::Unexpected(format!("{e:?}")),
                }
            }
            Step::Limit(seats) => {
                let change = ChangeEvent { caller: self.organizer, event: self.event, changes: limit(seats) };
                match self.store.change_event(change, None).await {
                    Ok(done) => Answer::Changed {
                        promoted: done.promoted.iter().map(|b| self.buyer(b.user)).collect(),
                    },
                    Err(ChangeEventError::LimitBelowTaken { taken, .. }) => Answer::LimitBelowTaken { taken },
                    Err(e) => Answer::Unexpected(format!("{e:?}")),
                }
            }
        }
    }

    /// The event as the adapter reads it back: (limit, free seats, line length), and every
    /// booking as (buyer, status, place in line) in id order.
    async fn state(&self) -> ((u32, u32, u64), Vec<(usize, BookingStatus, Option<u64>)>) {
        let availability = self.store.availability(self.event).await.unwrap();
        let rows = bookings(self.store, self.event)
            .await
            .iter()
            .map(|a| {
                let booking = &a.booking.booking;
                (self.buyer(booking.user), booking.status, a.booking.position.map(std::num::NonZeroU64::get))
            })
            .collect();
        let limit = u32::try_from(availability.event.ticket_limit.get()).unwrap();
        ((limit, availability.tickets_available, availability.waiting_list_count), rows)
    }
}

/// Why a sequence failed: the step, and what the adapter and the model said.
struct Disagreement(String);

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Runs `steps` from an event of `seats` seats, on a new event in `store`, against the model.
async fn run<S: domain::ports::Store>(
    store: &S,
    case: usize,
    seats: i64,
    steps: &[Step],
) -> Result<(), Disagreement> {
    let organizer = user(store, &format!("model{case}organizer")).await;
    let event = event(store, organizer, seats).await;
    let mut buyers = Vec::with_capacity(BUYERS);
    for i in 0..BUYERS {
        buyers.push(user(store, &format!("model{case}buyer{i}")).await);
    }
    let number = buyers.iter().enumerate().map(|(i, &u)| (u, i)).collect();
    let stage = Stage { store, organizer, event, buyers, number };
    let mut model = Model { limit: u32::try_from(seats).unwrap(), bookings: Vec::new() };
    for (i, &step) in steps.iter().enumerate() {
        let expected = model.apply(step);
        let answered = stage.apply(step).await;
        if answered != expected {
            return Err(Disagreement(format!(
                "step {i} {step:?}: the adapter answered {answered:?}, the rules {expected:?}"
            )));
        }
        let free = model.limit - u32::try_from(model.count(BookingStatus::Confirmed)).unwrap();
        let waiting = u64::try_from(model.count(BookingStatus::Pending)).unwrap();
        let expected = ((model.limit, free, waiting), model.rows());
        let read = stage.state().await;
        if read != expected {
            return Err(Disagreement(format!(
                "after step {i} {step:?}: the adapter reads (limit, free, waiting) and bookings \
                 (buyer, status, place) {read:?}, the rules {expected:?}"
            )));
        }
    }
    Ok(())
}

/// The seed: `TEST_SEED` when set, else one from the clock; printed either way.
fn seed() -> u64 {
    let seed = std::env::var("TEST_SEED").map_or_else(
        |_| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| u64::try_from(d.as_nanos() % u128::from(u64::MAX)).unwrap())
        },
        |given| given.parse().unwrap_or_else(|_| panic!("TEST_SEED={given} is not a number")),
    );
    eprintln!("random sequences from seed {seed} (replay them with TEST_SEED={seed})");
    seed
}

/// Random sequences of bookings, cancels and limit changes give the same answers, seats, line
/// and bookings on the adapter as on the reference model, after every step.
pub async fn random_sequences_of_bookings_cancels_and_limit_changes_follow_the_rules<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let seed = seed();
    let mut bytes = [0_u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases: 40, failure_persistence: None, max_shrink_iters: 2000, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let runtime = tokio::runtime::Handle::current();
    let cases = std::sync::atomic::AtomicUsize::new(0);
    let sequences = (1..5_i64, proptest::collection::vec(step(), 1..30));

    let outcome = tokio::task::block_in_place(|| {
        runner.run(&sequences, |(seats, steps)| {
            let case = cases.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            runtime
                .block_on(run(&store, case, seats, &steps))
                .map_err(|why| TestCaseError::fail(why.to_string()))
        })
    });

    match outcome {
        Ok(()) => {}
        Err(TestError::Fail(why, (seats, steps))) => {
            panic!("seed {seed}: from {seats} seats, the shortest failing sequence is {steps:?}: {why}")
        }
        Err(TestError::Abort(why)) => panic!("seed {seed}: {why}"),
    }
}
