//! Cancels of one event, alone or as a batch ([`super::batching`]): one transaction holding the
//! event's guard, in which the domain decides each cancel in arrival order
//! on one [`domain::line::Line`] — `plan_cancel`, the seats given back or the line left, the
//! line served — exactly as those cancels alone would, one after another ([`super::serving`]).
//! Then one statement writes every booking changed and the counters, one the notices, one the
//! keyed answers: a batch pays one lock hold and one WAL flush for all its cancels, and a lone
//! cancel is a batch of one. Across instances each batch is an ordinary transaction under the
//! same guard, so I1–I5 and the line's order hold.

use std::collections::HashMap;
use std::sync::Arc;

use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use domain::booking::rules::{CancelEffect, plan_cancel};
use domain::history::{Actor, Cause, RequestId};
use domain::idempotency::{Attempt, Effect, KeyTakenOver};
use domain::notice;
use domain::{
    Booking, BookingId, BookingStatus, CancelBooking, CancelError, CancelTarget, Cancellation, EventId,
    RepoError, UserId,
};
use futures_util::future::join_all;

use super::PgStore;
use super::batching::BatchRunner;
use super::expiry;
use super::gate::GateState;
use super::idempotency::store_effects;
use super::serving::{DecideError, FirstRead, Ledger, settle};
use crate::error::{TxError, corrupt_row, from_diesel};
use crate::queries::{bookings, notices};
use crate::rows::LockedEventRow;

/// One cancel waiting in its event's lane.
pub(crate) struct Canceller {
    pub(crate) cmd: CancelBooking,
    /// The request's claimed attempt, whose effect the batch stores with the cancel.
    pub(crate) key: Option<Attempt>,
    /// The request's id, for the history of what the cancel changes.
    pub(crate) request: Option<RequestId>,
}

type Answer = Result<Cancellation, CancelError>;

/// The store as the runner of cancel batches (its booking batches are the store's own).
#[derive(Clone)]
pub(crate) struct Cancels(pub(crate) PgStore);

impl BatchRunner for Cancels {
    type Key = EventId;
    type Job = Canceller;
    type Answer = Answer;

    async fn run_batch(&self, event: EventId, jobs: Vec<Canceller>) -> Vec<Answer> {
        match cancel_together(&self.0, Some(event), &jobs).await {
            Ok(answers) => answers,
            // Nothing committed: an outage is everyone's answer; anything else, each alone.
            Err(e @ RepoError::Unavailable(_)) => {
                let shared = Arc::new(e);
                jobs.iter()
                    .map(|_| {
                        Err(CancelError::Repo(RepoError::Unavailable(Box::new(BatchFailed(Arc::clone(
                            &shared,
                        ))))))
                    })
                    .collect()
            }
            Err(e) => {
                tracing::warn!(error = %e, "a cancel batch failed; its cancels run alone");
                join_all(
                    jobs.iter()
                        .map(|job| self.0.cancel_alone(job.cmd, job.key.as_ref(), job.request.as_ref())),
                )
                .await
            }
        }
    }
}

impl PgStore {
    /// One cancel by itself, in its own transaction (with its effect under `key`).
    pub(super) async fn cancel_alone(
        &self,
        cmd: CancelBooking,
        key: Option<&Attempt>,
        request: Option<&RequestId>,
    ) -> Answer {
        let job = Canceller { cmd, key: key.cloned(), request: request.cloned() };
        let mut answers = cancel_together(self, None, std::slice::from_ref(&job)).await?;
        answers.pop().unwrap_or_else(|| Err(CancelError::Repo(corrupt_row(Unanswered))))
    }
}

