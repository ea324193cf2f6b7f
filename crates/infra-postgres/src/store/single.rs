//! One request, one transaction: a booking alone (docs/ARCHITECTURE.md, "The two
//! transactions"), an event's change and its cancellation, a change of a waiting booking's
//! quantity. The lanes of [`super::sales`] run bookings here whatever they do not batch, and
//! the booking batch reuses a lone booking's steps (the event locked, the domain placing the
//! newcomers, [`bookings::place`]), so that a batch decides as lone requests would. Imports
//! neither batch: they import this.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use domain::booking::rules::{self, QuantityPlan, plan_quantity_change};
use domain::event::rules::{Managed, plan_change, plan_event_cancellation};
use domain::history::{Actor, Cause, RequestId};
use domain::idempotency::{Attempt, Effect};
use domain::line::Line;
use domain::notice;
use domain::{
    Availability, BookError, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus, BookingView,
    CancelEvent, CancelEventError, ChangeEvent, ChangeEventError, ChangeQuantity, ChangeQuantityError,
    EventCancellation, EventChange, EventId, EventStatus, QuantityChange, RepoError, WaitlistPosition,
};

use super::PgStore;
use super::expiry;
use super::gate::GateState;
use super::serving::{FirstRead, Ledger, settle};
use crate::constraints::{BOOKINGS_ONE_LIVE_PER_USER, BOOKINGS_USER_FKEY};
use crate::error::{Inconsistent, TxError, corrupt_row, from_diesel, violated_constraint};
use crate::queries::bookings::{self, Arrival, Placing};
use crate::queries::{events, guard, notices, offers};
use crate::rows::{AvailabilityRow, LockedEventRow, PlacedBookingRow, offer_window_column};

/// How often a booking is retried when the live booking that blocked it was cancelled before
/// it could be read back; each retry needs a cancel to land in a window of microseconds.
const DUPLICATE_RETRIES: usize = 3;

/// Why one try at a booking placed nobody.
#[derive(Debug)]
pub(super) enum NotPlaced {
    /// The domain refused it, or the store failed.
    Refused(BookError),
    /// The user holds a live booking of the event: nothing was written.
    Taken,
}

impl From<RepoError> for NotPlaced {
    fn from(error: RepoError) -> Self {
        Self::Refused(error.into())
    }
}

impl From<BookError> for NotPlaced {
    fn from(error: BookError) -> Self {
        Self::Refused(error)
    }
}

impl PgStore {
    /// One booking by itself: the fast path's single statement, else the guarded transaction;
    /// with a key, in a transaction that also stores the effect under it.
    pub(super) async fn book_alone(
        &self,
        cmd: BookTicket,
        key: Option<&Attempt>,
        request: Option<&RequestId>,
    ) -> Result<BookingOutcome, BookError> {
        let mut conn = self.writer().await?;
        let mut fast = true;
        for _ in 0..DUPLICATE_RETRIES {
            let gate = &self.gate;
            let tried = self
                .pinned(&mut conn, async |conn| try_place(conn, cmd, key, request, gate, fast).await)
                .await;
            let taken = match tried {
                Ok(booked) => return Ok(booked),
                Err(TxError::Rule(NotPlaced::Refused(refused))) => return Err(refused),
                Err(TxError::Rule(NotPlaced::Taken)) => true,
                Err(TxError::Db(e)) if violated_constraint(&e) == Some(BOOKINGS_ONE_LIVE_PER_USER) => true,
                Err(TxError::Db(e)) => {
                    return Err(match violated_constraint(&e) {
                        Some(BOOKINGS_USER_FKEY) => BookError::UserNotFound(cmd.user()),
                        _ => from_diesel(e).into(),
                    });
                }
            };
            if taken {
                // Nothing was written. Say why with the blocking booking's status.
                let existing = self
                    .pinned(&mut conn, async |conn| {
                        bookings::live_for(conn, cmd.event(), cmd.user()).await.map_err(from_diesel)
                    })
                    .await?;
                let existing = existing.map(Booking::try_from).transpose()?;
                if let Some(refusal) = existing.as_ref().and_then(|b| rules::refuse_duplicate(b.status)) {
                    return Err(refusal);
                }
                // An offer of the user's that has lapsed but is not expired yet: the guarded
                // path expires it first, and the user books again.
                fast = !existing.is_some_and(|b| b.status == BookingStatus::Expired);
            }
        }
        Err(corrupt_row(Inconsistent("a booking kept conflicting with a booking that had gone")).into())
    }
}

