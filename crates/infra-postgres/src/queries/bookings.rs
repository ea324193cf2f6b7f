//! The booking statements, docs/ARCHITECTURE.md's "The two transactions": the fast path is a
//! conditional write checked by the database; everything else runs under the event's guard
//! ([`super::guard`]) holding its row, and writes what the domain decided there. Serving the
//! line is [`super::line`].

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::history::RequestId;
use domain::notice::{self, NoticeKind};
use domain::{BookingId, BookingQuery, BookingStatus, EventId, Quantity, UserId};

use crate::queries::Prepared;
use crate::queries::fragments::{booking_columns, booking_notices, line_position, noticed, recorded};
use crate::rows::{AttendeeRow, BookingRow, BookingViewRow, FoundBookingRow, LineEntryRow, PlacedBookingRow};
use crate::schema::bookings;

/// The notice kinds the domain gives a booking written with `status`.
fn new_booking_kind(status: BookingStatus) -> &'static str {
    notice::rules::kind_of_new_booking(status).map_or("", NoticeKind::as_str)
}

/// Fast path: take the seats, insert the CONFIRMED booking and its notice (kind `$3`) in one
/// statement — only while all `$4` seats are free, nobody waits (whether a newcomer may pass
/// the line is the guarded path's decision), the event allows that many per booking and is on
/// sale. No row back means any of these failed (or no such event); a unique violation rolls the
/// seats back with it. The conditions are on the event row the statement updates, so a booker
/// that waited for its lock re-checks them on the version the holder committed. A lapsed offer
/// not yet expired still counts as taken here: with nobody waiting its seats go to no one else,
/// and when they are the ones a newcomer needs, the guarded path expires it first. The
/// booking's history entry (request id `$5`) comes from the same statement, with the event's
/// version the seats' update bumped.
pub const TAKE_FREE_SEATS: &str = concat!(
    "WITH seats AS (
    UPDATE events SET seats_taken = seats_taken + $4, version = version + 1
    WHERE id = $1 AND status = 'ON_SALE' AND waiting = 0
      AND seats_taken + $4 <= ticket_limit AND $4 <= max_per_booking
    RETURNING id, version, ticket_limit, overtake_limit
), placed AS (
    INSERT INTO bookings (event_id, user_id, status, quantity)
    SELECT id, $2, 'CONFIRMED', $4 FROM seats
    RETURNING id, event_id, user_id, status, quantity, created_at, offer_expires_at
), ",
    noticed!("SELECT $3, event_id, id, user_id, quantity, NULL::int8, NULL::int8 FROM placed"),
    ", ",
    recorded!(
        "SELECT p.event_id, s.version, p.id, 'user', p.user_id, 'booked', NULL, 'CONFIRMED', p.quantity,
           p.quantity, 0, 0, s.ticket_limit, s.overtake_limit, NULL::timestamptz, $5
    FROM placed p, seats s"
    ),
    "
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at FROM placed"
);

pub(crate) async fn take_free_seats(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
    quantity: Quantity,
    request: Option<&RequestId>,
) -> QueryResult<Option<BookingRow>> {
    Prepared(
        diesel::sql_query(TAKE_FREE_SEATS)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Text, _>(new_booking_kind(BookingStatus::Confirmed))
            .bind::<Integer, _>(seats(quantity))
            .bind::<Nullable<Text>, _>(request.map(RequestId::as_str)),
    )
    .get_result(conn)
    .await
    .optional()
}

/// Of the users `$2` (in arrival order), those who exist and hold no live booking of event `$1`,
/// in the same order: who a batch places. Run after the event's row is locked, so in a
/// snapshot that sees every booking committed before. `OFFSET 0` keeps the live-booking check
/// a probe of the unique index per booker: as a join, a plan made while the event had few
/// bookings read all of them once per booker (a 250-booker batch behind a line of 3 000 took
/// 190 ms instead of 10).
const ELIGIBLE: &str = "\
SELECT r.user_id AS id
FROM unnest($2::bigint[]) WITH ORDINALITY AS r(user_id, ord)
WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = r.user_id)
  AND NOT EXISTS (SELECT 1 FROM bookings b
                  WHERE b.event_id = $1 AND b.user_id = r.user_id
                    AND b.status IN ('CONFIRMED', 'PENDING', 'OFFERED')
                  OFFSET 0)
ORDER BY r.ord";

