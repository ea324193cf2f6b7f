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

/// A session-level advisory lock on `$1`, held until the connection closes: building the test
/// template takes it so that test binaries starting together take turns.
pub const TAKE_SESSION_LOCK: &str = "SELECT pg_advisory_lock($1)";

/// A transaction-level advisory lock on `$1`, held until the transaction ends: migrating takes
/// it so that instances starting together take turns. Not a session lock: behind a pooler in
/// transaction mode, a session lock stays with the server connection the pooler lent, held by
/// nobody once the migration's client is gone.
pub const TAKE_TRANSACTION_LOCK: &str = "SELECT pg_advisory_xact_lock($1)";

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

/// The time limits of [`session_settings`] as the connecting role's defaults in this database
/// (a role may set its own), for sessions that cannot be given settings of their own: behind a
/// transaction pooler.
#[must_use]
pub fn role_defaults(statement_ms: u128, lock_ms: u128, idle_in_transaction_ms: u128) -> String {
    format!(
        "DO $$ BEGIN \
         EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET statement_timeout = {statement_ms}', current_database()); \
         EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET lock_timeout = {lock_ms}', current_database()); \
         EXECUTE format('ALTER ROLE CURRENT_USER IN DATABASE %I SET idle_in_transaction_session_timeout = {idle_in_transaction_ms}', current_database()); \
         END $$"
    )
}

/// First key of the two-key advisory locks that guard an event's waiting line; the second is
/// the event id folded into 31 bits. Two events sharing a folded key only share a lock, which
/// costs throughput, never correctness.
pub const GUARD_NAMESPACE: i32 = 0x7443_6b74;

pub const GUARD_SHARED: &str = "SELECT pg_advisory_xact_lock_shared($1, ($2 & 2147483647)::int4)";
pub const GUARD_EXCLUSIVE: &str = "SELECT pg_advisory_xact_lock($1, ($2 & 2147483647)::int4)";

/// Fast path: take a seat, insert the CONFIRMED booking and its notice (kind `$3`) in one
/// statement. No row back means no seat was free (or no such event); a unique violation rolls
/// the seat back with it.
pub const TAKE_FREE_SEAT: &str = concat!(
    "WITH ",
    take_seat!(),
    ", placed AS (
    INSERT INTO bookings (event_id, user_id, status)
    SELECT id, $2, 'CONFIRMED' FROM seat
    RETURNING id, event_id, user_id, status, created_at
), noticed AS (
    INSERT INTO notifications (kind, event_id, booking_id, user_id)
    SELECT $3, event_id, id, user_id FROM placed
)
SELECT id, event_id, user_id, status, created_at FROM placed"
);

/// Slow path, run under the shared guard: retry the seat (a cancel may have freed one since
/// the fast path), else join the line, and write the booking's notice (kind `$3` for a seat,
/// `$4` for the line, with the place). Also reports how many pending bookings are ahead,
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
), counted AS (
    SELECT p.*,
           CASE WHEN p.status = 'PENDING' THEN
               (SELECT count(*) FROM bookings b WHERE b.event_id = p.event_id AND b.status = 'PENDING' AND b.id < p.id)
           ELSE 0 END AS ahead
    FROM placed p
), noticed AS (
    INSERT INTO notifications (kind, event_id, booking_id, user_id, position)
    SELECT CASE WHEN status = 'CONFIRMED' THEN $3 ELSE $4 END, event_id, id, user_id,
           CASE WHEN status = 'PENDING' THEN ahead + 1 END
    FROM counted
)
SELECT id, event_id, user_id, status, created_at, ahead FROM counted"
);

/// Group commit, first statement, under the shared guard: the event's row, locked as the
/// seat-taking writes lock it, so the free seats read here stay free until the batch commits,
/// and the batch's own statement (run after the lock) sees every booking committed before it.
pub const LOCK_EVENT_SEATS: &str = "\
SELECT ticket_limit - seats_taken AS free, status FROM events WHERE id = $1 FOR NO KEY UPDATE";

