//! Every hand-written SQL statement of the adapter (the Diesel query builder writes the rest).
//! The booking and cancel transactions are docs/ARCHITECTURE.md's "The two transactions": every
//! statement that changes seats is a conditional write checked by the database, so two server
//! processes cannot oversell between them.
//!
//! Public so that the benchmark's database ceiling (`examples/pgbench_scripts.rs`) runs exactly
//! these statements, and so that every invariant check (the adapter's tests, `ticketing-load`)
//! recounts with [`INVARIANT_COUNTS`].

/// The seat-taking write both booking statements start with: a seat is taken only while one is
/// free, and the CHECK on `seats_taken` is the last line of defence behind this condition.
macro_rules! take_seat {
    () => {
        "seat AS (
    UPDATE events SET seats_taken = seats_taken + 1
    WHERE id = $1 AND seats_taken < ticket_limit
    RETURNING id
)"
    };
}

/// First key of the two-key advisory locks that guard an event's waiting line; the second is
/// the event id folded into 31 bits. Two events sharing a folded key only share a lock, which
/// costs throughput, never correctness.
pub const GUARD_NAMESPACE: i32 = 0x7443_6b74;

pub const GUARD_SHARED: &str = "SELECT pg_advisory_xact_lock_shared($1, ($2 & 2147483647)::int4)";
pub const GUARD_EXCLUSIVE: &str = "SELECT pg_advisory_xact_lock($1, ($2 & 2147483647)::int4)";

/// Fast path: take a seat and insert the CONFIRMED booking in one statement. No row back
/// means no seat was free (or no such event); a unique violation rolls the seat back with it.
pub const TAKE_FREE_SEAT: &str = concat!(
    "WITH ",
    take_seat!(),
    "
INSERT INTO bookings (event_id, user_id, status)
SELECT id, $2, 'CONFIRMED' FROM seat
RETURNING id, event_id, user_id, status, created_at"
);

/// Slow path, run under the shared guard: retry the seat (a cancel may have freed one since
/// the fast path), else join the line. Also reports how many pending bookings are ahead,
/// counted in this statement's snapshot. No row back means no such event.
pub const TAKE_SEAT_OR_JOIN_LINE: &str = concat!(
    "WITH ",
    take_seat!(),
    ", placed AS (
    INSERT INTO bookings (event_id, user_id, status)
    SELECT e.id, $2, CASE WHEN EXISTS (SELECT 1 FROM seat) THEN 'CONFIRMED' ELSE 'PENDING' END
    FROM events e
    WHERE e.id = $1
    RETURNING id, event_id, user_id, status, created_at
)
SELECT p.id, p.event_id, p.user_id, p.status, p.created_at,
       CASE WHEN p.status = 'PENDING' THEN
           (SELECT count(*) FROM bookings b WHERE b.event_id = p.event_id AND b.status = 'PENDING' AND b.id < p.id)
       ELSE 0 END AS ahead
FROM placed p"
);

/// Takes the event's exclusive guard for a booking id and returns the event; the event of a
/// booking never changes, so reading it before the lock is safe.
pub const GUARD_EVENT_OF_BOOKING: &str = "\
SELECT event_id AS id FROM (
    SELECT event_id, pg_advisory_xact_lock($1, (event_id & 2147483647)::int4)
    FROM bookings WHERE id = $2
) AS guarded";

pub const LOCK_BOOKING: &str = "\
SELECT b.id, b.event_id, b.user_id, b.status, b.created_at, e.organizer_id
FROM bookings b JOIN events e ON e.id = b.event_id
WHERE b.id = $1
FOR UPDATE OF b";

pub const LOCK_LIVE_BOOKING: &str = "\
SELECT b.id, b.event_id, b.user_id, b.status, b.created_at, e.organizer_id
FROM bookings b JOIN events e ON e.id = b.event_id
WHERE b.event_id = $1 AND b.user_id = $2 AND b.status IN ('CONFIRMED', 'PENDING')
FOR UPDATE OF b";

pub const MARK_CANCELLED: &str = "\
UPDATE bookings SET status = 'CANCELLED', updated_at = now()
WHERE id = $1
RETURNING id, event_id, user_id, status, created_at";

/// A seat was given up: confirm the head of the line (lowest id), or, when nobody waits,
/// return the seat to the event. One statement, under the exclusive guard.
pub const PASS_SEAT_ON: &str = "\
WITH head AS (
    SELECT id FROM bookings
    WHERE event_id = $1 AND status = 'PENDING'
    ORDER BY id
    LIMIT 1
    FOR UPDATE
), promoted AS (
    UPDATE bookings SET status = 'CONFIRMED', updated_at = now()
    WHERE id = (SELECT id FROM head)
    RETURNING id, event_id, user_id, status, created_at
), released AS (
    UPDATE events SET seats_taken = seats_taken - 1
    WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM head)
)
SELECT id, event_id, user_id, status, created_at FROM promoted";

/// An event and its waiting-list length in one statement, so both come from one snapshot.
pub const AVAILABILITY: &str = "\
SELECT e.id, e.organizer_id, e.name, e.description, e.date, e.location, e.ticket_limit, e.price_cents,
       e.seats_taken,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS waiting
FROM events e
WHERE e.id = $1";

/// Per event (every event when `$1` is null), the counts invariants I1, I2, I3 and I5 are
/// checked against: one statement, so one consistent snapshot even while bookings run.
pub const INVARIANT_COUNTS: &str = "\
SELECT e.id, e.ticket_limit, e.seats_taken,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'CONFIRMED') AS confirmed,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS pending,
       (SELECT count(*) FROM (SELECT user_id FROM bookings b
                              WHERE b.event_id = e.id AND b.status IN ('CONFIRMED', 'PENDING')
                              GROUP BY user_id HAVING count(*) > 1) d) AS duplicate_live
FROM events e
WHERE $1::int8 IS NULL OR e.id = $1
ORDER BY e.id";
