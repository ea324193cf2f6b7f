//! History (docs/ARCHITECTURE.md, "History"): who caused a change and the steps it took, as the
//! writes record them through [`super::fragments::recorded`]; the event's own entries; and the
//! reads of the trail — a booking's, a page of an event's, and everything the integrity check
//! replays, archived rows included.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::history::{Cause, Change, HistoryQuery, RequestId};
use domain::{BookingId, EventId, HistoryId, RepoError, UserId};

use crate::error::{Inconsistent, corrupt_row};
use crate::queries::Prepared;
use crate::queries::fragments::recorded;
use crate::rows::{HistoryRow, StoredBookingRow, TrailEventRow};

/// The actor column of `cause`'s entries: the acting user's id, none for the system.
pub(crate) fn actor_id(cause: &Cause) -> Option<i64> {
    cause.actor.id().map(UserId::get)
}

/// Booking changes in the order a transaction took them, as the columns of
/// [`super::line::WRITE_CHANGES`]'s history entries.
#[derive(Debug, Default)]
pub(crate) struct Steps {
    pub bookings: Vec<i64>,
    pub actions: Vec<&'static str>,
    pub from: Vec<Option<&'static str>>,
    pub to: Vec<&'static str>,
    pub quantities: Vec<i32>,
    pub seats: Vec<i32>,
    pub waiting: Vec<i32>,
    pub waiting_seats: Vec<i32>,
    pub actor_kinds: Vec<&'static str>,
    pub actor_ids: Vec<Option<i64>>,
    pub requests: Vec<Option<String>>,
}

impl Steps {
    /// One more step: `booking` changed as `change` says, by `cause`.
    pub(crate) fn push(&mut self, booking: i64, change: Change, cause: &Cause) -> Result<(), RepoError> {
        let action = change
            .action()
            .ok_or_else(|| corrupt_row(Inconsistent("a booking change its state machine does not allow")))?;
        let deltas = change.deltas();
        let narrow = |n: i64| i32::try_from(n).map_err(corrupt_row);
        self.bookings.push(booking);
        self.actions.push(action.as_str());
        self.from.push(change.from.map(|s| s.as_str()));
        self.to.push(change.to.as_str());
        self.quantities.push(narrow(i64::from(change.quantity))?);
        self.seats.push(narrow(deltas.seats)?);
        self.waiting.push(narrow(deltas.waiting)?);
        self.waiting_seats.push(narrow(deltas.waiting_seats)?);
        self.actor_kinds.push(cause.actor.kind());
        self.actor_ids.push(actor_id(cause));
        self.requests.push(cause.request_id().map(str::to_owned));
        Ok(())
    }
}

/// Event `$1` put on sale by its organizer, in request `$2`: its first entry, with the version
/// its creation's transaction bumps.
pub const RECORD_CREATED: &str = concat!(
    "WITH bumped AS (
    UPDATE events SET version = version + 1 WHERE id = $1
    RETURNING id, version, ticket_limit, overtake_limit, organizer_id
), ",
    recorded!(
        "SELECT id, version, NULL::int8, 'organizer', organizer_id, 'created', NULL, NULL, NULL::int4, 0, 0, 0,
           ticket_limit, overtake_limit, NULL::timestamptz, $2
    FROM bumped"
    ),
    "
SELECT count(*) AS n FROM bumped"
);

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// In the transaction that created `event`: its `created` entry.
pub(crate) async fn record_created(
    conn: &mut AsyncPgConnection,
    event: i64,
    request: Option<&RequestId>,
) -> QueryResult<()> {
    let _: Count = Prepared(
        diesel::sql_query(RECORD_CREATED)
            .bind::<BigInt, _>(event)
            .bind::<Nullable<Text>, _>(request.map(RequestId::as_str)),
    )
    .get_result(conn)
    .await?;
    Ok(())
}

/// The columns `HistoryRow` reads, from `history` and its archive alike.
macro_rules! history_columns {
    () => {
        "event_id, id, event_version, booking_id, actor_kind, actor_id, action, from_status, to_status,
       quantity, seats_delta, waiting_delta, waiting_seats_delta, ticket_limit, overtake_limit,
       offer_expires_at, request_id, at"
    };
}

/// The entries of `history` and `history_archive` that `$filter` takes, in commit order.
macro_rules! in_commit_order {
    ($filter:literal) => {
        concat!(
            "SELECT * FROM (
    SELECT ",
            history_columns!(),
            " FROM history WHERE ",
            $filter,
            "
    UNION ALL
    SELECT ",
            history_columns!(),
            " FROM history_archive WHERE ",
            $filter,
            "
) h ORDER BY event_version, id"
        )
    };
}

