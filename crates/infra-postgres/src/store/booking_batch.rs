//! One transaction for a batch of bookings of one event ([`super::batching`]): the event's
//! guard, who of the bookers may book, then the domain places them in arrival
//! order on one [`domain::line::Line`] — as many seats as each asks, all or nothing, nobody
//! past the line — and one statement ([`crate::queries::bookings::place`]) writes them with
//! their notices and, for keyed requests, their answers: one lock hold and one WAL flush for
//! the lot. The guard is a single booking's, so batches of several instances, single bookings
//! and cancels keep I1–I5 between them.

use std::collections::HashMap;
use std::sync::Arc;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use domain::booking::rules::check_quantity;
use domain::history::RequestId;
use domain::idempotency::{Attempt, Effect, KeyTakenOver};
use domain::line::Line;
use domain::{
    BookError, BookTicket, BookingOutcome, BookingStatus, EventId, EventStatus, Quantity, RepoError, UserId,
};
use futures_util::future::join_all;

use super::PgStore;
use super::batching::BatchRunner;
use super::expiry;
use super::gate::GateState;
use super::idempotency::store_effects;
use super::serving::{DecideError, FirstRead, settle};
use super::single::{newcomer, outcome};
use crate::error::{Inconsistent, TxError, corrupt_row, from_diesel, from_pool};
use crate::queries::bookings::{self, Arrival, Placing};
use crate::rows::LockedEventRow;

/// How often a batch is tried again after a booker outside it took a place it counted on.
const BATCH_RETRIES: usize = 3;

/// One booking request waiting in its event's lane.
pub(crate) struct Booker {
    pub(crate) user: UserId,
    pub(crate) quantity: Quantity,
    /// The request's claimed attempt, whose effect the batch stores with the booking.
    pub(crate) key: Option<Attempt>,
    /// The request's id, for the booking's history.
    pub(crate) request: Option<RequestId>,
}

type Answer = Result<BookingOutcome, BookError>;

impl BatchRunner for PgStore {
    type Key = EventId;
    type Job = Booker;
    type Answer = Answer;

    async fn run_batch(&self, event: EventId, jobs: Vec<Booker>) -> Vec<Answer> {
        let mut answers: Vec<Option<Answer>> = jobs.iter().map(|_| None).collect();
        place_together(self, event, &jobs, &mut answers).await;
        // Whoever the batch did not place (already booked, unknown, a second request of the
        // same user, a batch that failed on something other than an outage) books alone,
        // where the single path says exactly why.
        let alone =
            answers.iter().enumerate().filter(|(_, a)| a.is_none()).map(|(i, _)| i).collect::<Vec<_>>();
        let booked_alone = join_all(alone.iter().map(|&i| book_alone(self, event, &jobs[i]))).await;
        for (i, booked) in alone.into_iter().zip(booked_alone) {
            answers[i] = Some(booked);
        }
        answers.into_iter().map(|answer| answer.unwrap_or_else(|| Err(unanswered()))).collect()
    }
}

/// What a committed (or refused) batch decided.
enum Placed {
    /// Each booker the batch answered (index into the jobs): their booking, or why the event
    /// refused their quantity.
    Booked(Vec<(usize, Answer)>),
    /// The event cannot be booked: nobody is placed.
    Refused(fn(EventId) -> BookError),
}

/// Why a batch transaction rolled back.
#[derive(Debug)]
enum Stop {
    /// A booker outside the batch took a place the batch counted on: try again.
    Retry,
    /// This job's request no longer holds its idempotency key: leave it out and try again.
    KeyLost(usize),
    Repo(RepoError),
}

impl From<RepoError> for Stop {
    fn from(error: RepoError) -> Self {
        Self::Repo(error)
    }
}