#[derive(QueryableByName)]
struct UserIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Call after locking the event's row: which of `users` may book it now, in their order.
pub(crate) async fn eligible(
    conn: &mut AsyncPgConnection,
    event: EventId,
    users: &[i64],
) -> QueryResult<Vec<i64>> {
    let rows: Vec<UserIdRow> =
        Prepared(diesel::sql_query(ELIGIBLE).bind::<BigInt, _>(event.get()).bind::<Array<BigInt>, _>(users))
            .load(conn)
            .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Newcomers to event `$1` as the domain placed them (`domain::line::Line::arrive`), in arrival
/// order, under the event's guard and row lock: for each, the user (`$2`), status (`$3`),
/// quantity (`$4`), overtake count (`$5`, a waiting newcomer that later ones in its batch
/// passed), and for a pending one the bookings and seats ahead (`$6`, `$7`, exact: the line
/// cannot change under the lock). The waiting bookings the newcomers passed get their counts
/// (`$8`, `$9`), and the event its counters (`$10` seats taken, `$11` bookings and `$12` seats
/// waiting, each added); each newcomer gets its notice (kind `$13` for seats, `$14` for the
/// line) unless `$15` says the caller tells of them itself, and its history entry (request id
/// in `$16`, by arrival). A live booking committed outside the lock's reach is skipped by `ON CONFLICT`: fewer
/// rows back than users given means the plan is void, and the caller rolls back.
pub const PLACE: &str = concat!(
    "WITH arrivals AS (
    SELECT * FROM unnest($2::int8[], $3::text[], $4::int4[], $5::int4[], $6::int8[], $7::int8[], $16::text[])
        WITH ORDINALITY AS r(user_id, status, quantity, overtaken, ahead, seats_ahead, request_id, ord)
), placed AS (
    INSERT INTO bookings (event_id, user_id, status, quantity, overtaken)
    SELECT $1, user_id, status, quantity, overtaken FROM arrivals ORDER BY ord
    ON CONFLICT (event_id, user_id) WHERE status IN ('CONFIRMED', 'PENDING', 'OFFERED') DO NOTHING
    RETURNING id, event_id, user_id, status, quantity, created_at, offer_expires_at
), passed AS (
    UPDATE bookings b SET overtaken = p.overtaken
    FROM unnest($8::int8[], $9::int4[]) AS p(id, overtaken)
    WHERE b.event_id = $1 AND b.id = p.id
), counted AS (
    UPDATE events
    SET seats_taken = seats_taken + $10, waiting = waiting + $11, seats_waiting = seats_waiting + $12,
        version = version + 1
    WHERE id = $1
    RETURNING version, ticket_limit, overtake_limit
), with_places AS (
    SELECT p.*, a.ahead, a.seats_ahead, a.request_id FROM placed p JOIN arrivals a ON a.user_id = p.user_id
), ",
    booking_notices!("$13", "$14", "with_places WHERE NOT $15 ORDER BY id"),
    ", ",
    recorded!(
        "SELECT $1, c.version, w.id, 'user', w.user_id,
           CASE WHEN w.status = 'CONFIRMED' THEN 'booked' ELSE 'waitlisted' END, NULL, w.status, w.quantity,
           CASE WHEN w.status = 'CONFIRMED' THEN w.quantity ELSE 0 END,
           CASE WHEN w.status = 'PENDING' THEN 1 ELSE 0 END,
           CASE WHEN w.status = 'PENDING' THEN w.quantity ELSE 0 END,
           c.ticket_limit, c.overtake_limit, NULL::timestamptz, w.request_id
    FROM with_places w, counted c ORDER BY w.id"
    ),
    "
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at, ahead, seats_ahead
FROM with_places ORDER BY id"
);

/// One newcomer as the domain placed it, for [`place`].
#[derive(Debug, Clone)]
pub(crate) struct Arrival {
    pub user: i64,
    pub status: BookingStatus,
    pub quantity: i32,
    pub overtaken: i32,
    pub ahead: i64,
    pub seats_ahead: i64,
    /// The request that brought it.
    pub request: Option<RequestId>,
}

/// What placing newcomers does to the event besides their rows: the overtake counts of the
/// waiting bookings they passed, and the counters' changes; `untold` when the caller writes
/// the newcomers' notices (a raised quantity's new booking is told of after the old one's end).
#[derive(Debug, Clone, Default)]
pub(crate) struct Placing {
    pub passed: Vec<(i64, i32)>,
    pub seats_taken: i32,
    pub waiting: i32,
    pub seats_waiting: i32,
    pub untold: bool,
}

