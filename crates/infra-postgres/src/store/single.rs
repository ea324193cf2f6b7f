//! One request, one transaction: a booking or a cancel alone (docs/ARCHITECTURE.md, "The two
//! transactions"), an event's change and its cancellation. The lanes of [`super::sales`] run
//! here whatever they do not batch, and the batches reuse a lone request's own steps (a
//! cancel's transaction, a placed row's outcome), so that a batch decides as a lone request
//! would. Imports neither batch: they import this.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use domain::booking::rules::{self, CancelEffect};
use domain::event::rules::{Managed, plan_change, plan_event_cancellation};
use domain::idempotency::{Attempt, Effect};
use domain::notice;
use domain::{
    Availability, BookError, BookTicket, Booking, BookingOutcome, BookingStatus, CancelBooking, CancelError,
    CancelEvent, CancelEventError, CancelTarget, Cancellation, ChangeEvent, ChangeEventError,
    EventCancellation, EventChange, EventId, EventStatus, RepoError, UserId, WaitlistPosition,
};

use super::PgStore;
use super::idempotency::{answered_transaction, store_effect};
use crate::constraints::{BOOKINGS_ONE_LIVE_PER_USER, BOOKINGS_USER_FKEY};
use crate::error::{Inconsistent, TxError, corrupt_row, from_diesel, violated_constraint};
use crate::queries::{bookings, events, guard, notices};
use crate::rows::{AvailabilityRow, PlacedBookingRow};

/// How often a booking is retried when the live booking that blocked it was cancelled before
/// it could be read back; each retry needs a cancel to land in a window of microseconds.
const DUPLICATE_RETRIES: usize = 3;

impl PgStore {
    /// One cancel by itself, in its own transaction (with its effect under `key`).
    pub(super) async fn cancel_alone(
        &self,
        cmd: CancelBooking,
        key: Option<&Attempt>,
    ) -> Result<Cancellation, CancelError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            CancelError,
            key,
            |conn| cancel_in_transaction(conn, cmd).await?,
            Effect::Cancelled
        )
    }

    /// One booking by itself: the fast path's single statement, else the guarded one; with a
    /// key, in a transaction that also stores the effect under it.
    pub(super) async fn book_alone(
        &self,
        cmd: BookTicket,
        key: Option<&Attempt>,
    ) -> Result<BookingOutcome, BookError> {
        let mut conn = self.writer().await?;
        for _ in 0..DUPLICATE_RETRIES {
            match self.pinned(&mut conn, async |conn| try_place(conn, cmd, key).await).await {
                Ok(booked) => return Ok(booked),
                Err(TxError::Rule(refused)) => return Err(refused),
                Err(TxError::Db(e)) if violated_constraint(&e) == Some(BOOKINGS_ONE_LIVE_PER_USER) => {
                    // Nothing was written. Say why with the blocking booking's status.
                    let existing = self
                        .pinned(&mut conn, async |conn| {
                            bookings::live_for(conn, cmd.event(), cmd.user()).await.map_err(from_diesel)
                        })
                        .await?;
                    if let Some(refusal) = existing
                        .map(Booking::try_from)
                        .transpose()?
                        .and_then(|b| rules::refuse_duplicate(b.status))
                    {
                        return Err(refusal);
                    }
                }
                Err(TxError::Db(e)) => {
                    return Err(match violated_constraint(&e) {
                        Some(BOOKINGS_USER_FKEY) => BookError::UserNotFound(cmd.user()),
                        _ => from_diesel(e).into(),
                    });
                }
            }
        }
        Err(corrupt_row(Inconsistent("a booking kept conflicting with a booking that had gone")).into())
    }
}

/// One try at a booking. Without a key, the fast path's one statement (or the guarded
/// transaction); with one, both inside a transaction that also stores the effect under it.
async fn try_place(
    conn: &mut AsyncPgConnection,
    cmd: BookTicket,
    key: Option<&Attempt>,
) -> Result<BookingOutcome, TxError<BookError>> {
    let Some(attempt) = key else {
        return outcome(place(conn, cmd).await?).map_err(TxError::Rule);
    };
    conn.transaction(async |conn| -> Result<_, TxError<BookError>> {
        let booked = outcome(place(conn, cmd).await?).map_err(TxError::Rule)?;
        store_effect(conn, attempt, &Effect::Booked(booked.clone())).await.map_err(TxError::stored)?;
        Ok(booked)
    })
    .await
}

/// Under the event's exclusive guard, holding its row: let the domain decide, then rewrite
/// the event and, for a raise, confirm the heads of the line, and write the notices — all or
/// nothing.
pub(super) async fn change_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: &ChangeEvent,
) -> Result<EventChange, TxError<ChangeEventError>> {
    let event = lock_managed(conn, cmd.event, ChangeEventError::EventNotFound).await?;
    let plan = plan_change(cmd.caller, &event, &cmd.changes).map_err(TxError::Rule)?;
    events::change(conn, cmd.event, &cmd.changes).await?;
    let promoted = match plan.seats_to_fill {
        0 => Vec::new(),
        seats => events::fill_seats(conn, cmd.event, seats).await?,
    };
    let change = EventChange {
        event: reread(conn, cmd.event).await?,
        promoted: promoted
            .into_iter()
            .map(Booking::try_from)
            .collect::<Result<_, _>>()
            .map_err(TxError::stored)?,
    };
    notices::write(conn, &notice::rules::of_change(&change)).await?;
    Ok(change)
}

