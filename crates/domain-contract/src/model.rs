//! The sales rules as a small reference model in plain Rust, and random sequences of bookings,
//! cancels and limit changes run against an adapter and the model side by side, compared after
//! every step: each answer, and then the event's seats, line and bookings as the adapter reads
//! them back. A disagreement is shrunk (proptest) to the shortest sequence that still shows it.
//!
//! The model is written from docs/ARCHITECTURE.md's guarantees, not from either adapter nor the
//! domain's serving routine: a booking is a group, served whole; a newcomer takes its seats
//! when they are free and nobody waits, else joins the end of the line; the line is served in
//! order, a booking that does not fit passed by a later one at most K times; a limit below the
//! seats taken is refused; a lowered quantity keeps its place, a raised one goes to the back. Each case runs on an event and accounts of its own in one store, so a case costs a
//! few round trips per step, not a database.
//!
//! Random, so seeded: the seed is printed, and `TEST_SEED=<seed>` replays the same sequences.

use std::collections::HashMap;
use std::fmt;

use domain::{
    BookError, BookTicket, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelTarget,
    ChangeEvent, ChangeEventError, ChangeQuantity, ChangeQuantityError, EventId, MaxPerBooking,
    OvertakeLimit, Quantity, Seating, UserId,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};

use crate::Adapter;
use crate::fixtures::{bookings, limit, new_event, user};

/// How many accounts book in one case: few enough that they collide often (a second booking,
/// a cancel of nothing), enough for a line.
const BUYERS: usize = 5;

/// The most seats one booking of the model's events may take; steps ask for one more.
const MAX_PER_BOOKING: u32 = 3;

/// One step of a sequence; buyers are numbered `0..BUYERS`.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// The buyer books that many seats.
    Book(usize, u32),
    /// The buyer cancels their live booking of the event.
    Cancel(usize),
    /// The organizer sets the ticket limit.
    Limit(i64),
    /// The buyer changes the quantity of their latest booking.
    Change(usize, u32),
}

fn step() -> impl Strategy<Value = Step> {
    let quantity = 1..=MAX_PER_BOOKING + 1;
    prop_oneof![
        5 => (0..BUYERS, quantity.clone()).prop_map(|(b, q)| Step::Book(b, q)),
        3 => (0..BUYERS).prop_map(Step::Cancel),
        2 => (1..7_i64).prop_map(Step::Limit),
        2 => (0..BUYERS, quantity).prop_map(|(b, q)| Step::Change(b, q)),
    ]
}

/// What a step answered, in the model's terms (buyers by number).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Confirmed,
    Waitlisted {
        position: u64,
        seats_ahead: u64,
    },
    AlreadyBooked,
    AlreadyWaitlisted,
    OverMax,
    OverLimit,
    Cancelled {
        promoted: Vec<usize>,
    },
    NoLiveBooking,
    Changed {
        promoted: Vec<usize>,
    },
    LimitBelowTaken {
        taken: u32,
    },
    QuantityChanged {
        status: BookingStatus,
        replaced: bool,
        promoted: Vec<usize>,
    },
    NotWaiting,
    /// An answer the rules never give here.
    Unexpected(String),
}

/// One booking as the model holds it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    buyer: usize,
    status: BookingStatus,
    quantity: u32,
    /// How often a later booking was served while this one waited.
    passed: u32,
}

/// The event as the model holds it: its limit and overtake limit, and every booking in id
/// (arrival) order.
#[derive(Debug, Clone)]
struct Model {
    limit: u32,
    k: u32,
    bookings: Vec<Entry>,
}

impl Model {
    fn seats(&self, status: BookingStatus) -> u32 {
        self.bookings.iter().filter(|e| e.status == status).map(|e| e.quantity).sum()
    }

    fn live(&self, buyer: usize) -> Option<usize> {
        self.bookings.iter().position(|e| e.buyer == buyer && e.status != BookingStatus::Cancelled)
    }