/// One try at a booking. Without a key, the fast path's one statement (unless `fast` is off)
/// or the guarded transaction; with one, both inside a transaction that also stores the effect
/// under it.
async fn try_place(
    conn: &mut AsyncPgConnection,
    cmd: BookTicket,
    key: Option<&Attempt>,
    request: Option<&RequestId>,
    gate: &GateState,
    fast: bool,
) -> Result<BookingOutcome, TxError<NotPlaced>> {
    let Some(attempt) = key else {
        return outcome(place(conn, cmd, request, gate, fast).await?).map_err(|e| TxError::Rule(e.into()));
    };
    conn.transaction(async |conn| -> Result<_, TxError<NotPlaced>> {
        let booked =
            outcome(place(conn, cmd, request, gate, fast).await?).map_err(|e| TxError::Rule(e.into()))?;
        store_effect(conn, attempt, &Effect::Booked(booked.clone())).await?;
        Ok(booked)
    })
    .await
}

async fn store_effect(
    conn: &mut AsyncPgConnection,
    attempt: &Attempt,
    effect: &Effect,
) -> Result<(), TxError<NotPlaced>> {
    super::idempotency::store_effect(conn, attempt, effect).await.map_err(|e| TxError::Rule(e.into()))
}

/// The booking transaction: the fast path's one statement when nobody waits and the seats are
/// free; else, holding the event's guard, the domain places the booking ([`Line::arrive`]) —
/// without reading the line, unless the booking may be served ahead of it (an overtake limit
/// above 0) — and one statement writes it.
async fn place(
    conn: &mut AsyncPgConnection,
    cmd: BookTicket,
    request: Option<&RequestId>,
    gate: &GateState,
    fast: bool,
) -> Result<PlacedBookingRow, TxError<NotPlaced>> {
    let (event, user, quantity) = (cmd.event(), cmd.user(), cmd.quantity());
    if fast && let Some(booking) = bookings::take_free_seats(conn, event, user, quantity, request).await? {
        return Ok(PlacedBookingRow { booking, ahead: 0, seats_ahead: 0 });
    }
    conn.transaction(async |conn| {
        let locked = lock_on_sale(conn, event).await?;
        let seating = locked.seating()?;
        let limit = u32::try_from(locked.ticket_limit).map_err(corrupt_row)?;
        rules::check_quantity(quantity, seating, limit).map_err(|e| TxError::Rule(e.into()))?;
        let k = seating.overtake_limit.get();
        let arrive = |line: &mut Line, _: &_| Ok(line.arrive(newcomer(0)?, quantity.get())?);
        let (served, line, _) = settle(conn, &locked, k, FirstRead::Nothing, arrive).await?;
        let arrival = Arrival {
            user: user.get(),
            status: if served { BookingStatus::Confirmed } else { BookingStatus::Pending },
            quantity: bookings::seats(quantity),
            overtaken: 0,
            ahead: i64::from(locked.waiting),
            seats_ahead: i64::from(locked.seats_waiting),
            request: request.cloned(),
        };
        let placing = Placing {
            passed: line
                .changes()
                .overtaken
                .iter()
                .map(|&(b, n)| Ok((b.get(), i32::try_from(n).map_err(corrupt_row)?)))
                .collect::<Result<_, RepoError>>()?,
            seats_taken: if served { arrival.quantity } else { 0 },
            waiting: i32::from(!served),
            seats_waiting: if served { 0 } else { arrival.quantity },
            untold: false,
        };
        gate.pass().await;
        let mut placed = bookings::place(conn, event, std::slice::from_ref(&arrival), &placing).await?;
        placed.pop().ok_or(TxError::Rule(NotPlaced::Taken))
    })
    .await
}