/// The cancels' transaction, tried again without any job whose request lost its key (that job
/// is told so). `event` is the lane's; a lone cancel by booking id finds it under the guard.
async fn cancel_together(
    store: &PgStore,
    event: Option<EventId>,
    jobs: &[Canceller],
) -> Result<Vec<Answer>, RepoError> {
    let mut conn = store.writer().await?;
    let mut answers: Vec<Option<Answer>> = jobs.iter().map(|_| None).collect();
    loop {
        let open: Vec<usize> = (0..jobs.len()).filter(|&i| answers[i].is_none()).collect();
        if open.is_empty() {
            return Ok(answers.into_iter().flatten().collect());
        }
        let tried = conn
            .transaction(async |conn| -> Result<Vec<Answer>, TxError<Stop>> {
                let cmds: Vec<CancelBooking> = open.iter().map(|&i| jobs[i].cmd).collect();
                let requests: Vec<Option<&RequestId>> =
                    open.iter().map(|&i| jobs[i].request.as_ref()).collect();
                let Some(locked) = guarded(conn, event, &cmds).await? else {
                    return Ok(cmds.iter().map(|cmd| Err(not_found(cmd.target))).collect());
                };
                let decided = decide(conn, &locked, &cmds, &requests, &store.gate)
                    .await
                    .map_err(|e| TxError::Rule(Stop::Repo(e)))?;
                let keyed: Vec<(usize, &Attempt, Effect)> = open
                    .iter()
                    .zip(&decided)
                    .filter_map(|(&i, answer)| {
                        let cancellation = answer.as_ref().ok()?;
                        Some((i, jobs[i].key.as_ref()?, Effect::Cancelled(cancellation.clone())))
                    })
                    .collect();
                let effects: Vec<(&Attempt, &Effect)> = keyed.iter().map(|(_, a, e)| (*a, e)).collect();
                let held = store_effects(conn, &effects).await.map_err(|e| TxError::Rule(Stop::Repo(e)))?;
                if let Some(((i, ..), _)) = keyed.iter().zip(held).find(|(_, held)| !held) {
                    return Err(TxError::Rule(Stop::KeyLost(*i)));
                }
                Ok(decided)
            })
            .await;
        match tried {
            Ok(decided) => {
                for (i, answer) in open.into_iter().zip(decided) {
                    answers[i] = Some(answer);
                }
            }
            Err(TxError::Rule(Stop::KeyLost(i))) => {
                answers[i] = Some(Err(CancelError::Repo(RepoError::Unavailable(Box::new(KeyTakenOver)))));
            }
            Err(TxError::Rule(Stop::Repo(e))) => return Err(e),
            Err(TxError::Db(e)) => return Err(from_diesel(e)),
        }
    }
}

/// Why the cancels' transaction rolled back.
#[derive(Debug)]
enum Stop {
    /// This job's request no longer holds its idempotency key: leave it out and try again.
    KeyLost(usize),
    Repo(RepoError),
}

impl From<RepoError> for Stop {
    fn from(error: RepoError) -> Self {
        Self::Repo(error)
    }
}

/// Takes the event's guard: the lane's event, the one a lone cancel names, or — for a lone
/// cancel by booking id — the booking's (`None`: no such event or booking).
async fn guarded(
    conn: &mut AsyncPgConnection,
    lane: Option<EventId>,
    cmds: &[CancelBooking],
) -> Result<Option<LockedEventRow>, TxError<Stop>> {
    let event = match (lane, cmds) {
        (Some(event), _) => event,
        (None, [CancelBooking { target: CancelTarget::LiveBookingFor(event), .. }]) => *event,
        (None, [CancelBooking { target: CancelTarget::Booking(id), .. }]) => {
            return Ok(expiry::lock_for_booking(conn, *id).await?);
        }
        (None, _) => return Err(TxError::Rule(Stop::Repo(corrupt_row(Unanswered)))),
    };
    Ok(expiry::lock(conn, event).await?)
}