/// Under the event's exclusive guard, holding its row: every live booking and the event
/// itself cancelled in one statement, then the notices.
pub(super) async fn cancel_event_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: CancelEvent,
) -> Result<EventCancellation, TxError<CancelEventError>> {
    let event = lock_managed(conn, cmd.event, CancelEventError::EventNotFound).await?;
    plan_event_cancellation(cmd.caller, &event).map_err(TxError::Rule)?;
    let ended = events::cancel(conn, cmd.event)
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

/// Takes the event's exclusive guard, then its row: every write to the event's seats waits
/// behind it (bookers joining the line on the guard, fast-path bookers on the row).
async fn lock_managed<E: From<RepoError>>(
    conn: &mut AsyncPgConnection,
    event: EventId,
    not_found: impl FnOnce(EventId) -> E,
) -> Result<Managed, TxError<E>> {
    guard::exclusive(conn, event).await?;
    let row = events::lock(conn, event).await?.ok_or_else(|| TxError::Rule(not_found(event)))?;
    Managed::try_from(row).map_err(|e| TxError::Rule(e.into()))
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

/// The booking transaction: a seat in one statement if one is free, else the line, under the
/// event's shared guard so that no cancel can free a seat unseen while this booking waits.
async fn place(
    conn: &mut AsyncPgConnection,
    cmd: BookTicket,
) -> Result<PlacedBookingRow, TxError<BookError>> {
    let (event, user) = (cmd.event(), cmd.user());
    if let Some(booking) = bookings::take_free_seat(conn, event, user).await? {
        return Ok(PlacedBookingRow { booking, ahead: 0 });
    }
    conn.transaction(async |conn| {
        guard::shared(conn, event).await?;
        match bookings::take_seat_or_join_line(conn, event, user).await? {
            Some(placed) => Ok(placed),
            None => Err(TxError::Rule(why_not_on_sale(conn, event).await?)),
        }
    })
    .await
}

/// Why the guarded booking statement placed nobody: the event does not exist, or was called
/// off.
async fn why_not_on_sale(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> Result<BookError, TxError<BookError>> {
    let status = events::status(conn, event).await?;
    match status.map(|s| s.parse::<EventStatus>()) {
        None => Ok(BookError::EventNotFound(event)),
        Some(Ok(EventStatus::Cancelled)) => Ok(BookError::EventCancelled(event)),
        Some(Ok(EventStatus::OnSale)) => {
            Err(TxError::Rule(corrupt_row(Inconsistent("an event on sale placed nobody")).into()))
        }
        Some(Err(e)) => Err(TxError::Rule(corrupt_row(e).into())),
    }
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
            Ok(BookingOutcome::Waitlisted { booking, position })
        }
        BookingStatus::Cancelled => {
            Err(corrupt_row(Inconsistent("a new booking came back cancelled")).into())
        }
    }
}

/// Under the event's exclusive guard: lock the booking, let the domain decide, then write, for
/// a freed seat, the promotion (or the seat's release), and the cancellation — all or nothing.
pub(super) async fn cancel_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: CancelBooking,
) -> Result<Cancellation, TxError<CancelError>> {
    let locked = match cmd.target {
        CancelTarget::Booking(id) => {
            let not_found = || TxError::Rule(CancelError::BookingNotFound(id));
            guard::exclusive_for_booking(conn, id).await?.ok_or_else(not_found)?;
            bookings::lock_booking(conn, id).await?.ok_or_else(not_found)?
        }
        CancelTarget::LiveBookingFor(event) => {
            guard::exclusive(conn, event).await?;
            bookings::lock_live_booking(conn, event, cmd.caller)
                .await?
                .ok_or(TxError::Rule(CancelError::NoLiveBooking(event)))?
        }
    };
    let organizer = UserId::new(locked.organizer_id).map_err(|e| TxError::stored(corrupt_row(e)))?;
    let booking = Booking::try_from(locked.booking).map_err(TxError::stored)?;
    let effect = rules::plan_cancel(cmd.caller, &booking, organizer).map_err(TxError::Rule)?;

    // Seat first, booking second: a fast-path booker holds the event row while it waits on
    // the unique index for this booking's fate, so touching the event row after the booking
    // would deadlock with a user re-booking while their cancel is in flight.
    let promoted = match effect {
        CancelEffect::FreeSeat => bookings::pass_seat_on(conn, booking.event).await?,
        CancelEffect::LeaveLine => None,
    };
    let cancelled = bookings::mark_cancelled(conn, booking.id).await?;
    let cancellation = Cancellation {
        cancelled: cancelled.try_into().map_err(TxError::stored)?,
        promoted: promoted.map(Booking::try_from).transpose().map_err(TxError::stored)?,
    };
    notices::write(conn, &notice::rules::of_cancellation(&cancellation)).await?;
    Ok(cancellation)
}