/// The event's row, locked, while it is on sale.
async fn lock_on_sale(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> Result<LockedEventRow, TxError<NotPlaced>> {
    let locked = expiry::lock(conn, event).await?.ok_or(NotPlaced::Refused(BookError::EventNotFound(event)));
    let locked = locked.map_err(TxError::Rule)?;
    match locked.status.parse::<EventStatus>() {
        Ok(EventStatus::OnSale) => Ok(locked),
        Ok(EventStatus::Cancelled) => Err(TxError::Rule(BookError::EventCancelled(event).into())),
        Err(e) => Err(TxError::Rule(corrupt_row(e).into())),
    }
}

/// Stands for the `index`th newcomer of a transaction while the line decides whether it is
/// served, before it is written: after every id the line holds, in arrival order, however
/// large `BOOKING_BATCH_MAX` is.
pub(super) fn newcomer(index: usize) -> Result<BookingId, RepoError> {
    let index = i64::try_from(index).map_err(corrupt_row)?;
    let id = (i64::MAX / 2).checked_add(index);
    BookingId::new(id.ok_or_else(|| corrupt_row(Inconsistent("too many newcomers")))?).map_err(corrupt_row)
}

pub(super) fn outcome(placed: PlacedBookingRow) -> Result<BookingOutcome, BookError> {
    let booking = Booking::try_from(placed.booking)?;
    match booking.status {
        BookingStatus::Confirmed => Ok(BookingOutcome::Confirmed(booking)),
        BookingStatus::Pending => {
            let position = u64::try_from(placed.ahead)
                .ok()
                .and_then(|ahead| WaitlistPosition::new(ahead + 1))
                .ok_or_else(|| {
                    corrupt_row(Inconsistent("a waiting booking came back with a negative position"))
                })?;
            let seats_ahead = u64::try_from(placed.seats_ahead).map_err(corrupt_row)?;
            Ok(BookingOutcome::Waitlisted { booking, position, seats_ahead })
        }
        BookingStatus::Cancelled
        | BookingStatus::Offered
        | BookingStatus::Expired
        | BookingStatus::Declined => {
            Err(corrupt_row(Inconsistent("a new booking came back neither confirmed nor waiting")).into())
        }
    }
}

/// Holding the event's guard: let the domain decide, rewrite the
/// event, serve the line under its new limit and overtake limit, and write the notices — all
/// or nothing.
pub(super) async fn change_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: &ChangeEvent,
    gate: &GateState,
    request: Option<&RequestId>,
) -> Result<EventChange, TxError<ChangeEventError>> {
    let cause = Cause { actor: Actor::Organizer(cmd.caller), request: request.cloned() };
    let mut locked = lock_managed(conn, cmd.event, ChangeEventError::EventNotFound).await?;
    let managed = Managed::try_from(&locked).map_err(|e| TxError::Rule(e.into()))?;
    plan_change(cmd.caller, &managed, &cmd.changes).map_err(TxError::Rule)?;
    if let Some(limit) = cmd.changes.ticket_limit {
        locked.ticket_limit = limit.get();
    }
    if let Some(promotion) = cmd.changes.promotion {
        locked.offer_window_seconds = offer_window_column(promotion);
    }
    let seating = locked.seating().map_err(TxError::stored)?;
    let k = cmd.changes.overtake_limit.unwrap_or(seating.overtake_limit).get();
    // The free seats serve at most one booking each, and the routine reads one past the last.
    let reach = usize::try_from(locked.free().map_err(TxError::stored)?).unwrap_or(0) + 1;
    let (served, line, read) = settle(conn, &locked, k, FirstRead::Page(reach), |line, _| Ok(line.serve()?))
        .await
        .map_err(TxError::stored)?;
    gate.pass().await;
    events::change(conn, cmd.event, &cmd.changes, &cause).await?;
    if cmd.changes.date.is_some() {
        offers::cap_at_start(conn, cmd.event, &cause).await?;
    }
    let mut ledger = Ledger::new(locked.serving_now().map_err(TxError::stored)?, cause);
    for row in read.values() {
        ledger.know(row).map_err(TxError::stored)?;
    }
    ledger.serve(line.changes()).map_err(TxError::stored)?;
    ledger.write(conn, cmd.event).await.map_err(TxError::stored)?;
    let change = EventChange {
        event: reread(conn, cmd.event).await?,
        promoted: ledger.promoted(&served, &read).map_err(TxError::stored)?,
    };
    notices::write(conn, &notice::rules::of_change(&change)).await?;
    Ok(change)
}