/// Booking `$1`'s entries, archived or not, in commit order: a scan of each table's
/// `booking_id` index.
const BOOKING_HISTORY: &str = in_commit_order!("booking_id = $1");

pub(crate) async fn of_booking(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<Vec<HistoryRow>> {
    Prepared(diesel::sql_query(BOOKING_HISTORY).bind::<BigInt, _>(booking.get())).load(conn).await
}

/// Booking `$1`'s holder and its event's organizer.
const READERS: &str = "\
SELECT b.user_id AS holder, e.organizer_id AS organizer
FROM bookings b JOIN events e ON e.id = b.event_id WHERE b.id = $1";

#[derive(QueryableByName)]
pub(crate) struct ReadersRow {
    #[diesel(sql_type = BigInt)]
    pub holder: i64,
    #[diesel(sql_type = BigInt)]
    pub organizer: i64,
}

pub(crate) async fn readers(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<Option<ReadersRow>> {
    Prepared(diesel::sql_query(READERS).bind::<BigInt, _>(booking.get())).get_result(conn).await.optional()
}

/// A page of event `$1`'s entries, newest first, of action `$2` (null: any), before entry `$3`;
/// `$4` is the limit plus one. Ids order an event's entries as commits do (each is written after
/// the event's row is locked), so the keyset is the id alone: a backward scan of each table's
/// primary key.
const EVENT_HISTORY: &str = concat!(
    "SELECT * FROM (
    (SELECT ",
    history_columns!(),
    " FROM history
     WHERE event_id = $1 AND ($2::text IS NULL OR action = $2) AND id < COALESCE($3::int8, 9223372036854775807)
     ORDER BY id DESC LIMIT $4)
    UNION ALL
    (SELECT ",
    history_columns!(),
    " FROM history_archive
     WHERE event_id = $1 AND ($2::text IS NULL OR action = $2) AND id < COALESCE($3::int8, 9223372036854775807)
     ORDER BY id DESC LIMIT $4)
) h ORDER BY id DESC LIMIT $4"
);

pub(crate) async fn of_event(
    conn: &mut AsyncPgConnection,
    event: EventId,
    query: HistoryQuery,
) -> QueryResult<Vec<HistoryRow>> {
    Prepared(
        diesel::sql_query(EVENT_HISTORY)
            .bind::<BigInt, _>(event.get())
            .bind::<Nullable<Text>, _>(query.action.map(|a| a.as_str()))
            .bind::<Nullable<BigInt>, _>(query.before.map(HistoryId::get))
            .bind::<BigInt, _>(i64::from(query.limit.get()) + 1),
    )
    .load(conn)
    .await
}

/// Event `$1`'s entries, archived or not, in commit order.
const TRAIL: &str = in_commit_order!("event_id = $1");

pub(crate) async fn trail(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<Vec<HistoryRow>> {
    Prepared(diesel::sql_query(TRAIL).bind::<BigInt, _>(event.get())).load(conn).await
}

/// Event `$1`'s counters as the service keeps them.
const TRAIL_EVENT: &str = "\
SELECT organizer_id, ticket_limit, seats_taken, waiting, seats_waiting, status FROM events WHERE id = $1";

pub(crate) async fn trail_event(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<TrailEventRow>> {
    Prepared(diesel::sql_query(TRAIL_EVENT).bind::<BigInt, _>(event.get())).get_result(conn).await.optional()
}

/// Event `$1`'s bookings as stored.
const TRAIL_BOOKINGS: &str = "SELECT id, status, quantity FROM bookings WHERE event_id = $1 ORDER BY id";

pub(crate) async fn trail_bookings(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Vec<StoredBookingRow>> {
    Prepared(diesel::sql_query(TRAIL_BOOKINGS).bind::<BigInt, _>(event.get())).load(conn).await
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Every event, by id.
pub(crate) async fn events(conn: &mut AsyncPgConnection) -> QueryResult<Vec<i64>> {
    let rows: Vec<IdRow> = diesel::sql_query("SELECT id FROM events ORDER BY id").load(conn).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Moves up to `$2` entries of events more than `$1` days past to the archive (the migration's
/// `archive_history`, which runs as the owner: the service's role may not delete history).
const ARCHIVE: &str = "SELECT archive_history($1, $2) AS n";

pub(crate) async fn archive(conn: &mut AsyncPgConnection, days: i32, batch: i32) -> QueryResult<i64> {
    let moved: Count = diesel::sql_query(ARCHIVE)
        .bind::<Integer, _>(days)
        .bind::<Integer, _>(batch)
        .get_result(conn)
        .await?;
    Ok(moved.n)
}