/// Call under the event's guard, holding its row: writes `arrivals` and `placing`; returns the
/// bookings written, by id.
pub(crate) async fn place(
    conn: &mut AsyncPgConnection,
    event: EventId,
    arrivals: &[Arrival],
    placing: &Placing,
) -> QueryResult<Vec<PlacedBookingRow>> {
    let column = |f: fn(&Arrival) -> i64| arrivals.iter().map(f).collect::<Vec<i64>>();
    let statuses: Vec<&str> = arrivals.iter().map(|a| a.status.as_str()).collect();
    let quantities: Vec<i32> = arrivals.iter().map(|a| a.quantity).collect();
    let overtaken: Vec<i32> = arrivals.iter().map(|a| a.overtaken).collect();
    let (passed, counts): (Vec<i64>, Vec<i32>) = placing.passed.iter().copied().unzip();
    Prepared(
        diesel::sql_query(PLACE)
            .bind::<BigInt, _>(event.get())
            .bind::<Array<BigInt>, _>(column(|a| a.user))
            .bind::<Array<Text>, _>(statuses)
            .bind::<Array<Integer>, _>(quantities)
            .bind::<Array<Integer>, _>(overtaken)
            .bind::<Array<BigInt>, _>(column(|a| a.ahead))
            .bind::<Array<BigInt>, _>(column(|a| a.seats_ahead))
            .bind::<Array<BigInt>, _>(passed)
            .bind::<Array<Integer>, _>(counts)
            .bind::<Integer, _>(placing.seats_taken)
            .bind::<Integer, _>(placing.waiting)
            .bind::<Integer, _>(placing.seats_waiting)
            .bind::<Text, _>(new_booking_kind(BookingStatus::Confirmed))
            .bind::<Text, _>(new_booking_kind(BookingStatus::Pending))
            .bind::<Bool, _>(placing.untold)
            .bind::<Array<Nullable<Text>>, _>(
                arrivals.iter().map(|a| a.request.as_ref().map(RequestId::as_str)).collect::<Vec<_>>(),
            ),
    )
    .load(conn)
    .await
}

/// A quantity as the database stores it (at most [`Quantity::MAX`], so it always fits).
pub(crate) fn seats(quantity: Quantity) -> i32 {
    i32::try_from(quantity.get()).unwrap_or(i32::MAX)
}

/// The live booking (confirmed, pending or offered, as stored) of user `$2` for event `$1`, as
/// a read shows it: an offer that has lapsed but is not expired yet reads `EXPIRED`.
const LIVE_FOR: &str = concat!(
    "SELECT ",
    booking_columns!(),
    "
FROM bookings b
WHERE b.event_id = $1 AND b.user_id = $2 AND b.status IN ('CONFIRMED', 'PENDING', 'OFFERED')"
);

/// The user's live booking for the event, if any, as a read shows it.
pub(crate) async fn live_for(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<BookingRow>> {
    Prepared(diesel::sql_query(LIVE_FOR).bind::<BigInt, _>(event.get()).bind::<BigInt, _>(user.get()))
        .get_result(conn)
        .await
        .optional()
}

/// The bookings a batch of cancels of event `$1` names: by id (`$2`), and the live booking of
/// each user in `$3`, with what serving the line needs of them, each locked: under the event's
/// exclusive guard nothing else changes them but an accept, which takes only its booking's row
/// (the seats are already held) — so the lock makes a cancel or a decline read the accept's
/// result, or the accept wait for theirs.
pub const TARGETS: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", b.overtaken
FROM bookings b
WHERE b.event_id = $1
  AND (b.id = ANY ($2) OR (b.user_id = ANY ($3) AND b.status IN ('CONFIRMED', 'PENDING', 'OFFERED')))
FOR NO KEY UPDATE OF b"
);

/// Call under the event's exclusive guard: the bookings `ids` and the live bookings of `users`.
pub(crate) async fn targets(
    conn: &mut AsyncPgConnection,
    event: EventId,
    ids: &[i64],
    users: &[i64],
) -> QueryResult<Vec<LineEntryRow>> {
    Prepared(
        diesel::sql_query(TARGETS)
            .bind::<BigInt, _>(event.get())
            .bind::<Array<BigInt>, _>(ids)
            .bind::<Array<BigInt>, _>(users),
    )
    .load(conn)
    .await
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
