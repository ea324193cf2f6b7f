//! Offers' own statements (docs/ARCHITECTURE.md, "Offers"): the expiry every guarded write runs
//! first, the conditional accept, and the sweeper's search for events with lapsed offers. Every
//! comparison with a deadline is the database's `statement_timestamp()`, never a server's clock.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::history::RequestId;
use domain::notice::NoticeKind;
use domain::{BookingId, EventId, UserId};

use crate::queries::Prepared;
use crate::queries::fragments::{noticed, recorded};
use domain::history::Cause;

use crate::queries::history::actor_id;
use crate::rows::BookingRow;

/// Under event `$1`'s guard, holding its row: every offer of it whose deadline has passed
/// becomes `EXPIRED` (at or after its deadline, by this statement's clock) and gives its seats
/// back. The status is the claim: a second sweeper, or a write that expired them first, finds
/// nothing. Each gets its history entry, the system's (the clock expired it, at or after its
/// deadline, which the entry keeps). Returns the expired bookings, by id; their notices and the
/// line's serving are the caller's, in the same transaction.
pub const EXPIRE_DUE: &str = concat!(
    "WITH expired AS (
    UPDATE bookings SET status = 'EXPIRED', updated_at = statement_timestamp()
    WHERE event_id = $1 AND status = 'OFFERED' AND offer_expires_at <= statement_timestamp()
    RETURNING id, event_id, user_id, status, quantity, created_at, offer_expires_at
), freed AS (
    UPDATE events SET seats_taken = seats_taken - (SELECT COALESCE(sum(quantity), 0) FROM expired),
                      version = version + 1
    WHERE id = $1 AND EXISTS (SELECT 1 FROM expired)
    RETURNING version, ticket_limit, overtake_limit
), ",
    recorded!(
        "SELECT $1, f.version, x.id, 'system', NULL::int8, 'expired', 'OFFERED', 'EXPIRED', x.quantity,
           -x.quantity, 0, 0, f.ticket_limit, f.overtake_limit, x.offer_expires_at, NULL
    FROM expired x, freed f ORDER BY x.id"
    ),
    "
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at FROM expired ORDER BY id"
);

/// Call under the event's guard, holding its row: the offers that lapsed, now expired.
pub(crate) async fn expire_due(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<Vec<BookingRow>> {
    Prepared(diesel::sql_query(EXPIRE_DUE).bind::<BigInt, _>(event.get())).load(conn).await
}

/// Under event `$1`'s guard, after its date changed: no open offer outlasts the start of the
/// event's (new) day. One moved to today or earlier ends its offers now; reads show them
/// expired, and the next write passes their seats on. Each offer moved gets its history entry
/// (the organizer `$2`'s, in request `$3`).
pub const CAP_AT_START: &str = concat!(
    "WITH moved AS (
    UPDATE bookings b SET offer_expires_at = e.date::timestamp AT TIME ZONE 'UTC'
    FROM events e
    WHERE e.id = $1 AND b.event_id = $1 AND b.status = 'OFFERED'
      AND b.offer_expires_at > e.date::timestamp AT TIME ZONE 'UTC'
    RETURNING b.id, b.quantity, b.offer_expires_at
), bumped AS (
    UPDATE events SET version = version + 1 WHERE id = $1 AND EXISTS (SELECT 1 FROM moved)
    RETURNING version, ticket_limit, overtake_limit
), ",
    recorded!(
        "SELECT $1, v.version, m.id, 'organizer', $2, 'deadline_moved', 'OFFERED', 'OFFERED', m.quantity,
           0, 0, 0, v.ticket_limit, v.overtake_limit, m.offer_expires_at, $3
    FROM moved m, bumped v ORDER BY m.id"
    ),
    "
SELECT count(*) AS n FROM moved"
);

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Call under the event's guard, after its date changed: how many offers moved.
pub(crate) async fn cap_at_start(
    conn: &mut AsyncPgConnection,
    event: EventId,
    cause: &Cause,
) -> QueryResult<i64> {
    let moved: Count = Prepared(
        diesel::sql_query(CAP_AT_START)
            .bind::<BigInt, _>(event.get())
            .bind::<Nullable<BigInt>, _>(actor_id(cause))
            .bind::<Nullable<Text>, _>(cause.request_id()),
    )
    .get_result(conn)
    .await?;
    Ok(moved.n)
}

/// Booking `$1` of user `$2` confirmed if it is still offered and its deadline has not passed
/// by this statement's clock, with its notice (kind `$3`): one conditional write that decides
/// nothing under the guard, as the seats are already held (it locks the event's row only to
/// bump its version, below). An expiry that runs at the
/// same moment either sees it confirmed or makes it find nothing. `updated_at` records the
/// moment it was accepted (before the deadline). Its history entry needs the event's version:
/// the event's row is bumped first, by a CTE the booking's update reads (so the row locks are
/// taken in the cancel's order, the event's before the booking's), and only while the offer
/// looks open, so that a refused answer writes nothing.
pub const ACCEPT: &str = concat!(
    "WITH bumped AS (
    UPDATE events SET version = version + 1
    WHERE id = (SELECT event_id FROM bookings
                WHERE id = $1 AND user_id = $2 AND status = 'OFFERED' AND offer_expires_at > statement_timestamp())
    RETURNING id, version, ticket_limit, overtake_limit
), accepted AS (
    UPDATE bookings b SET status = 'CONFIRMED', updated_at = statement_timestamp()
    FROM bumped e
    WHERE b.id = $1 AND b.event_id = e.id AND b.user_id = $2 AND b.status = 'OFFERED'
      AND b.offer_expires_at > statement_timestamp()
    RETURNING b.id, b.event_id, b.user_id, b.status, b.quantity, b.created_at, b.offer_expires_at
), ",
    noticed!("SELECT $3, event_id, id, user_id, quantity, NULL::int8, NULL::int8 FROM accepted"),
    ", ",
    recorded!(
        "SELECT a.event_id, e.version, a.id, 'user', a.user_id, 'accepted', 'OFFERED', 'CONFIRMED', a.quantity,
           0, 0, 0, e.ticket_limit, e.overtake_limit, a.offer_expires_at, $4
    FROM accepted a, bumped e"
    ),
    "
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at FROM accepted"
);

/// The booking accepted; `None` when it is not the user's open offer.
pub(crate) async fn accept(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
    user: UserId,
    request: Option<&RequestId>,
) -> QueryResult<Option<BookingRow>> {
    Prepared(
        diesel::sql_query(ACCEPT)
            .bind::<BigInt, _>(booking.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(NoticeKind::BookingAccepted.as_str())
            .bind::<Nullable<Text>, _>(request.map(RequestId::as_str)),
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
