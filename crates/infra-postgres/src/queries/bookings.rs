//! The booking and cancel statements, docs/ARCHITECTURE.md's "The two transactions": every
//! statement that changes seats is a conditional write checked by the database, so two server
//! processes cannot oversell between them. The event's guard, which these run under, is
//! [`super::guard`].

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::notice::{self, NoticeKind};
use domain::{BookingId, BookingQuery, BookingStatus, EventId, UserId};

use crate::queries::Prepared;
use crate::queries::fragments::{
    booking_columns, booking_notices, line_length, line_position, noticed, pending_ahead, take_seat,
};
use crate::rows::{
    AttendeeRow, BookingRow, BookingViewRow, FoundBookingRow, LockedBookingRow, PlacedBookingRow,
};
use crate::schema::bookings;

/// The notice kinds the domain gives a booking written with `status`.
fn new_booking_kind(status: BookingStatus) -> &'static str {
    notice::rules::kind_of_new_booking(status).map_or("", NoticeKind::as_str)
}

/// Fast path: take a seat, insert the CONFIRMED booking and its notice (kind `$3`) in one
/// statement. No row back means no seat was free (or no such event); a unique violation rolls
/// the seat back with it. Its notice is always a seat's, so it is written without
/// `booking_notices!`'s choice of kind.
pub const TAKE_FREE_SEAT: &str = concat!(
    "WITH ",
    take_seat!(),
    ", placed AS (
    INSERT INTO bookings (event_id, user_id, status)
    SELECT id, $2, 'CONFIRMED' FROM seat
    RETURNING id, event_id, user_id, status, created_at
), ",
    noticed!("SELECT $3, event_id, id, user_id, NULL FROM placed"),
    "
SELECT id, event_id, user_id, status, created_at FROM placed"
);

pub(crate) async fn take_free_seat(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<BookingRow>> {
    Prepared(
        diesel::sql_query(TAKE_FREE_SEAT)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(new_booking_kind(BookingStatus::Confirmed)),
    )
    .get_result(conn)
    .await
    .optional()
}

/// Slow path, run under the shared guard: retry the seat (a cancel may have freed one since
/// the fast path), else join the line, and write the booking's notice (kind `$3` for a seat,
/// `$4` for the line, with the place). Also reports how many pending bookings are ahead,
/// counted in this statement's snapshot. No row back means no such event, or one called off
/// (the event's status tells which).
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
               ",
    pending_ahead!("p"),
    "
           ELSE 0 END AS ahead
    FROM placed p
), ",
    booking_notices!("$3", "$4", "counted"),
    "
SELECT id, event_id, user_id, status, created_at, ahead FROM counted"
);