/// Holding the event's guard: every live booking and the event
/// itself cancelled in one statement, then the notices.
pub(super) async fn cancel_event_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: CancelEvent,
    request: Option<&RequestId>,
) -> Result<EventCancellation, TxError<CancelEventError>> {
    // The plain guard: every live booking ends with the event, so a lapsed offer is cancelled
    // with the rest rather than expired and its seats offered to someone about to be cancelled.
    let locked = guard::lock(conn, cmd.event)
        .await?
        .ok_or(TxError::Rule(CancelEventError::EventNotFound(cmd.event)))?;
    let managed = Managed::try_from(&locked).map_err(|e| TxError::Rule(e.into()))?;
    plan_event_cancellation(cmd.caller, &managed).map_err(TxError::Rule)?;
    let cause = Cause { actor: Actor::Organizer(cmd.caller), request: request.cloned() };
    let ended = events::cancel(conn, cmd.event, &cause)
        .await?
        .into_iter()
        .map(Booking::try_from)
        .collect::<Result<Vec<_>, _>>();
    let ended = ended.map_err(TxError::stored)?;
    let cancellation = EventCancellation {
        event: reread(conn, cmd.event).await?,
        cancelled_bookings: u64::try_from(ended.len()).map_err(|e| TxError::stored(corrupt_row(e)))?,
    };
    notices::write(conn, &notice::rules::of_event_cancellation(&cancellation, &ended)).await?;
    Ok(cancellation)
}