/// Answers every job the batch could place or refuse; leaves the rest `None`.
async fn place_together(store: &PgStore, event: EventId, jobs: &[Booker], answers: &mut [Option<Answer>]) {
    let mut conn = match store.pool.get().await {
        Ok(conn) => conn,
        Err(e) => return fail_all(answers, from_pool(e)),
    };
    // A user's second request in one batch books alone, after the first: it finds the first's
    // booking and is refused with its status.
    let mut by_user: HashMap<i64, usize> = HashMap::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        by_user.entry(job.user.get()).or_insert(i);
    }
    for _ in 0..BATCH_RETRIES {
        match place(&mut conn, event, jobs, &by_user, &store.gate).await {
            Ok(Placed::Booked(placed)) => {
                for (i, answer) in placed {
                    answers[i] = Some(answer);
                }
                return;
            }
            Ok(Placed::Refused(refusal)) => {
                for i in by_user.values() {
                    answers[*i] = Some(Err(refusal(event)));
                }
                return;
            }
            Err(Stop::Retry) => {}
            Err(Stop::KeyLost(i)) => {
                by_user.retain(|_, &mut j| j != i);
                answers[i] = Some(Err(BookError::Repo(key_lost())));
            }
            Err(Stop::Repo(e @ RepoError::Unavailable(_))) => return fail_all(answers, e),
            Err(Stop::Repo(e)) => {
                tracing::warn!(error = %e, "a booking batch failed; its bookers book alone");
                return;
            }
        }
    }
}

/// The batch transaction.
async fn place(
    conn: &mut AsyncPgConnection,
    event: EventId,
    jobs: &[Booker],
    by_user: &HashMap<i64, usize>,
    gate: &GateState,
) -> Result<Placed, Stop> {
    let mut users: Vec<(usize, i64)> = by_user.iter().map(|(&user, &i)| (i, user)).collect();
    users.sort_unstable();
    let users: Vec<i64> = users.into_iter().map(|(_, user)| user).collect();
    let committed = conn
        .transaction(async |conn| -> Result<Placed, TxError<Stop>> {
            let Some(locked) = expiry::lock(conn, event).await? else {
                return Ok(Placed::Refused(BookError::EventNotFound));
            };
            match locked.status.parse::<EventStatus>() {
                Ok(EventStatus::OnSale) => {}
                Ok(EventStatus::Cancelled) => {
                    return Ok(Placed::Refused(BookError::EventCancelled));
                }
                Err(e) => return Err(TxError::Rule(Stop::Repo(corrupt_row(e)))),
            }
            let eligible = bookings::eligible(conn, event, &users).await?;
            let k = locked.seating()?.overtake_limit.get();
            let arrive = |line: &mut Line, _: &_| decide(line, &locked, jobs, by_user, &eligible);
            let ((answers, arrivals, placing), ..) =
                settle(conn, &locked, k, FirstRead::Nothing, arrive).await?;
            gate.pass().await;
            let rows = bookings::place(conn, event, &arrivals, &placing).await?;
            if rows.len() != arrivals.len() {
                return Err(TxError::Rule(Stop::Retry));
            }
            let mut placed = answers;
            for row in rows {
                let i = *by_user.get(&row.booking.user_id).ok_or_else(|| {
                    TxError::Rule(Stop::Repo(corrupt_row(Inconsistent(
                        "a batch placed a user it was not given",
                    ))))
                })?;
                placed.push((i, Ok(outcome(row).map_err(|e| TxError::Rule(Stop::Repo(as_repo(e))))?)));
            }
            let keyed: Vec<(usize, &Attempt, Effect)> = placed
                .iter()
                .filter_map(|(i, answer)| {
                    let booked = answer.as_ref().ok()?;
                    jobs[*i].key.as_ref().map(|attempt| (*i, attempt, Effect::Booked(booked.clone())))
                })
                .collect();
            let effects: Vec<(&Attempt, &Effect)> = keyed.iter().map(|(_, a, e)| (*a, e)).collect();
            let held = store_effects(conn, &effects).await.map_err(|e| TxError::Rule(Stop::Repo(e)))?;
            if let Some((i, ..)) = keyed.iter().zip(held).find(|(_, held)| !held).map(|(k, _)| k) {
                return Err(TxError::Rule(Stop::KeyLost(*i)));
            }
            Ok(Placed::Booked(placed))
        })
        .await;
    match committed {
        Ok(placed) => Ok(placed),
        Err(TxError::Rule(stop)) => Err(stop),
        Err(TxError::Db(e)) => Err(Stop::Repo(from_diesel(e))),
    }
}

