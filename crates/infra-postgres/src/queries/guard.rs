//! The per-event guard (docs/ARCHITECTURE.md, "The two transactions"): a transaction-scoped
//! advisory lock that every write to an event's waiting line takes. Bookers joining the line
//! share it; anything that frees or hands on seats (a cancel, a change to the event, the event
//! called off) takes it exclusively. The booking fast path, which only takes a free seat, never
//! touches it.
//!
//! Every function here must run inside a transaction: the lock lasts until it ends.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{BookingId, EventId};

use crate::queries::Prepared;

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

pub const GUARD_SHARED: &str = "SELECT pg_advisory_xact_lock_shared($1, ($2 & 2147483647)::int4)";

/// For joining the line: excludes anything that frees seats, not other bookers.
pub(crate) async fn shared(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<()> {
    take(conn, GUARD_SHARED, event).await
}

pub const GUARD_EXCLUSIVE: &str = "SELECT pg_advisory_xact_lock($1, ($2 & 2147483647)::int4)";

/// For freeing or handing on seats: excludes every other guarded write to the event.
pub(crate) async fn exclusive(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<()> {
    take(conn, GUARD_EXCLUSIVE, event).await
}

/// First key of the two-key advisory locks that guard an event's waiting line; the second is
/// the event id folded into 31 bits. Two events sharing a folded key only share a lock, which
/// costs throughput, never correctness.
pub const GUARD_NAMESPACE: i32 = 0x7443_6b74;

async fn take(conn: &mut AsyncPgConnection, sql: &'static str, event: EventId) -> QueryResult<()> {
    Prepared(diesel::sql_query(sql).bind::<Integer, _>(GUARD_NAMESPACE).bind::<BigInt, _>(event.get()))
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the event's exclusive guard for a booking id and returns the event; the event of a
/// booking never changes, so reading it before the lock is safe.
pub const GUARD_EVENT_OF_BOOKING: &str = "\
SELECT event_id AS id FROM (
    SELECT event_id, pg_advisory_xact_lock($1, (event_id & 2147483647)::int4)
    FROM bookings WHERE id = $2
) AS guarded";

/// The exclusive guard of a booking's event, found from the booking id; `None` when the
/// booking does not exist.
pub(crate) async fn exclusive_for_booking(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<Option<EventId>> {
    let row: Option<EventIdRow> = Prepared(
        diesel::sql_query(GUARD_EVENT_OF_BOOKING)
            .bind::<Integer, _>(GUARD_NAMESPACE)
            .bind::<BigInt, _>(booking.get()),
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.and_then(|r| EventId::new(r.id).ok()))
}