/// Holding the guard of the booking's event: let the domain decide,
/// then lower the booking in place or replace it by a new one at the back of the line, serve
/// the line, and write the notices — all or nothing.
pub(super) async fn change_quantity_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: ChangeQuantity,
    gate: &GateState,
    request: Option<&RequestId>,
) -> Result<QuantityChange, TxError<ChangeQuantityError>> {
    let not_found = || TxError::Rule(ChangeQuantityError::NotFound(cmd.booking));
    let locked = expiry::lock_for_booking(conn, cmd.booking).await?.ok_or_else(not_found)?;
    let event = EventId::new(locked.id).map_err(|e| TxError::stored(corrupt_row(e)))?;
    let row = bookings::targets(conn, event, &[cmd.booking.get()], &[]).await?.pop().ok_or_else(not_found)?;
    let booking = Booking::try_from(row.booking.clone()).map_err(TxError::stored)?;
    let seating = locked.seating().map_err(TxError::stored)?;
    let limit = u32::try_from(locked.ticket_limit).map_err(|e| TxError::stored(corrupt_row(e)))?;
    let plan =
        plan_quantity_change(cmd.caller, &booking, cmd.quantity, seating, limit).map_err(TxError::Rule)?;
    let k = seating.overtake_limit.get();
    let id = booking.id;

    let cause = Cause { actor: Actor::User(cmd.caller), request: request.cloned() };
    let mut ledger = Ledger::new(locked.serving_now().map_err(TxError::stored)?, cause);
    ledger.know(&row).map_err(TxError::stored)?;
    let change = match plan {
        QuantityPlan::Unchanged => {
            return Ok(QuantityChange {
                booking: view(conn, id).await?,
                replaced: None,
                promoted: Vec::new(),
            });
        }
        QuantityPlan::Lower(quantity) => {
            let decide = |line: &mut Line, _: &_| {
                line.lower(id, quantity.get());
                Ok(line.serve()?)
            };
            let (served, line, read) =
                settle(conn, &locked, k, FirstRead::Page(0), decide).await.map_err(TxError::stored)?;
            gate.pass().await;
            for row in read.values() {
                ledger.know(row).map_err(TxError::stored)?;
            }
            ledger.lower(id, booking.quantity.get(), quantity.get()).map_err(TxError::stored)?;
            ledger.serve(line.changes()).map_err(TxError::stored)?;
            ledger.write(conn, event).await.map_err(TxError::stored)?;
            let promoted = ledger.promoted(&served, &read).map_err(TxError::stored)?;
            QuantityChange { booking: view(conn, id).await?, replaced: None, promoted }
        }
        QuantityPlan::Raise(quantity) => {
            let decide = |line: &mut Line, _: &_| {
                line.leave(id);
                let served = line.serve()?;
                Ok((served, line.arrive(newcomer(0)?, quantity.get())?))
            };
            let ((served, now), line, read) =
                settle(conn, &locked, k, FirstRead::Page(0), decide).await.map_err(TxError::stored)?;
            gate.pass().await;
            for row in read.values() {
                ledger.know(row).map_err(TxError::stored)?;
            }
            ledger.cancel(&booking).map_err(TxError::stored)?;
            ledger.serve(line.changes()).map_err(TxError::stored)?;
            let (ahead, seats_ahead) = ledger.line_after(&locked);
            ledger.write(conn, event).await.map_err(TxError::stored)?;
            let arrival = Arrival {
                user: booking.user.get(),
                status: if now { BookingStatus::Confirmed } else { BookingStatus::Pending },
                quantity: bookings::seats(quantity),
                overtaken: 0,
                ahead,
                seats_ahead,
                request: request.cloned(),
            };
            let placing = Placing {
                seats_taken: if now { arrival.quantity } else { 0 },
                waiting: i32::from(!now),
                seats_waiting: if now { 0 } else { arrival.quantity },
                untold: true,
                ..Placing::default()
            };
            let placed = bookings::place(conn, event, &[arrival], &placing).await?.pop();
            let placed = placed.ok_or_else(|| {
                TxError::stored(corrupt_row(Inconsistent("a raised booking was not written")))
            })?;
            let raised = match outcome(placed) {
                Ok(BookingOutcome::Confirmed(booking)) => {
                    BookingView { booking, position: None, seats_ahead: None }
                }
                Ok(BookingOutcome::Waitlisted { booking, position, seats_ahead }) => {
                    BookingView { booking, position: Some(position), seats_ahead: Some(seats_ahead) }
                }
                Err(e) => return Err(TxError::stored(as_repo(e))),
            };
            let mut promoted = ledger.promoted(&served, &read).map_err(TxError::stored)?;
            if now {
                // Served at once, at the back of the line: after those served before it.
                promoted.push(raised.booking.clone());
            }
            QuantityChange {
                booking: raised,
                replaced: Some(Booking { status: BookingStatus::Cancelled, ..booking }),
                promoted,
            }
        }
    };
    notices::write(conn, &notice::rules::of_quantity_change(&change)).await?;
    Ok(change)
}

/// A booking as it now reads, with its place in line.
async fn view<E: From<RepoError>>(
    conn: &mut AsyncPgConnection,
    id: BookingId,
) -> Result<BookingView, TxError<E>> {
    let found = bookings::find(conn, id).await?;
    let found =
        found.ok_or_else(|| TxError::stored(corrupt_row(Inconsistent("a changed booking vanished"))))?;
    BookingView::try_from(found.view).map_err(TxError::stored)
}

/// A placed row's outcome fails only on a stored row that does not parse.
fn as_repo(error: BookError) -> RepoError {
    match error {
        BookError::Repo(e) => e,
        other => corrupt_row(other),
    }
}

/// Takes the event's guard: every write to the event's seats or line waits behind it.
async fn lock_managed<E: From<RepoError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    not_found: impl FnOnce(EventId) -> E,
) -> Result<LockedEventRow, TxError<E>> {
    expiry::lock(conn, event).await?.ok_or_else(|| TxError::Rule(not_found(event)))
}

/// The event as the transaction left it.
async fn reread<E: From<RepoError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> Result<Availability, TxError<E>> {
    let row: AvailabilityRow = events::availability(conn, event)
        .await?
        .ok_or_else(|| TxError::stored(corrupt_row(Inconsistent("a locked event vanished"))))?;
    row.try_into().map_err(TxError::stored)
}
