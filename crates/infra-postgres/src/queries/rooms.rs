//! The waiting rooms' statements (docs/ARCHITECTURE.md, "The waiting room"). A room's row is
//! its lock: every join, draw and change of its count takes it `FOR UPDATE` first, so places
//! are numbered one transaction at a time, in commit order, with no gap.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension as _;
use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::room::{Room, Serving};
use domain::{EventId, UserId};

use crate::queries::Prepared;
use crate::rows::{PlacedRow, RoomPlaceRow, RoomRow};

/// A room's columns as [`RoomRow`] reads them, for a room aliased `r`.
macro_rules! room_columns {
    () => {
        "r.event_id, r.opens_at, r.sale_starts_at, r.shuffle, r.token_ttl_seconds, r.place_validity_seconds,
       r.base_pos, r.base_at, r.rate, r.paused, r.numbered, r.joined, r.drawn"
    };
}

/// The room, locked until the transaction ends, with the clock after the lock was taken.
const LOCK_ROOM: &str = concat!(
    "SELECT ",
    room_columns!(),
    ", clock_timestamp() AS now FROM waiting_rooms r WHERE r.event_id = $1 FOR UPDATE"
);

pub(crate) async fn lock(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> diesel::QueryResult<Option<RoomRow>> {
    Prepared(diesel::sql_query(LOCK_ROOM).bind::<BigInt, _>(event.get())).get_result(conn).await.optional()
}

/// The room, locked as [`lock`] does, with the places some users already hold, in one round
/// trip: a row per such place, or one with no place. The places are read from the statement's
/// snapshot, taken before any wait for the lock: a place given by the transaction that held
/// it meanwhile is missed, and inserting it again fails on the key, which the caller retries.
const LOCK_WITH_PLACES: &str = concat!(
    "WITH r AS (SELECT ",
    room_columns!(),
    ", clock_timestamp() AS now FROM waiting_rooms r WHERE r.event_id = $1 FOR UPDATE)
SELECT r.*, q.user_id, q.position, q.reached_at, q.token_at
FROM r LEFT JOIN queue_places q ON q.event_id = r.event_id AND q.user_id = ANY($2)"
);

pub(crate) async fn lock_with_places(
    conn: &mut AsyncPgConnection,
    event: EventId,
    users: &[i64],
) -> diesel::QueryResult<Vec<RoomPlaceRow>> {
    Prepared(
        diesel::sql_query(LOCK_WITH_PLACES).bind::<BigInt, _>(event.get()).bind::<Array<BigInt>, _>(users),
    )
    .load(conn)
    .await
}

const READ_ROOM: &str = concat!(
    "SELECT ",
    room_columns!(),
    ", statement_timestamp() AS now FROM waiting_rooms r WHERE r.event_id = $1"
);

pub(crate) async fn read(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> diesel::QueryResult<Option<RoomRow>> {
    Prepared(diesel::sql_query(READ_ROOM).bind::<BigInt, _>(event.get())).get_result(conn).await.optional()
}

/// The room and one user's place in it, if any, from one snapshot.
const READ_PLACE: &str = concat!(
    "SELECT ",
    room_columns!(),
    ", statement_timestamp() AS now, q.user_id, q.position, q.reached_at, q.token_at
FROM waiting_rooms r LEFT JOIN queue_places q ON q.event_id = r.event_id AND q.user_id = $2
WHERE r.event_id = $1"
);

pub(crate) async fn read_place(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> diesel::QueryResult<Option<RoomPlaceRow>> {
    Prepared(diesel::sql_query(READ_PLACE).bind::<BigInt, _>(event.get()).bind::<BigInt, _>(user.get()))
        .get_result(conn)
        .await
        .optional()
}

const PLACES_OF: &str = "\
SELECT user_id, position, reached_at, token_at FROM queue_places WHERE event_id = $1 AND user_id = ANY($2)";

/// The places some users already hold.
pub(crate) async fn places_of(
    conn: &mut AsyncPgConnection,
    event: EventId,
    users: &[i64],
) -> diesel::QueryResult<Vec<PlacedRow>> {
    Prepared(diesel::sql_query(PLACES_OF).bind::<BigInt, _>(event.get()).bind::<Array<BigInt>, _>(users))
        .load(conn)
        .await
}

/// New places, and the room's counts after them, in one statement; an early arrival of a
/// shuffled room (no position) gets its random key here.
const INSERT_PLACES: &str = "\
WITH placed AS (
    INSERT INTO queue_places (event_id, user_id, position, draw_key)
    SELECT $1, t.user_id, t.position, CASE WHEN t.position IS NULL THEN random() END
    FROM unnest($2::bigint[], $3::bigint[]) AS t(user_id, position)
)
UPDATE waiting_rooms SET numbered = $4, joined = $5 WHERE event_id = $1";

/// Inserts the places of `users` at `positions` and writes the room's counts (under its lock).
pub(crate) async fn insert_places(
    conn: &mut AsyncPgConnection,
    room: &Room,
    users: &[i64],
    positions: &[Option<i64>],
) -> diesel::QueryResult<usize> {
    Prepared(
        diesel::sql_query(INSERT_PLACES)
            .bind::<BigInt, _>(room.event.get())
            .bind::<Array<BigInt>, _>(users)
            .bind::<Array<Nullable<BigInt>>, _>(positions)
            .bind::<BigInt, _>(int(room.numbered))
            .bind::<BigInt, _>(int(room.joined)),
    )
    .execute(conn)
    .await
}

/// Numbers the early arrivals after the `$2` places already numbered, in the order of their
/// random keys.
const DRAW: &str = "\
WITH drawn AS (
    SELECT user_id, $2 + row_number() OVER (ORDER BY draw_key, user_id) AS position
    FROM queue_places WHERE event_id = $1 AND position IS NULL
)
UPDATE queue_places q SET position = d.position FROM drawn d WHERE q.event_id = $1 AND q.user_id = d.user_id";

/// Makes the draw; how many it numbered.
pub(crate) async fn draw(
    conn: &mut AsyncPgConnection,
    event: EventId,
    numbered: i64,
) -> diesel::QueryResult<usize> {
    Prepared(diesel::sql_query(DRAW).bind::<BigInt, _>(event.get()).bind::<BigInt, _>(numbered))
        .execute(conn)
        .await
}

/// Fixes when each place the count `($2, $3, $4)` reached up to `$5` was reached, before the
/// count changes course: at `$3` for those up to `$2`, else as [`Serving::reached_at`] says
/// (`$3` plus its share of seconds at the rate, in whole microseconds rounded up).
const FIX_REACHED: &str = "\
UPDATE queue_places SET reached_at = CASE WHEN position <= $2 THEN $3
    ELSE $3 + ((((position - $2) * 1000000) + $4 - 1) / $4) * interval '1 microsecond' END
WHERE event_id = $1 AND position <= $5 AND reached_at IS NULL";

pub(crate) async fn fix_reached(
    conn: &mut AsyncPgConnection,
    event: EventId,
    old: &Serving,
    reached_up_to: u64,
) -> diesel::QueryResult<usize> {
    Prepared(
        diesel::sql_query(FIX_REACHED)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(int(old.base_pos))
            .bind::<Timestamptz, _>(old.base_at)
            .bind::<BigInt, _>(i64::from(old.rate.get()))
            .bind::<BigInt, _>(int(reached_up_to)),
    )
    .execute(conn)
    .await
}

/// A new room with no places.
const INSERT_ROOM: &str = concat!(
    "INSERT INTO waiting_rooms AS r (event_id, opens_at, sale_starts_at, shuffle, token_ttl_seconds,
    place_validity_seconds, base_pos, base_at, rate, paused)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (event_id) DO NOTHING
RETURNING ",
    room_columns!(),
    ", statement_timestamp() AS now"
);