/// Group commit, second statement: the bookers `$2` (in arrival order) of event `$1`, holding
/// its row with `$3` seats free. Bookers who do not exist or already hold a live booking are
/// left out (the caller asks why, one by one); the first `$3` of the others take seats, the
/// rest join the line in order; each gets its notice (kind `$4` for a seat, `$5` for the line).
/// `ON CONFLICT` covers a live booking committed by a booker outside the batch's snapshot; the
/// seats counted are the confirmed rows actually written. A pending row returned while fewer
/// than `$3` were confirmed means such a conflict took a confirmed place: the caller rolls back
/// and tries again, so no seat stays free while someone waits (I3). `OFFSET 0` keeps the
/// live-booking check a probe of the unique index per booker: as a join, a plan made while the
/// event had few bookings read all of them once per booker (a 250-booker batch behind a line
/// of 3 000 took 190 ms instead of 10).
pub const BOOK_BATCH: &str = "\
WITH wanted AS (
    SELECT r.user_id, row_number() OVER (ORDER BY r.ord) AS rank
    FROM unnest($2::bigint[]) WITH ORDINALITY AS r(user_id, ord)
    WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
      AND NOT EXISTS (SELECT 1 FROM bookings b
                      WHERE b.event_id = $1 AND b.user_id = r.user_id AND b.status IN ('CONFIRMED', 'PENDING')
                      OFFSET 0)
), placed AS (
    INSERT INTO bookings (event_id, user_id, status)
    SELECT $1, user_id, CASE WHEN rank <= $3 THEN 'CONFIRMED' ELSE 'PENDING' END
    FROM wanted ORDER BY rank
    ON CONFLICT (event_id, user_id) WHERE status IN ('CONFIRMED', 'PENDING') DO NOTHING
    RETURNING id, event_id, user_id, status, created_at
), seats AS (
    UPDATE events SET seats_taken = seats_taken + (SELECT count(*) FROM placed WHERE status = 'CONFIRMED')
    WHERE id = $1 AND EXISTS (SELECT 1 FROM placed WHERE status = 'CONFIRMED')
), counted AS (
    SELECT p.*,
           CASE WHEN p.status = 'PENDING' THEN
               (SELECT count(*) FROM bookings b WHERE b.event_id = $1 AND b.status = 'PENDING')
               + count(*) FILTER (WHERE p.status = 'PENDING') OVER (ORDER BY p.id) - 1
           ELSE 0 END AS ahead
    FROM placed p
), noticed AS (
    INSERT INTO notifications (kind, event_id, booking_id, user_id, position)
    SELECT CASE WHEN status = 'CONFIRMED' THEN $4 ELSE $5 END, event_id, id, user_id,
           CASE WHEN status = 'PENDING' THEN ahead + 1 END
    FROM counted ORDER BY id
)
SELECT id, event_id, user_id, status, created_at, ahead FROM counted ORDER BY id";

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
/// off, in one statement; returns the bookings that ended, by id.
pub const CANCEL_EVENT: &str = "\
WITH ended AS (
    UPDATE bookings SET status = 'CANCELLED', updated_at = now()
    WHERE event_id = $1 AND status IN ('CONFIRMED', 'PENDING')
    RETURNING id, event_id, user_id, status, created_at
), called_off AS (
    UPDATE events SET status = 'CANCELLED', seats_taken = 0
    WHERE id = $1
)
SELECT id, event_id, user_id, status, created_at FROM ended ORDER BY id";

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

/// A notification's columns as `NotificationRow` reads them, for a notification aliased `n`:
/// a booking's notice is completed from its booking (whose fields other than the status never
/// change; the status is the kind's), an event's from the snapshot written with it.
macro_rules! notification_columns {
    () => {
        "n.id, n.kind, n.created_at, n.event_id, n.position, n.booking_id,
       b.user_id AS holder_id, b.created_at AS booking_created_at,
       s.organizer_id, s.name, s.description, s.date, s.location, s.ticket_limit, s.price_cents,
       s.seats_taken, s.status, s.waiting"
    };
}

/// The joins [`notification_columns!`] reads from.
macro_rules! notification_sources {
    () => {
        "notifications n
LEFT JOIN bookings b ON b.id = n.booking_id
LEFT JOIN LATERAL jsonb_to_record(n.event_snapshot) AS s(
    organizer_id int8, name text, description text, date date, location text, ticket_limit int4,
    price_cents int8, seats_taken int4, status text, waiting int8) ON true"
    };
}

