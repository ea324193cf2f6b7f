//! The event's guard as every write of this store takes it (docs/ARCHITECTURE.md, "Offers"):
//! the event's row locked ([`guard`]), then — when it has open offers — those that have lapsed
//! by then expired and the line served with their seats, before the write decides anything.
//! So no decision is made over seats held by an offer that lapsed before the write held the
//! guard, and correctness never waits for the sweeper, which runs this same step
//! ([`super::offers`]). The order is the cancel's: the event's row, then booking rows.

use diesel_async::AsyncPgConnection;
use domain::history::Cause;
use domain::notice::rules::of_expiry;
use domain::{Booking, BookingId, EventId, RepoError};

use super::serving::{FirstRead, Ledger, settle};
use crate::error::{corrupt_row, from_diesel};
use crate::queries::line::Counters;
use crate::queries::{guard, notices, offers};
use crate::rows::LockedEventRow;

/// Takes the event's guard, with its lapsed offers expired; `None` when there is no such event.
pub(super) async fn lock(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> Result<Option<LockedEventRow>, RepoError> {
    Ok(lock_and_expire(conn, event).await?.map(|(locked, _)| locked))
}

/// Takes the guard of a booking's event, with its lapsed offers expired; `None` when there is
/// no such booking.
pub(super) async fn lock_for_booking(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> Result<Option<LockedEventRow>, RepoError> {
    let Some(locked) = guard::lock_for_booking(conn, booking).await.map_err(from_diesel)? else {
        return Ok(None);
    };
    Ok(Some(expire(conn, locked).await?.0))
}

/// [`lock`], with how many offers it expired.
pub(super) async fn lock_and_expire(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> Result<Option<(LockedEventRow, usize)>, RepoError> {
    let Some(locked) = guard::lock(conn, event).await.map_err(from_diesel)? else {
        return Ok(None);
    };
    expire(conn, locked).await.map(Some)
}

/// Holding the event's guard: its lapsed offers expired, the line served with their seats, the
/// notices written; returns the event's row as that left it.
async fn expire(
    conn: &mut AsyncPgConnection,
    mut locked: LockedEventRow,
) -> Result<(LockedEventRow, usize), RepoError> {
    if !locked.has_offers {
        return Ok((locked, 0));
    }
    let event = EventId::new(locked.id).map_err(corrupt_row)?;
    let expired: Vec<Booking> = offers::expire_due(conn, event)
        .await
        .map_err(from_diesel)?
        .into_iter()
        .map(Booking::try_from)
        .collect::<Result<_, _>>()?;
    if expired.is_empty() {
        return Ok((locked, 0));
    }
    let freed: u32 = expired.iter().map(|b| b.quantity.get()).sum();
    locked.seats_taken -= i32::try_from(freed).map_err(corrupt_row)?;
    let seating = locked.seating()?;
    // Each freed seat serves at most one booking, and the routine reads one past the last.
    let reach = usize::try_from(freed).map_err(corrupt_row)? + 1;
    let (served, line, read) =
        settle(conn, &locked, seating.overtake_limit.get(), FirstRead::Page(reach), |line, _| {
            Ok(line.serve()?)
        })
        .await?;
    let mut ledger = Ledger::new(locked.serving_now()?, Cause::system());
    for row in read.values() {
        ledger.know(row)?;
    }
    ledger.serve(line.changes())?;
    ledger.write(conn, event).await?;
    let promoted = ledger.promoted(&served, &read)?;
    notices::write(conn, &of_expiry(&expired, &promoted)).await.map_err(from_diesel)?;
    add(&mut locked, ledger.counters());
    Ok((locked, expired.len()))
}

/// The locked row as written counters changes leave it.
fn add(locked: &mut LockedEventRow, counters: Counters) {
    locked.seats_taken += counters.seats_taken;
    locked.waiting += counters.waiting;
    locked.seats_waiting += counters.seats_waiting;
}
