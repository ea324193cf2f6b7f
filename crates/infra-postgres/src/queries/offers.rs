//! Offers' own statements (docs/ARCHITECTURE.md, "Offers"): the expiry every guarded write runs
//! first, the conditional accept, and the sweeper's search for events with lapsed offers. Every
//! comparison with a deadline is the database's `statement_timestamp()`, never a server's clock.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::notice::NoticeKind;
use domain::{BookingId, EventId, UserId};

use crate::queries::Prepared;
use crate::queries::fragments::noticed;
use crate::rows::BookingRow;

/// Under event `$1`'s guard, holding its row: every offer of it whose deadline has passed
/// becomes `EXPIRED` (at or after its deadline, by this statement's clock) and gives its seats
/// back. The status is the claim: a second sweeper, or a write that expired them first, finds
/// nothing. Returns the expired bookings, by id; their notices and the line's serving are the
/// caller's, in the same transaction.
pub const EXPIRE_DUE: &str = "\
WITH expired AS (
    UPDATE bookings SET status = 'EXPIRED', updated_at = statement_timestamp()
    WHERE event_id = $1 AND status = 'OFFERED' AND offer_expires_at <= statement_timestamp()
    RETURNING id, event_id, user_id, status, quantity, created_at, offer_expires_at
), freed AS (
    UPDATE events SET seats_taken = seats_taken - (SELECT COALESCE(sum(quantity), 0) FROM expired)
    WHERE id = $1 AND EXISTS (SELECT 1 FROM expired)
)
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at FROM expired ORDER BY id";

/// Call under the event's guard, holding its row: the offers that lapsed, now expired.
pub(crate) async fn expire_due(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<Vec<BookingRow>> {
    Prepared(diesel::sql_query(EXPIRE_DUE).bind::<BigInt, _>(event.get())).load(conn).await
}

/// Under event `$1`'s guard, after its date changed: no open offer outlasts the start of the
/// event's (new) day. One moved to today or earlier ends its offers now; reads show them
/// expired, and the next write passes their seats on.
pub const CAP_AT_START: &str = "\
UPDATE bookings b SET offer_expires_at = e.date::timestamp AT TIME ZONE 'UTC'
FROM events e
WHERE e.id = $1 AND b.event_id = $1 AND b.status = 'OFFERED'
  AND b.offer_expires_at > e.date::timestamp AT TIME ZONE 'UTC'";

/// Call under the event's guard, after its date changed.
pub(crate) async fn cap_at_start(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<usize> {
    Prepared(diesel::sql_query(CAP_AT_START).bind::<BigInt, _>(event.get())).execute(conn).await
}

/// Booking `$1` of user `$2` confirmed if it is still offered and its deadline has not passed
/// by this statement's clock, with its notice (kind `$3`): one conditional write under the
/// booking's row lock and no guard, as the seats are already held. An expiry that runs at the
/// same moment either sees it confirmed or makes it find nothing. `updated_at` records the
/// moment it was accepted (before the deadline).
pub const ACCEPT: &str = concat!(
    "WITH accepted AS (
    UPDATE bookings SET status = 'CONFIRMED', updated_at = statement_timestamp()
    WHERE id = $1 AND user_id = $2 AND status = 'OFFERED' AND offer_expires_at > statement_timestamp()
    RETURNING id, event_id, user_id, status, quantity, created_at, offer_expires_at
), ",
    noticed!("SELECT $3, event_id, id, user_id, quantity, NULL::int8, NULL::int8 FROM accepted"),
    "
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at FROM accepted"
);

/// The booking accepted; `None` when it is not the user's open offer.
pub(crate) async fn accept(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
    user: UserId,
) -> QueryResult<Option<BookingRow>> {
    Prepared(
        diesel::sql_query(ACCEPT)
            .bind::<BigInt, _>(booking.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(NoticeKind::BookingAccepted.as_str()),
    )
    .get_result(conn)
    .await
    .optional()
}

/// Up to `$1` events with an offer whose deadline has passed, the longest-lapsed first: a scan
/// of `bookings_offer_deadline_idx`, which holds the open offers only, locking nothing (each
/// event's guard is taken after, in the order every write takes it).
pub const DUE_EVENTS: &str = "\
SELECT event_id AS id
FROM bookings
WHERE status = 'OFFERED' AND offer_expires_at <= statement_timestamp()
GROUP BY event_id
ORDER BY min(offer_expires_at)
LIMIT $1";

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Events with lapsed offers, at most `limit`.
pub(crate) async fn due_events(conn: &mut AsyncPgConnection, limit: i64) -> QueryResult<Vec<i64>> {
    let rows: Vec<EventIdRow> =
        Prepared(diesel::sql_query(DUE_EVENTS).bind::<BigInt, _>(limit)).load(conn).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
