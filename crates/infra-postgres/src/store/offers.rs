//! Answers to offers, and the sweeper's pass (docs/ARCHITECTURE.md, "Offers"). Accepting is one
//! conditional statement with no guard (the seats are already held); declining frees the seats
//! and serves the line under the event's guard, like a cancel; the sweeper takes each event's
//! guard in turn, which expires its lapsed offers ([`super::expiry`]).

use diesel::sql_query;
use diesel_async::{AsyncConnection as _, AsyncPgConnection, RunQueryDsl as _};
use domain::booking::rules::check_answer;
use domain::history::{Actor, Cause, RequestId};
use domain::line::Line;
use domain::notice::rules::of_declination;
use domain::{AnswerOffer, AnswerOfferError, Booking, BookingStatus, Declination, EventId, RepoError};

use super::PgStore;
use super::expiry;
use super::gate::GateState;
use super::serving::{FirstRead, Ledger, settle};
use crate::error::{TxError, corrupt_row, from_diesel};
use crate::queries::{bookings, notices, offers};

/// How long the sweeper waits for an event's guard: a write holding it expires the lapsed
/// offers itself, so the sweeper moves on to the next event rather than queue behind it.
const SWEEP_LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '200ms'";

/// The offer accepted by its one statement, or why not.
pub(super) async fn accept_offer(
    conn: &mut AsyncPgConnection,
    cmd: AnswerOffer,
    request: Option<&RequestId>,
) -> Result<Booking, AnswerOfferError> {
    if let Some(row) = offers::accept(conn, cmd.booking, cmd.caller, request).await.map_err(from_diesel)? {
        return Ok(Booking::try_from(row)?);
    }
    // Nothing written: say why, by the booking as it reads now (a lapsed offer as expired).
    let found = bookings::find(conn, cmd.booking).await.map_err(from_diesel)?;
    let booking = found.map(|row| Booking::try_from(row.view.booking)).transpose()?;
    let booking = booking.ok_or(AnswerOfferError::NotFound(cmd.booking))?;
    check_answer(cmd.caller, &booking)?;
    // Still offered and not lapsed when read, yet the write found it otherwise: it lapsed
    // between the two statements.
    Err(AnswerOfferError::OfferExpired(cmd.booking))
}

impl PgStore {
    /// Expires the lapsed offers of up to `events` events, each in its own transaction. An
    /// event that fails (its guard held past the timeout, or anything else) is skipped, so that
    /// it cannot hold the others up; the pass fails only when no event could be swept for the
    /// database being away.
    pub(super) async fn sweep(&self, events: u32) -> Result<u64, RepoError> {
        let mut conn = self.writer().await?;
        let limit = i64::from(events);
        let due = self
            .pinned(&mut conn, async |conn| offers::due_events(conn, limit).await.map_err(from_diesel))
            .await?;
        let (mut expired, mut swept) = (0_u64, 0_usize);
        let mut away = None;
        for id in &due {
            let event = EventId::new(*id).map_err(corrupt_row)?;
            let tried = conn
                .transaction(async |conn| -> Result<usize, TxError<RepoError>> {
                    sql_query(SWEEP_LOCK_TIMEOUT).execute(conn).await?;
                    Ok(expiry::lock_and_expire(conn, event).await?.map_or(0, |(_, n)| n))
                })
                .await
                .map_err(TxError::settle);
            match tried {
                Ok(n) => {
                    expired += u64::try_from(n).map_err(corrupt_row)?;
                    swept += 1;
                }
                // Most often the guard was held past the timeout: its holder expires the
                // offers first, or the next pass does.
                Err(e @ RepoError::Unavailable(_)) => away = Some(e),
                Err(e) => tracing::error!(event = id, error = %e, "lapsed offers could not be passed on"),
            }
        }
        match away {
            Some(e) if swept == 0 && !due.is_empty() => Err(e),
            _ => Ok(expired),
        }
    }
}

/// Holding the guard of the booking's event (its lapsed offers expired first): the offer
/// declined, its seats serving the line, the notices written.
pub(super) async fn decline_in_transaction(
    conn: &mut AsyncPgConnection,
    cmd: AnswerOffer,
    gate: &GateState,
    request: Option<&RequestId>,
) -> Result<Declination, TxError<AnswerOfferError>> {
    let not_found = || TxError::Rule(AnswerOfferError::NotFound(cmd.booking));
    let locked = expiry::lock_for_booking(conn, cmd.booking).await?.ok_or_else(not_found)?;
    let event = EventId::new(locked.id).map_err(|e| TxError::stored(corrupt_row(e)))?;
    let row = bookings::targets(conn, event, &[cmd.booking.get()], &[]).await?.pop().ok_or_else(not_found)?;
    let booking = Booking::try_from(row.booking.clone()).map_err(TxError::stored)?;
    check_answer(cmd.caller, &booking).map_err(TxError::Rule)?;
    let seating = locked.seating().map_err(TxError::stored)?;
    let seats = booking.quantity.get();
    let reach = usize::try_from(seats).unwrap_or(usize::MAX).saturating_add(1);
    let decide = |line: &mut Line, _: &_| {
        line.release(seats);
        Ok(line.serve()?)
    };
    let (served, line, read) =
        settle(conn, &locked, seating.overtake_limit.get(), FirstRead::Page(reach), decide)
            .await
            .map_err(TxError::stored)?;
    gate.pass().await;
    let cause = Cause { actor: Actor::User(cmd.caller), request: request.cloned() };
    let mut ledger = Ledger::new(locked.serving_now().map_err(TxError::stored)?, cause);
    ledger.know(&row).map_err(TxError::stored)?;
    for row in read.values() {
        ledger.know(row).map_err(TxError::stored)?;
    }
    ledger.end(&booking, BookingStatus::Declined).map_err(TxError::stored)?;
    ledger.serve(line.changes()).map_err(TxError::stored)?;
    ledger.write(conn, event).await.map_err(TxError::stored)?;
    let declination = Declination {
        declined: Booking { status: BookingStatus::Declined, ..booking },
        promoted: ledger.promoted(&served, &read).map_err(TxError::stored)?,
    };
    notices::write(conn, &of_declination(&declination)).await?;
    Ok(declination)
}