    /// Serves the line as docs/ARCHITECTURE.md states it: in line order, each booking whose
    /// whole quantity is free; one that does not fit may be passed by a later one while it has
    /// been passed fewer than K times, else the seats are held for it. Who was served.
    fn serve(&mut self) -> Vec<usize> {
        let mut free = self.limit - self.seats(BookingStatus::Confirmed);
        let mut passed: Vec<usize> = Vec::new();
        let mut served = Vec::new();
        for i in 0..self.bookings.len() {
            if self.bookings[i].status != BookingStatus::Pending {
                continue;
            }
            if free == 0 {
                break;
            }
            let quantity = self.bookings[i].quantity;
            if quantity <= free {
                if passed.iter().any(|&j| self.bookings[j].passed >= self.k) {
                    break;
                }
                self.bookings[i].status = BookingStatus::Confirmed;
                free -= quantity;
                served.push(i);
                for &j in &passed {
                    self.bookings[j].passed += 1;
                }
            } else if self.bookings[i].passed >= self.k {
                break;
            } else {
                passed.push(i);
            }
        }
        served
    }

    fn buyers(&self, served: &[usize]) -> Vec<usize> {
        served.iter().map(|&i| self.bookings[i].buyer).collect()
    }

    fn place(&self, i: usize) -> (u64, u64) {
        let ahead = self.bookings[..i].iter().filter(|e| e.status == BookingStatus::Pending);
        let (count, seats) = ahead.fold((0, 0), |(n, s), e| (n + 1, s + u64::from(e.quantity)));
        (count + 1, seats)
    }

    fn refuse_quantity(&self, quantity: u32) -> Option<Answer> {
        if quantity > MAX_PER_BOOKING {
            Some(Answer::OverMax)
        } else if quantity > self.limit {
            Some(Answer::OverLimit)
        } else {
            None
        }
    }

    fn apply(&mut self, step: Step) -> Answer {
        match step {
            Step::Book(buyer, quantity) => {
                if let Some(refused) = self.refuse_quantity(quantity) {
                    return refused;
                }
                match self.live(buyer).map(|i| self.bookings[i].status) {
                    Some(BookingStatus::Confirmed) => return Answer::AlreadyBooked,
                    Some(_) => return Answer::AlreadyWaitlisted,
                    None => {}
                }
                let i = self.bookings.len();
                self.bookings.push(Entry { buyer, status: BookingStatus::Pending, quantity, passed: 0 });
                if self.serve().contains(&i) {
                    Answer::Confirmed
                } else {
                    let (position, seats_ahead) = self.place(i);
                    Answer::Waitlisted { position, seats_ahead }
                }
            }
            Step::Cancel(buyer) => {
                let Some(i) = self.live(buyer) else { return Answer::NoLiveBooking };
                self.bookings[i].status = BookingStatus::Cancelled;
                let served = self.serve();
                Answer::Cancelled { promoted: self.buyers(&served) }
            }
            Step::Limit(seats) => {
                let (seats, taken) = (u32::try_from(seats).unwrap(), self.seats(BookingStatus::Confirmed));
                if seats < taken {
                    return Answer::LimitBelowTaken { taken };
                }
                self.limit = seats;
                let served = self.serve();
                Answer::Changed { promoted: self.buyers(&served) }
            }
            Step::Change(buyer, quantity) => {
                let Some(i) = self.bookings.iter().rposition(|e| e.buyer == buyer) else {
                    return Answer::NoLiveBooking;
                };
                if self.bookings[i].status != BookingStatus::Pending {
                    return Answer::NotWaiting;
                }
                let now = self.bookings[i].quantity;
                if quantity == now {
                    return Answer::QuantityChanged {
                        status: BookingStatus::Pending,
                        replaced: false,
                        promoted: vec![],
                    };
                }
                let (at, replaced) = if quantity < now {
                    self.bookings[i].quantity = quantity;
                    (i, false)
                } else {
                    if let Some(refused) = self.refuse_quantity(quantity) {
                        return refused;
                    }
                    self.bookings[i].status = BookingStatus::Cancelled;
                    self.bookings.push(Entry { buyer, status: BookingStatus::Pending, quantity, passed: 0 });
                    (self.bookings.len() - 1, true)
                };
                let served = self.serve();
                Answer::QuantityChanged {
                    status: self.bookings[at].status,
                    replaced,
                    promoted: self.buyers(&served),
                }
            }
        }
    }