/// Notices decided by the domain, written in order (so numbered in order) by a guarded
/// transaction that has already written the change they report, and the instances woken (the
/// NOTIFY is delivered only if the transaction commits). An event's notice snapshots the
/// event as that transaction left it. The booking statements write their own notices and do
/// not NOTIFY: a NOTIFY serialises the commits of every notifying transaction, and the
/// listeners' poll finds those notices within a fifth of a second.
pub const WRITE_NOTICES: &str = concat!(
    "WITH written AS (
    INSERT INTO notifications (kind, event_id, booking_id, user_id, position, event_snapshot)
    SELECT n.kind, n.event_id, n.booking_id, n.user_id, n.position,
           CASE WHEN n.booking_id IS NULL THEN
               (SELECT to_jsonb(e) FROM (SELECT ",
    availability_columns!(),
    " FROM events e WHERE e.id = n.event_id) e)
           END
    FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int8[])
         WITH ORDINALITY AS n(kind, event_id, booking_id, user_id, position, ord)
    ORDER BY n.ord
    RETURNING id
)
SELECT pg_notify('ticketing_notifications', '') FROM (SELECT 1 FROM written LIMIT 1) AS any_written"
);

/// A user's notifications in `($2, $3]`, oldest first, at most `$4`.
pub const FEED: &str = concat!(
    "SELECT ",
    notification_columns!(),
    "
FROM ",
    notification_sources!(),
    "
WHERE n.user_id = $1 AND n.id > $2 AND n.id <= $3
ORDER BY n.id
LIMIT $4"
);

/// Every notification in `($2, $3]` for the users in `$1`, oldest first.
pub const FOR_RECIPIENTS: &str = concat!(
    "SELECT ",
    notification_columns!(),
    "
FROM ",
    notification_sources!(),
    "
WHERE n.user_id = ANY ($1) AND n.id > $2 AND n.id <= $3
ORDER BY n.id"
);

/// The newest notification id and the next transaction id, in one snapshot: where a new
/// watermark starts.
pub const NEWEST_NOTIFICATION: &str = "\
SELECT COALESCE((SELECT max(id) FROM notifications), 0) AS newest,
       pg_snapshot_xmax(pg_current_snapshot())::text::int8 AS next_writer";

/// Up to `$2` visible notification ids above `$1`, with the oldest running and the next
/// transaction id, all from the statement's one snapshot.
pub const SETTLEMENT: &str = "\
SELECT ARRAY(SELECT id FROM notifications WHERE id > $1 ORDER BY id LIMIT $2) AS ids,
       pg_snapshot_xmin(pg_current_snapshot())::text::int8 AS oldest_running,
       pg_snapshot_xmax(pg_current_snapshot())::text::int8 AS next_writer";

/// Subscribes a connection to the channel [`WRITE_NOTICES`] wakes: one per server instance.
pub const LISTEN: &str = "LISTEN ticketing_notifications";

/// The channel every revocation is announced on, its payload the revocation itself (see
/// `store::sessions` for the format): one listener per server instance.
pub const LISTEN_SESSIONS: &str = "LISTEN ticketing_sessions";

/// Announces a revocation to every listener, when the transaction commits.
pub const ANNOUNCE_REVOCATION: &str = "SELECT pg_notify('ticketing_sessions', $1)";

/// A logout; revoking a token twice is not an error.
pub const REVOKE_TOKEN: &str = "\
    INSERT INTO revoked_tokens (jti, user_id, expires_at) VALUES ($1::uuid, $2, $3)
    ON CONFLICT (jti) DO NOTHING";

/// A password change: the new hash, and the next token generation.
pub const CHANGE_PASSWORD: &str = "\
    UPDATE users SET password_hash = $2, token_generation = token_generation + 1, password_changed_at = now()
    WHERE id = $1
    RETURNING id, email, first_name, last_name, token_generation, password_changed_at AS changed_at";

/// A rehash with today's parameters: only while the hash is still the one that was checked.
pub const UPGRADE_HASH: &str = "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2";

/// Every revocation that can still refuse a token: logouts not yet expired, password changes
/// since `$1`.
pub const REVOCATIONS: &str = "\
    SELECT replace(jti::text, '-', '') AS jti, NULL::int8 AS user_id, NULL::int4 AS token_generation,
           expires_at AS at
    FROM revoked_tokens WHERE expires_at > now()
    UNION ALL
    SELECT NULL, id, token_generation, password_changed_at
    FROM users WHERE password_changed_at > $1";