/// Inserts `room`; `None` when another transaction gave the event one first.
pub(crate) async fn insert_room(
    conn: &mut AsyncPgConnection,
    room: &Room,
) -> diesel::QueryResult<Option<RoomRow>> {
    let (s, c) = (&room.settings, &room.serving);
    Prepared(
        diesel::sql_query(INSERT_ROOM)
            .bind::<BigInt, _>(room.event.get())
            .bind::<Timestamptz, _>(s.opens_at)
            .bind::<Timestamptz, _>(s.sale_starts_at)
            .bind::<Bool, _>(s.shuffle)
            .bind::<Integer, _>(seconds(s.token_ttl))
            .bind::<Integer, _>(seconds(s.place_validity))
            .bind::<BigInt, _>(int(c.base_pos))
            .bind::<Timestamptz, _>(c.base_at)
            .bind::<Integer, _>(rate(c))
            .bind::<Bool, _>(c.paused),
    )
    .get_result(conn)
    .await
    .optional()
}

const WRITE_ROOM: &str = "\
UPDATE waiting_rooms SET opens_at = $2, sale_starts_at = $3, shuffle = $4, token_ttl_seconds = $5,
    place_validity_seconds = $6, base_pos = $7, base_at = $8, rate = $9, paused = $10, numbered = $11,
    joined = $12, drawn = $13
