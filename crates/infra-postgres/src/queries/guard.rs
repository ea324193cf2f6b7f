//! The per-event guard (docs/ARCHITECTURE.md, "The two transactions"): a transaction-scoped
//! advisory lock that every write to an event's waiting line takes. Bookers joining the line
//! share it; anything that frees or hands on seats (a cancel, and the event writes to come)
//! takes it exclusively. The booking fast path, which only takes a free seat, never touches it.
//!
//! Every function here must run inside a transaction: the lock lasts until it ends.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{BookingId, EventId};

use crate::queries::Prepared;
use crate::sql::{GUARD_EVENT_OF_BOOKING, GUARD_EXCLUSIVE, GUARD_NAMESPACE, GUARD_SHARED};

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// For joining the line: excludes anything that frees seats, not other bookers.
pub(crate) async fn shared(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<()> {
    take(conn, GUARD_SHARED, event).await
}

/// For freeing or handing on seats: excludes every other guarded write to the event.
pub(crate) async fn exclusive(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<()> {
    take(conn, GUARD_EXCLUSIVE, event).await
}

async fn take(conn: &mut AsyncPgConnection, sql: &'static str, event: EventId) -> QueryResult<()> {
    Prepared(diesel::sql_query(sql).bind::<Integer, _>(GUARD_NAMESPACE).bind::<BigInt, _>(event.get()))
        .execute(conn)
        .await?;
    Ok(())
}

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