/// Holding the event's guard: reads the bookings the cancels name, decides each in turn on the
/// line, writes what changed and the notices.
async fn decide(
    conn: &mut AsyncPgConnection,
    locked: &LockedEventRow,
    cmds: &[CancelBooking],
    requests: &[Option<&RequestId>],
    gate: &GateState,
) -> Result<Vec<Answer>, RepoError> {
    let event = EventId::new(locked.id).map_err(corrupt_row)?;
    let organizer = UserId::new(locked.organizer_id).map_err(corrupt_row)?;
    let ids: Vec<i64> = cmds
        .iter()
        .filter_map(|cmd| match cmd.target {
            CancelTarget::Booking(id) => Some(id.get()),
            CancelTarget::LiveBookingFor(_) => None,
        })
        .collect();
    let users: Vec<i64> = cmds
        .iter()
        .filter(|cmd| matches!(cmd.target, CancelTarget::LiveBookingFor(_)))
        .map(|cmd| cmd.caller.get())
        .collect();
    let rows = bookings::targets(conn, event, &ids, &users).await.map_err(from_diesel)?;
    let named: Vec<Booking> =
        rows.iter().cloned().map(|row| Booking::try_from(row.booking)).collect::<Result<_, _>>()?;

    let seating = locked.seating()?;
    let k = seating.overtake_limit.get();
    // A guess at how far serving reads (each seat freed serves at most one booking, and the
    // routine reads one past the last served); a longer read costs one more round trip.
    let freeable: usize = named.iter().map(|b| b.quantity.get() as usize).sum::<usize>() + 1;
    let serving = locked.serving_now()?;
    let (steps, line, read) = settle(conn, locked, k, FirstRead::Page(freeable), |line, _| {
        steps(line, &named, organizer, cmds, serving.served_status())
    })
    .await?;

    gate.pass().await;
    let mut ledger = Ledger::new(serving, Cause::system());
    for row in rows.iter().chain(read.values()) {
        ledger.know(row)?;
    }
    ledger.passed(line.changes())?;
    // Each cancel, then what it served, in the order decided: the history's order.
    for ((step, cmd), request) in steps.iter().zip(cmds).zip(requests) {
        let Ok((before, served)) = step else { continue };
        ledger.caused_by(Cause { actor: Actor::of(cmd.caller, organizer), request: request.cloned() });
        ledger.cancel(before)?;
        ledger.served(served)?;
    }
    ledger.write(conn, event).await?;
    let mut answers = Vec::with_capacity(steps.len());
    for step in steps {
        answers.push(match step {
            Ok((before, served)) => {
                let cancelled = Booking { status: BookingStatus::Cancelled, ..before };
                Ok(Cancellation { cancelled, promoted: ledger.promoted(&served, &read)? })
            }
            Err(refused) => Err(refused),
        });
    }
    let told: Vec<_> = answers.iter().flatten().flat_map(notice::rules::of_cancellation).collect();
    notices::write(conn, &told).await.map_err(from_diesel)?;
    Ok(answers)
}

/// One cancel decided: the booking as it was, and the bookings the line was served after it.
type Step = Result<(Booking, Vec<BookingId>), CancelError>;

/// Each cancel in turn on `line`: which booking it names (as the cancels before it left it),
/// whether its caller may cancel it, the seats given back or the line left, the line served
/// (the served bookings becoming `served_as`, as a later cancel in the batch sees them).
fn steps(
    line: &mut domain::line::Line,
    named: &[Booking],
    organizer: UserId,
    cmds: &[CancelBooking],
    served_as: BookingStatus,
) -> Result<Vec<Step>, DecideError> {
    let mut bookings: HashMap<BookingId, Booking> = named.iter().map(|b| (b.id, b.clone())).collect();
    let mut steps = Vec::with_capacity(cmds.len());
    for cmd in cmds {
        let found = match cmd.target {
            CancelTarget::Booking(id) => bookings.get(&id).ok_or(CancelError::BookingNotFound(id)),
            CancelTarget::LiveBookingFor(event) => bookings
                .values()
                .filter(|b| b.user == cmd.caller && b.status.is_live())
                .min_by_key(|b| b.id)
                .ok_or(CancelError::NoLiveBooking(event)),
        };
        let step = found.cloned().and_then(|booking| {
            let effect = plan_cancel(cmd.caller, &booking, organizer)?;
            Ok((booking, effect))
        });
        let (booking, effect) = match step {
            Ok(decided) => decided,
            Err(refused) => {
                steps.push(Err(refused));
                continue;
            }
        };
        match effect {
            CancelEffect::FreeSeats(seats) => line.release(seats.get()),
            CancelEffect::LeaveLine => line.leave(booking.id),
        }
        let served = line.serve()?;
        for id in &served {
            if let Some(named) = bookings.get_mut(id) {
                named.status = served_as;
            }
        }
        if let Some(named) = bookings.get_mut(&booking.id) {
            named.status = BookingStatus::Cancelled;
        }
        steps.push(Ok((booking, served)));
    }
    Ok(steps)
}

fn not_found(target: CancelTarget) -> CancelError {
    match target {
        CancelTarget::Booking(id) => CancelError::BookingNotFound(id),
        CancelTarget::LiveBookingFor(event) => CancelError::NoLiveBooking(event),
    }
}

/// A cancel the transaction gave no answer: a bug.
#[derive(Debug, thiserror::Error)]
#[error("a cancel was left unanswered")]
struct Unanswered;

/// Every cancel of a batch that could not reach the database is told so.
#[derive(Debug, thiserror::Error)]
#[error("the cancel batch could not reach the database")]
struct BatchFailed(#[source] Arc<RepoError>);