WHERE event_id = $1";

/// Writes `room` back, under its lock.
pub(crate) async fn write_room(conn: &mut AsyncPgConnection, room: &Room) -> diesel::QueryResult<usize> {
    let (s, c) = (&room.settings, &room.serving);
    Prepared(
        diesel::sql_query(WRITE_ROOM)
            .bind::<BigInt, _>(room.event.get())
            .bind::<Timestamptz, _>(s.opens_at)
            .bind::<Timestamptz, _>(s.sale_starts_at)
            .bind::<Bool, _>(s.shuffle)
            .bind::<Integer, _>(seconds(s.token_ttl))
            .bind::<Integer, _>(seconds(s.place_validity))
            .bind::<BigInt, _>(int(c.base_pos))
            .bind::<Timestamptz, _>(c.base_at)
            .bind::<Integer, _>(rate(c))
            .bind::<Bool, _>(c.paused)
            .bind::<BigInt, _>(int(room.numbered))
            .bind::<BigInt, _>(int(room.joined))
            .bind::<Bool, _>(room.drawn),
    )
    .execute(conn)
    .await
}

const MARK_USED: &str = "\
UPDATE queue_places SET token_at = COALESCE(token_at, $3) WHERE event_id = $1 AND user_id = $2
RETURNING token_at";

#[derive(diesel::QueryableByName)]
struct Used {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    token_at: Option<DateTime<Utc>>,
}

/// Marks the place used at `now`, unless it already was; when it was first marked.
pub(crate) async fn mark_used(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
    now: DateTime<Utc>,
) -> diesel::QueryResult<Option<DateTime<Utc>>> {
    let used: Option<Used> = Prepared(
        diesel::sql_query(MARK_USED)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(user.get())
            .bind::<Timestamptz, _>(now),
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(used.and_then(|u| u.token_at))
}

const DELETE_ROOM: &str = "DELETE FROM waiting_rooms WHERE event_id = $1";

pub(crate) async fn delete_room(conn: &mut AsyncPgConnection, event: EventId) -> diesel::QueryResult<usize> {
    Prepared(diesel::sql_query(DELETE_ROOM).bind::<BigInt, _>(event.get())).execute(conn).await
}

/// A count as the database keeps it (they never come near `i64::MAX`).
fn int(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn seconds(d: chrono::Duration) -> i32 {
    i32::try_from(d.num_seconds()).unwrap_or(i32::MAX)
}

fn rate(serving: &Serving) -> i32 {
    i32::try_from(serving.rate.get()).unwrap_or(i32::MAX)
}