/// Whether a token may act: its user exists, has not moved past its generation, and has not
/// logged it out.
pub const ADMITS: &str = "\
    SELECT u.token_generation <= $2 AND NOT EXISTS (SELECT FROM revoked_tokens r WHERE r.jti = $3::uuid)
           AS admitted
    FROM users u WHERE u.id = $1";

/// Expired revocations refuse nothing; the minute's grace covers instances' clock differences.
pub const FORGET_EXPIRED_REVOCATIONS: &str =
    "DELETE FROM revoked_tokens WHERE expires_at < now() - interval '1 minute'";

/// A key nobody holds, claimed by a new attempt.
pub const CLAIM_KEY: &str = "\
    INSERT INTO idempotency_keys (requester, key, fingerprint, attempt, lease_until)
    VALUES ($1, $2, $3, $4::uuid, now() + $5 * interval '1 millisecond')
    ON CONFLICT (requester, key) DO NOTHING";

/// A key whose attempt's lease ran out without an answer, taken over for the same request.
pub const TAKE_OVER_KEY: &str = "\
    UPDATE idempotency_keys SET attempt = $4::uuid, lease_until = now() + $5 * interval '1 millisecond'
    WHERE requester = $1 AND key = $2 AND fingerprint = $3 AND status IS NULL AND lease_until < now()";

/// What a held key is: for the same request or not, and its answer if it has one.
pub const READ_KEY: &str = "\
    SELECT fingerprint = $3 AS same_request, status, body
    FROM idempotency_keys WHERE requester = $1 AND key = $2";

/// The answer, stored by the attempt that holds the key (inside the effect's transaction, or
/// after a refusal); no row when the attempt no longer holds it.
pub const ANSWER_KEY: &str = "\
    UPDATE idempotency_keys SET status = $4, body = $5
    WHERE requester = $1 AND key = $2 AND attempt = $3::uuid AND status IS NULL";

/// [`ANSWER_KEY`] for many attempts at once (a batch of bookings): parallel arrays of
/// requester, key, attempt, status and body; returns the ordinals (from 1) of those that still
/// held their keys.
pub const ANSWER_KEYS: &str = "\
    UPDATE idempotency_keys k SET status = a.status, body = a.body
    FROM unnest($1::text[], $2::text[], $3::text[], $4::int2[], $5::bytea[])
         WITH ORDINALITY AS a(requester, key, attempt, status, body, ord)
    WHERE k.requester = a.requester AND k.key = a.key AND k.attempt = a.attempt::uuid AND k.status IS NULL
    RETURNING a.ord";

/// An attempt gives its key back unanswered, so a retry runs again.
pub const RELEASE_KEY: &str = "\
    DELETE FROM idempotency_keys WHERE requester = $1 AND key = $2 AND attempt = $3::uuid AND status IS NULL";

/// Keys past their keeping time.
pub const FORGET_KEYS: &str =
    "DELETE FROM idempotency_keys WHERE created_at < now() - $1 * interval '1 millisecond'";

/// A webhook's columns, as `WebhookRow` reads them.
macro_rules! webhook_columns {
    () => {
        "id, organizer_id, url, kinds, event_id, created_at, disabled_at"
    };
}

pub const EVENT_ORGANIZER: &str = "SELECT organizer_id FROM events WHERE id = $1";

pub const INSERT_WEBHOOK: &str = concat!(
    "INSERT INTO webhooks (organizer_id, url, kinds, event_id, secret)
VALUES ($1, $2, $3, $4, $5)
RETURNING ",
    webhook_columns!()
);

pub const ORGANIZER_WEBHOOKS: &str =
    concat!("SELECT ", webhook_columns!(), " FROM webhooks WHERE organizer_id = $1 ORDER BY id");

pub const OWNED_WEBHOOK: &str = "SELECT id FROM webhooks WHERE id = $1 AND organizer_id = $2";

/// Deliveries and the log go with it (ON DELETE CASCADE).
pub const DELETE_WEBHOOK: &str = "DELETE FROM webhooks WHERE id = $1 AND organizer_id = $2";

/// A page of a webhook's attempts, newest first, before `$2`, at most `$3`.
pub const WEBHOOK_ATTEMPTS: &str = "\
SELECT id, notification_id, attempted_at, status_code, error, next_attempt_at
FROM webhook_attempts
WHERE webhook_id = $1 AND id < COALESCE($2::int8, 9223372036854775807)
ORDER BY id DESC
LIMIT $3";

