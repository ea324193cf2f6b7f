//! Every hand-written SQL statement of the adapter (the Diesel query builder writes the rest).
//! The booking and cancel transactions are docs/ARCHITECTURE.md's "The two transactions": every
//! statement that changes seats is a conditional write checked by the database, so two server
//! processes cannot oversell between them.
//!
//! Public so that the benchmark's database ceiling (`examples/pgbench_scripts.rs`) runs exactly
//! these statements, and so that every invariant check (the adapter's tests, `ticketing-load`)
//! recounts with [`INVARIANT_COUNTS`].

/// The seat-taking write both booking statements start with: a seat is taken only while one is
/// free and the event is on sale; the CHECK on `seats_taken` is the last line of defence
/// behind this condition.
macro_rules! take_seat {
    () => {
        "seat AS (
    UPDATE events SET seats_taken = seats_taken + 1
    WHERE id = $1 AND seats_taken < ticket_limit AND status = 'ON_SALE'
    RETURNING id
)"
    };
}

/// A booking's columns, as `BookingRow` reads them, for a booking aliased `b`.
macro_rules! booking_columns {
    () => {
        "b.id, b.event_id, b.user_id, b.status, b.created_at"
    };
}

/// A pending booking's exact place in line (null for any other status), counted in the
/// statement's own snapshot, for a booking aliased `b`.
macro_rules! line_position {
    () => {
        "CASE WHEN b.status = 'PENDING' THEN
           (SELECT count(*) + 1 FROM bookings a
            WHERE a.event_id = b.event_id AND a.status = 'PENDING' AND a.id < b.id)
       END AS position"
    };
}

/// An event's columns with its waiting-list length, as `AvailabilityRow` reads them, for an
/// event aliased `e`.
macro_rules! availability_columns {
    () => {
        "e.id, e.organizer_id, e.name, e.description, e.date, e.location, e.ticket_limit, e.price_cents,
       e.seats_taken, e.status,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS waiting"
    };
}

/// A session-level advisory lock on `$1`, held until the connection closes: migrating (and
/// building the test template) takes it so that processes starting together take turns.
pub const TAKE_SESSION_LOCK: &str = "SELECT pg_advisory_lock($1)";

/// Readiness: the database answers. A bare statement, not a transaction, so abandoning it
/// leaves nothing open.
pub const PING: &str = "SELECT 1";

/// The time limits and name every pooled connection gets when it opens; the application name
/// is quoted here.
#[must_use]
pub fn session_settings(
    statement_ms: u128,
    lock_ms: u128,
    idle_in_transaction_ms: u128,
    application_name: &str,
) -> String {
    format!(
        "SET statement_timeout = {statement_ms}; SET lock_timeout = {lock_ms}; \
         SET idle_in_transaction_session_timeout = {idle_in_transaction_ms}; SET application_name = '{}'",
        application_name.replace('\'', "''"),
    )
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
/// counted in this statement's snapshot. No row back means no such event, or one called off
/// ([`EVENT_STATUS`] tells which).
pub const TAKE_SEAT_OR_JOIN_LINE: &str = concat!(
    "WITH ",
    take_seat!(),
    ", placed AS (
    INSERT INTO bookings (event_id, user_id, status)
    SELECT e.id, $2, CASE WHEN EXISTS (SELECT 1 FROM seat) THEN 'CONFIRMED' ELSE 'PENDING' END
    FROM events e
    WHERE e.id = $1 AND e.status = 'ON_SALE'
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

/// Whether an event exists, and its sale status.
pub const EVENT_STATUS: &str = "SELECT status FROM events WHERE id = $1";

/// An event and its waiting-list length in one statement, so both come from one snapshot.
pub const AVAILABILITY: &str = concat!(
    "SELECT ",
    availability_columns!(),
    "
FROM events e
WHERE e.id = $1"
);

/// A page of events by (date, id), strictly after `($1, $2)` (the cursor, or the key just before
/// `from`; null: from the start), up to `$3` (`to`; null: no end); `$4` is an ILIKE pattern (the user's wildcards escaped), `$6` the
/// limit plus one. One exclusive row bound rather than separate date conditions, and no
/// `$n IS NULL OR …` around the bounds: planned generically (as a prepared statement is), the
/// scan of `events_date_id_idx` still starts at the bound and stops after the page, so a deep
/// page costs what the first does. Waiting lines are counted for the page's rows only.
pub const LIST_EVENTS: &str = concat!(
    "SELECT ",
    availability_columns!(),
    "
FROM (
    SELECT * FROM events
    WHERE (date, id) > (COALESCE($1::date, '-infinity'::date), $2::int8)
      AND date <= COALESCE($3::date, 'infinity'::date)
      AND ($4::text IS NULL OR name ILIKE $4 OR location ILIKE $4)
      AND ($5::text IS NULL OR status = $5)
    ORDER BY date, id
    LIMIT $6
) e
ORDER BY e.date, e.id"
);

/// One booking, its place in line, and its event's organizer (who may read it too).
pub const FIND_BOOKING: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", ",
    line_position!(),
    ",
       e.organizer_id
FROM bookings b JOIN events e ON e.id = b.event_id
WHERE b.id = $1"
);

/// A page of a user's bookings, newest first, before the cursor `$3`; `$4` is the limit plus
/// one. A backward scan of `bookings_user_id_idx`.
pub const USER_BOOKINGS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", ",
    line_position!(),
    "
FROM bookings b
WHERE b.user_id = $1
  AND ($2::text IS NULL OR b.status = $2)
  AND b.id < COALESCE($3::int8, 9223372036854775807)
ORDER BY b.id DESC
LIMIT $4"
);

