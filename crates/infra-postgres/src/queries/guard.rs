//! The per-event guard (docs/ARCHITECTURE.md, "The two transactions"): the event's row, locked
//! `FOR NO KEY UPDATE` by every transaction that decides about its seats or line — a booking
//! that joins the line, a batch, a cancel, a change of the event or of a booking's quantity —
//! before it reads what it decides on; the booking fast path takes the same lock by updating
//! the row. Whoever holds it decides and writes alone, and whoever comes next reads what it
//! committed. Lock order is the event row, then booking rows. A row rather than an advisory
//! lock: it is the lock those writes take anyway, and a distributed database colocates it with
//! the event's bookings.
//!
//! Every function here must run inside a transaction: the lock lasts until it ends.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{BookingId, EventId};

use crate::queries::Prepared;
use crate::rows::LockedEventRow;

/// The event's columns as `LockedEventRow` reads them, for an event aliased `e`: with whether
/// its day has begun (no offer is made after) and whether it has an open offer (the write then
/// expires the lapsed ones in a statement of its own, after the lock: this one's clock and
/// snapshot are from before any wait for it).
macro_rules! locked_columns {
    () => {
        "e.id, e.organizer_id, e.status, e.ticket_limit, e.seats_taken, e.waiting, e.seats_waiting,
       e.max_per_booking, e.overtake_limit, e.offer_window_seconds,
       (e.date::timestamp AT TIME ZONE 'UTC') <= statement_timestamp() AS started,
       EXISTS (SELECT 1 FROM bookings o WHERE o.event_id = e.id AND o.status = 'OFFERED') AS has_offers"
    };
}

/// The event's row as every guarded write decides on it, locked until the transaction ends.
pub const LOCK_EVENT: &str = concat!(
    "SELECT ",
    locked_columns!(),
    "
FROM events e WHERE e.id = $1 FOR NO KEY UPDATE"
);

/// Takes the event's guard; `None` when there is no such event.
pub(crate) async fn lock(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<LockedEventRow>> {
    Prepared(diesel::sql_query(LOCK_EVENT).bind::<BigInt, _>(event.get())).get_result(conn).await.optional()
}

/// [`LOCK_EVENT`] for the event of booking `$1` (a booking's event never changes, so reading it
/// before the lock is safe).
pub const LOCK_EVENT_OF_BOOKING: &str = concat!(
    "SELECT ",
    locked_columns!(),
    "
FROM events e WHERE e.id = (SELECT event_id FROM bookings WHERE id = $1) FOR NO KEY UPDATE"
);

/// Takes the guard of a booking's event; `None` when there is no such booking.
pub(crate) async fn lock_for_booking(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<Option<LockedEventRow>> {
    Prepared(diesel::sql_query(LOCK_EVENT_OF_BOOKING).bind::<BigInt, _>(booking.get()))
        .get_result(conn)
        .await
        .optional()
}