/// Claims up to `$1` due deliveries for `$2` milliseconds: rows other workers hold are
/// skipped, not waited for, and the lease is the row's new due time, so a claim that is never
/// settled comes due again by itself.
pub const CLAIM_DELIVERIES: &str = concat!(
    "WITH due AS (
    SELECT webhook_id, notification_id FROM webhook_deliveries
    WHERE due_at <= now()
    ORDER BY due_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1, due_at = now() + $2 * interval '1 millisecond'
    FROM due
    WHERE d.webhook_id = due.webhook_id AND d.notification_id = due.notification_id
    RETURNING d.webhook_id, d.notification_id, d.attempts
)
SELECT c.webhook_id, c.attempts, w.url, w.secret, ",
    notification_columns!(),
    "
FROM claimed c
JOIN webhooks w ON w.id = c.webhook_id
JOIN ",
    notification_sources!(),
    " ON n.id = c.notification_id
ORDER BY n.id"
);

/// Settles a batch of claims, each `(webhook $1, notification $2, claim $3)`: delivered (`$4`),
/// due again in `$5` ms, or closed (`$5` null); logs each attempt with its status `$6` and error
/// `$7`. A claim that is no longer the latest (its lease ran out and another worker claimed the
/// delivery) changes nothing and is not logged.
pub const SETTLE_DELIVERIES: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::int8[], $2::int8[], $3::int4[], $4::bool[], $5::int8[], $6::int4[], $7::text[])
        WITH ORDINALITY AS i(webhook_id, notification_id, attempt, delivered, retry_ms, status_code, error, ord)
), settled AS (
    UPDATE webhook_deliveries d
    SET due_at = CASE WHEN i.delivered OR i.retry_ms IS NULL THEN NULL
                      ELSE now() + i.retry_ms * interval '1 millisecond' END,
        delivered_at = CASE WHEN i.delivered THEN now() END
    FROM input i
    WHERE d.webhook_id = i.webhook_id AND d.notification_id = i.notification_id AND d.attempts = i.attempt
    RETURNING d.webhook_id, d.notification_id, d.due_at
)
INSERT INTO webhook_attempts (webhook_id, notification_id, status_code, error, next_attempt_at)
SELECT s.webhook_id, s.notification_id, i.status_code, i.error, s.due_at
FROM settled s JOIN input i ON i.webhook_id = s.webhook_id AND i.notification_id = s.notification_id
ORDER BY i.ord";

/// Receivers answered 410 Gone: nothing more goes to the webhooks `$1`.
pub const DISABLE_WEBHOOKS: &str = "\
WITH disabled AS (
    UPDATE webhooks SET disabled_at = now() WHERE id = ANY ($1) AND disabled_at IS NULL
)
UPDATE webhook_deliveries SET due_at = NULL WHERE webhook_id = ANY ($1) AND due_at IS NOT NULL";

/// The relay's place, locked: `None` when another instance is relaying right now.
pub const LOCK_RELAY: &str =
    "SELECT walked, gap_start, gap_seen FROM outbox_relay WHERE id = 1 FOR UPDATE SKIP LOCKED";

/// Queues the notifications in `($1, $2]` for every matching webhook of their events'
/// organizers. A delivery is as old as its notification.
pub const QUEUE_DELIVERIES: &str = "\
INSERT INTO webhook_deliveries (webhook_id, notification_id, created_at)
SELECT w.id, n.id, n.created_at
FROM notifications n
JOIN events e ON e.id = n.event_id
JOIN webhooks w ON w.organizer_id = e.organizer_id
WHERE n.id > $1 AND n.id <= $2
  AND w.disabled_at IS NULL
  AND (w.event_id IS NULL OR w.event_id = n.event_id)
  AND (w.kinds IS NULL OR n.kind = ANY (w.kinds))
ON CONFLICT DO NOTHING";

pub const SAVE_RELAY: &str =
    "UPDATE outbox_relay SET walked = $1, gap_start = $2, gap_seen = $3 WHERE id = 1";

/// What waits to be delivered, and since when.
pub const DELIVERY_BACKLOG: &str = "\
SELECT count(*) AS undelivered,
       COALESCE(extract(epoch FROM now() - min(created_at)), 0)::int8 AS oldest_age_seconds
FROM webhook_deliveries WHERE due_at IS NOT NULL";