/// A page of an event's bookings with their holders, by id (line order for the pending), after
/// the cursor `$3`; `$4` is the limit plus one.
pub const ATTENDEES: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", ",
    line_position!(),
    ",
       u.email AS holder_email, u.first_name AS holder_first_name, u.last_name AS holder_last_name
FROM bookings b JOIN users u ON u.id = b.user_id
WHERE b.event_id = $1
  AND ($2::text IS NULL OR b.status = $2)
  AND b.id > COALESCE($3::int8, 0)
ORDER BY b.id
LIMIT $4"
);

/// Under the exclusive guard: the event as a change or cancellation must see it, locked until
/// the transaction ends (fast-path bookers, which do not take the guard, wait on this row).
pub const LOCK_EVENT: &str = "\
SELECT id, organizer_id, status, seats_taken FROM events WHERE id = $1 FOR UPDATE";

/// Rewrites the fields a change names (null: leave alone).
pub const CHANGE_EVENT: &str = "\
UPDATE events SET
    name = COALESCE($2, name),
    description = COALESCE($3, description),
    date = COALESCE($4, date),
    location = COALESCE($5, location),
    ticket_limit = COALESCE($6, ticket_limit),
    price_cents = COALESCE($7, price_cents)
WHERE id = $1";

/// Under the exclusive guard, after a raise: confirm up to `$2` heads of the line, lowest id
/// first, and count their seats in one statement (I4, I5).
pub const FILL_SEATS: &str = "\
WITH heads AS (
    SELECT id FROM bookings
    WHERE event_id = $1 AND status = 'PENDING'
    ORDER BY id
    LIMIT $2
    FOR UPDATE
), promoted AS (
    UPDATE bookings SET status = 'CONFIRMED', updated_at = now()
    WHERE id IN (SELECT id FROM heads)
    RETURNING id, event_id, user_id, status, created_at
), seats AS (
    UPDATE events SET seats_taken = seats_taken + (SELECT count(*) FROM promoted)
    WHERE id = $1
)
SELECT id, event_id, user_id, status, created_at FROM promoted ORDER BY id";

/// Under the exclusive guard: every live booking cancelled, every seat freed, the event called
/// off, in one statement; returns how many bookings ended.
pub const CANCEL_EVENT: &str = "\
WITH ended AS (
    UPDATE bookings SET status = 'CANCELLED', updated_at = now()
    WHERE event_id = $1 AND status IN ('CONFIRMED', 'PENDING')
    RETURNING id
), called_off AS (
    UPDATE events SET status = 'CANCELLED', seats_taken = 0
    WHERE id = $1
)
SELECT count(*) AS n FROM ended";

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