    /// Every booking as (buyer, status, quantity, place in line and seats ahead), in id order.
    fn rows(&self) -> Vec<Row> {
        (0..self.bookings.len())
            .map(|i| {
                let e = self.bookings[i];
                (e.buyer, e.status, e.quantity, (e.status == BookingStatus::Pending).then(|| self.place(i)))
            })
            .collect()
    }
}

type Row = (usize, BookingStatus, u32, Option<(u64, u64)>);

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

    fn promoted(&self, promoted: &[domain::Booking]) -> Vec<usize> {
        promoted.iter().map(|b| self.buyer(b.user)).collect()
    }

    async fn apply(&self, step: Step) -> Answer {
        match step {
            Step::Book(buyer, quantity) => {
                let quantity = Quantity::new(i64::from(quantity)).unwrap();
                let cmd =
                    BookTicket::new(self.buyers[buyer], self.event, None).unwrap().with_quantity(quantity);
                match self.store.book(cmd, None).await {
                    Ok(BookingOutcome::Confirmed(_)) => Answer::Confirmed,
                    Ok(BookingOutcome::Waitlisted { position, seats_ahead, .. }) => {
                        Answer::Waitlisted { position: position.get(), seats_ahead }
                    }
                    Err(BookError::AlreadyBooked) => Answer::AlreadyBooked,
                    Err(BookError::AlreadyWaitlisted) => Answer::AlreadyWaitlisted,
                    Err(BookError::QuantityOverMax { .. }) => Answer::OverMax,
                    Err(BookError::QuantityOverLimit { .. }) => Answer::OverLimit,
                    Err(e) => Answer::Unexpected(format!("{e:?}")),
                }
            }
            Step::Cancel(buyer) => {
                let cancel = CancelBooking {
                    caller: self.buyers[buyer],
                    target: CancelTarget::LiveBookingFor(self.event),
                };
                match self.store.cancel(cancel, None).await {
                    Ok(done) => Answer::Cancelled { promoted: self.promoted(&done.promoted) },
                    Err(CancelError::NoLiveBooking(_)) => Answer::NoLiveBooking,
                    Err(e) => Answer::Unexpected(format!("{e:?}")),
                }
            }
            Step::Limit(seats) => {
                let change = ChangeEvent { caller: self.organizer, event: self.event, changes: limit(seats) };
                match self.store.change_event(change, None).await {
                    Ok(done) => Answer::Changed { promoted: self.promoted(&done.promoted) },
                    Err(ChangeEventError::LimitBelowTaken { taken, .. }) => Answer::LimitBelowTaken { taken },
                    Err(e) => Answer::Unexpected(format!("{e:?}")),
                }
            }
            Step::Change(buyer, quantity) => {
                let all = bookings(self.store, self.event).await;
                let latest = all.iter().rev().find(|a| a.booking.booking.user == self.buyers[buyer]);
                let Some(latest) = latest else { return Answer::NoLiveBooking };
                let cmd = ChangeQuantity {
                    caller: self.buyers[buyer],
                    booking: latest.booking.booking.id,
                    quantity: Quantity::new(i64::from(quantity)).unwrap(),
                };
                match self.store.change_quantity(cmd, None).await {
                    Ok(done) => Answer::QuantityChanged {
                        status: done.booking.booking.status,
                        replaced: done.replaced.is_some(),
                        promoted: self.promoted(&done.promoted),
                    },
                    Err(ChangeQuantityError::NotWaiting(_)) => Answer::NotWaiting,
                    Err(ChangeQuantityError::OverMax { .. }) => Answer::OverMax,
                    Err(ChangeQuantityError::OverLimit { .. }) => Answer::OverLimit,
                    Err(e) => Answer::Unexpected(format!("{e:?}")),
                }
            }
        }
    }

    /// The event as the adapter reads it back: (limit, free seats, seats waited for), and every
    /// booking as (buyer, status, quantity, place in line and seats ahead) in id order.
    async fn state(&self) -> ((u32, u32, u64), Vec<Row>) {
        let availability = self.store.availability(self.event).await.unwrap();
        let rows = bookings(self.store, self.event)
            .await
            .iter()
            .map(|a| {
                let view = &a.booking;
                let place = view.position.map(|p| p.get()).zip(view.seats_ahead);
                (self.buyer(view.booking.user), view.booking.status, view.booking.quantity.get(), place)
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

/// Runs `steps` from an event of `seats` seats and overtake limit `k`, on a new event in
/// `store`, against the model.
async fn run<S: domain::ports::Store>(
    store: &S,
    case: usize,
    (seats, k): (i64, u32),
    steps: &[Step],
) -> Result<(), Disagreement> {
    let organizer = user(store, &format!("model{case}organizer")).await;
    let seating = Seating {
        max_per_booking: MaxPerBooking::new(i64::from(MAX_PER_BOOKING)).unwrap(),
        overtake_limit: OvertakeLimit::new(i64::from(k)).unwrap(),
        promotion: domain::Promotion::Instant,
    };
    let new = new_event(organizer, seats, "2027-05-20", "Concert").with_seating(seating);
    let event = store.create_event(new, None).await.unwrap().id;
    let mut buyers = Vec::with_capacity(BUYERS);
    for i in 0..BUYERS {
        buyers.push(user(store, &format!("model{case}buyer{i}")).await);
    }
    let number = buyers.iter().enumerate().map(|(i, &u)| (u, i)).collect();
    let stage = Stage { store, organizer, event, buyers, number };
    let mut model = Model { limit: u32::try_from(seats).unwrap(), k, bookings: Vec::new() };
    for (i, &step) in steps.iter().enumerate() {
        let expected = model.apply(step);
        let answered = stage.apply(step).await;
        if answered != expected {
            return Err(Disagreement(format!(
                "step {i} {step:?}: the adapter answered {answered:?}, the rules {expected:?}"
            )));
        }
        let free = model.limit - model.seats(BookingStatus::Confirmed);
        let waiting = u64::from(model.seats(BookingStatus::Pending));
        let expected = ((model.limit, free, waiting), model.rows());
        let read = stage.state().await;
        if read != expected {
            return Err(Disagreement(format!(
                "after step {i} {step:?}: the adapter reads (limit, free, seats waiting) and bookings \
                 (buyer, status, quantity, place and seats ahead) {read:?}, the rules {expected:?}"
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

/// Random sequences of bookings of one to four seats, cancels, limit changes and quantity
/// changes, on events of either overtake limit, give the same answers, seats, line and bookings
/// on the adapter as on the reference model, after every step.
pub async fn random_sequences_of_groups_cancels_and_changes_follow_the_rules<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let seed = seed();
    let mut bytes = [0_u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config { cases: 40, failure_persistence: None, max_shrink_iters: 2000, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let runtime = tokio::runtime::Handle::current();
    let cases = std::sync::atomic::AtomicUsize::new(0);
    let sequences = ((1..5_i64, 0..3_u32), proptest::collection::vec(step(), 1..30));

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
        Err(TestError::Fail(why, ((seats, k), steps))) => {
            panic!(
                "seed {seed}: from {seats} seats and K = {k}, the shortest failing sequence is {steps:?}: {why}"
            )
        }
        Err(TestError::Abort(why)) => panic!("seed {seed}: {why}"),
    }
}