pub(crate) async fn take_seat_or_join_line(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<PlacedBookingRow>> {
    Prepared(
        diesel::sql_query(TAKE_SEAT_OR_JOIN_LINE)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(new_booking_kind(BookingStatus::Confirmed))
            .bind::<Text, _>(new_booking_kind(BookingStatus::Pending)),
    )
    .get_result(conn)
    .await
    .optional()
}

/// An event's free seats and sale status, read while locking its row.
#[derive(Debug, QueryableByName)]
pub(crate) struct SeatsRow {
    #[diesel(sql_type = Integer)]
    pub free: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// Group commit, first statement, under the shared guard: the event's row, locked as the
/// seat-taking writes lock it, so the free seats read here stay free until the batch commits,
/// and the batch's own statement (run after the lock) sees every booking committed before it.
const LOCK_EVENT_SEATS: &str = "\
SELECT ticket_limit - seats_taken AS free, status FROM events WHERE id = $1 FOR NO KEY UPDATE";

/// Call inside a transaction holding the event's shared guard; the row stays locked until it
/// ends. `None` when there is no such event.
pub(crate) async fn lock_seats(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<SeatsRow>> {
    Prepared(diesel::sql_query(LOCK_EVENT_SEATS).bind::<BigInt, _>(event.get()))
        .get_result(conn)
        .await
        .optional()
}

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
/// of 3 000 took 190 ms instead of 10). A booker's place is the line as the snapshot holds it
/// plus the batch's own pending rows before it, not [`pending_ahead!`] per booker: the rows a
/// statement writes are not in its own snapshot, and one count of the line serves the batch.
const BOOK_BATCH: &str = concat!(
    "WITH wanted AS (
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
               ",
    line_length!("$1"),
    "
               + count(*) FILTER (WHERE p.status = 'PENDING') OVER (ORDER BY p.id) - 1
           ELSE 0 END AS ahead
    FROM placed p
), ",
    booking_notices!("$4", "$5", "counted ORDER BY id"),
    "
SELECT id, event_id, user_id, status, created_at, ahead FROM counted ORDER BY id"
);

/// Call after [`lock_seats`], in its transaction: places `users` (arrival order) with `free`
/// seats to give; returns the bookings written, by id.
pub(crate) async fn place_batch(
    conn: &mut AsyncPgConnection,
    event: EventId,
    users: &[i64],
    free: i32,
) -> QueryResult<Vec<PlacedBookingRow>> {
    Prepared(
        diesel::sql_query(BOOK_BATCH)
            .bind::<BigInt, _>(event.get())
            .bind::<Array<BigInt>, _>(users)
            .bind::<Integer, _>(free)
            .bind::<Text, _>(new_booking_kind(BookingStatus::Confirmed))
            .bind::<Text, _>(new_booking_kind(BookingStatus::Pending)),
    )
    .load(conn)
    .await
}

/// The user's confirmed or pending booking for the event, if any.
pub(crate) async fn live_for(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<BookingRow>> {
    bookings::table
        .filter(bookings::event_id.eq(event.get()))
        .filter(bookings::user_id.eq(user.get()))
        .filter(bookings::status.eq_any([BookingStatus::Confirmed.as_str(), BookingStatus::Pending.as_str()]))
        .select(BookingRow::as_select())
        .first(conn)
        .await
        .optional()
}

pub const LOCK_BOOKING: &str = "\
SELECT b.id, b.event_id, b.user_id, b.status, b.created_at, e.organizer_id
FROM bookings b JOIN events e ON e.id = b.event_id
WHERE b.id = $1
FOR UPDATE OF b";

pub(crate) async fn lock_booking(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<Option<LockedBookingRow>> {
    Prepared(diesel::sql_query(LOCK_BOOKING).bind::<BigInt, _>(booking.get()))
        .get_result(conn)
        .await
        .optional()
}

const LOCK_LIVE_BOOKING: &str = "\
SELECT b.id, b.event_id, b.user_id, b.status, b.created_at, e.organizer_id
FROM bookings b JOIN events e ON e.id = b.event_id
WHERE b.event_id = $1 AND b.user_id = $2 AND b.status IN ('CONFIRMED', 'PENDING')
FOR UPDATE OF b";

pub(crate) async fn lock_live_booking(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<LockedBookingRow>> {
    Prepared(
        diesel::sql_query(LOCK_LIVE_BOOKING).bind::<BigInt, _>(event.get()).bind::<BigInt, _>(user.get()),
    )
    .get_result(conn)
    .await
    .optional()
}

pub const MARK_CANCELLED: &str = "\
UPDATE bookings SET status = 'CANCELLED', updated_at = now()
WHERE id = $1
RETURNING id, event_id, user_id, status, created_at";

pub(crate) async fn mark_cancelled(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<BookingRow> {
    Prepared(diesel::sql_query(MARK_CANCELLED).bind::<BigInt, _>(booking.get())).get_result(conn).await
}

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

/// Call inside a transaction holding the exclusive guard. Returns the promoted booking.
pub(crate) async fn pass_seat_on(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<BookingRow>> {
    Prepared(diesel::sql_query(PASS_SEAT_ON).bind::<BigInt, _>(event.get())).get_result(conn).await.optional()
}

/// The event a booking is for (it never changes), to find the booking's cancel lane.
pub(crate) async fn event_of(conn: &mut AsyncPgConnection, id: BookingId) -> QueryResult<Option<i64>> {
    bookings::table.find(id.get()).select(bookings::event_id).first(conn).await.optional()
}

/// One booking, its place in line, and its event's organizer (who may read it too).
const FIND_BOOKING: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", ",
    line_position!(),
    ",
       e.organizer_id
FROM bookings b JOIN events e ON e.id = b.event_id
WHERE b.id = $1"
);

/// One booking with its place in line and its event's organizer.
pub(crate) async fn find(
    conn: &mut AsyncPgConnection,
    id: BookingId,
) -> QueryResult<Option<FoundBookingRow>> {
    Prepared(diesel::sql_query(FIND_BOOKING).bind::<BigInt, _>(id.get())).get_result(conn).await.optional()
}

/// A page of a user's bookings, newest first, before the cursor `$3`; `$4` is the limit plus
/// one. A backward scan of `bookings_user_id_idx`.
const USER_BOOKINGS: &str = concat!(
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

/// One more than a page of a user's bookings, newest first.
pub(crate) async fn of_user(
    conn: &mut AsyncPgConnection,
    user: UserId,
    query: BookingQuery,
) -> QueryResult<Vec<BookingViewRow>> {
    Prepared(
        diesel::sql_query(USER_BOOKINGS)
            .bind::<BigInt, _>(user.get())
            .bind::<Nullable<Text>, _>(query.status.map(BookingStatus::as_str))
            .bind::<Nullable<BigInt>, _>(query.after.map(BookingId::get))
            .bind::<BigInt, _>(i64::from(query.limit.get()) + 1),
    )
    .load(conn)
    .await
}

/// A page of an event's bookings with their holders, by id (line order for the pending), after
/// the cursor `$3`; `$4` is the limit plus one.
const ATTENDEES: &str = concat!(
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

/// One more than a page of an event's bookings with their holders, by id.
pub(crate) async fn of_event(
    conn: &mut AsyncPgConnection,
    event: EventId,
    query: BookingQuery,
) -> QueryResult<Vec<AttendeeRow>> {
    Prepared(
        diesel::sql_query(ATTENDEES)
            .bind::<BigInt, _>(event.get())
            .bind::<Nullable<Text>, _>(query.status.map(BookingStatus::as_str))
            .bind::<Nullable<BigInt>, _>(query.after.map(BookingId::get))
            .bind::<BigInt, _>(i64::from(query.limit.get()) + 1),
    )
    .load(conn)
    .await
}