/// The bookers refused for their quantity (index into the jobs, with the refusal), the
/// newcomers to write and what they change.
type Decided = (Vec<(usize, Answer)>, Vec<Arrival>, Placing);

/// The domain's placing of the `eligible` bookers (users, in arrival order) at the event as
/// locked: each in turn arrives at `line` ([`Line::arrive`]), its quantity checked first.
fn decide(
    line: &mut Line,
    event: &LockedEventRow,
    jobs: &[Booker],
    by_user: &HashMap<i64, usize>,
    eligible: &[i64],
) -> Result<Decided, DecideError> {
    let seating = event.seating()?;
    let limit = u32::try_from(event.ticket_limit).map_err(corrupt_row)?;
    let (mut refused, mut arrivals, mut placing) = (Vec::new(), Vec::new(), Placing::default());
    let (mut ahead, mut seats_ahead) = (i64::from(event.waiting), i64::from(event.seats_waiting));
    for &user in eligible {
        let i = *by_user.get(&user).ok_or_else(|| corrupt_row(Inconsistent("an unknown booker")))?;
        let quantity = jobs[i].quantity;
        if let Err(e) = check_quantity(quantity, seating, limit) {
            refused.push((i, Err(e)));
            continue;
        }
        let served = line.arrive(newcomer(arrivals.len())?, quantity.get())?;
        let seats = bookings::seats(quantity);
        arrivals.push(Arrival {
            user,
            status: if served { BookingStatus::Confirmed } else { BookingStatus::Pending },
            quantity: seats,
            overtaken: 0,
            ahead,
            seats_ahead,
            request: jobs[i].request.clone(),
        });
        if served {
            placing.seats_taken += seats;
        } else {
            placing.waiting += 1;
            placing.seats_waiting += seats;
            ahead += 1;
            seats_ahead += i64::from(seats);
        }
    }
    let first = newcomer(0)?;
    for &(booking, count) in &line.changes().overtaken {
        let count = i32::try_from(count).map_err(corrupt_row)?;
        if booking >= first {
            let index = usize::try_from(booking.get() - first.get()).map_err(corrupt_row)?;
            if let Some(arrival) = arrivals.get_mut(index) {
                arrival.overtaken = count;
            }
        } else {
            placing.passed.push((booking.get(), count));
        }
    }
    Ok((refused, arrivals, placing))
}

/// A job the batch left to the single path, with its key.
async fn book_alone(store: &PgStore, event: EventId, job: &Booker) -> Answer {
    let cmd = BookTicket::new(job.user, event, None)?.with_quantity(job.quantity);
    store.book_alone(cmd, job.key.as_ref(), job.request.as_ref()).await
}

/// Tells every booker not yet answered what kept the batch from the database.
fn fail_all(answers: &mut [Option<Answer>], error: RepoError) {
    let unavailable = matches!(error, RepoError::Unavailable(_));
    let shared = Arc::new(error);
    for answer in answers.iter_mut().filter(|a| a.is_none()) {
        let relayed = Box::new(BatchFailed(Arc::clone(&shared)));
        let error = if unavailable { RepoError::Unavailable(relayed) } else { RepoError::Internal(relayed) };
        *answer = Some(Err(BookError::Repo(error)));
    }
}

/// The outcome of a row the batch wrote can only fail on a stored row that does not parse.
fn as_repo(error: BookError) -> RepoError {
    match error {
        BookError::Repo(e) => e,
        other => corrupt_row(other),
    }
}

fn key_lost() -> RepoError {
    RepoError::Unavailable(Box::new(KeyTakenOver))
}

fn unanswered() -> BookError {
    BookError::Repo(RepoError::Internal(Box::new(Inconsistent("a booking batch left a booker unanswered"))))
}

/// Every booker of a batch that could not reach the database is told so.
#[derive(Debug, thiserror::Error)]
#[error("the booking batch could not reach the database")]
struct BatchFailed(#[source] Arc<RepoError>);
