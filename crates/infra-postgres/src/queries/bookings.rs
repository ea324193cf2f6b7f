//! The booking and cancel statements (`crate::statements`) as query functions.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{BookingId, BookingStatus, EventId, UserId};

use crate::queries::Prepared;
use crate::rows::{BookingRow, LockedBookingRow, PlacedBookingRow};
use crate::schema::bookings;
use crate::statements::{
    GUARD_EVENT_OF_BOOKING, GUARD_EXCLUSIVE, GUARD_NAMESPACE, GUARD_SHARED, LOCK_BOOKING, LOCK_LIVE_BOOKING,
    MARK_CANCELLED, PASS_SEAT_ON, TAKE_FREE_SEAT, TAKE_SEAT_OR_JOIN_LINE,
};

#[derive(QueryableByName)]
struct EventIdRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

pub(crate) async fn take_free_seat(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<BookingRow>> {
    Prepared(diesel::sql_query(TAKE_FREE_SEAT).bind::<BigInt, _>(event.get()).bind::<BigInt, _>(user.get()))
        .get_result(conn)
        .await
        .optional()
}

/// Call inside a transaction: the lock lasts until it ends.
pub(crate) async fn guard_shared(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<()> {
    guard(conn, GUARD_SHARED, event).await
}

/// Call inside a transaction: the lock lasts until it ends.
pub(crate) async fn guard_exclusive(conn: &mut AsyncPgConnection, event: EventId) -> QueryResult<()> {
    guard(conn, GUARD_EXCLUSIVE, event).await
}

async fn guard(conn: &mut AsyncPgConnection, sql: &'static str, event: EventId) -> QueryResult<()> {
    Prepared(diesel::sql_query(sql).bind::<Integer, _>(GUARD_NAMESPACE).bind::<BigInt, _>(event.get()))
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn take_seat_or_join_line(
    conn: &mut AsyncPgConnection,
    event: EventId,
    user: UserId,
) -> QueryResult<Option<PlacedBookingRow>> {
    Prepared(
        diesel::sql_query(TAKE_SEAT_OR_JOIN_LINE)
            .bind::<BigInt, _>(event.get())
            .bind::<BigInt, _>(user.get()),
    )
    .get_result(conn)
    .await
    .optional()
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

/// Call inside a transaction. `None` when the booking does not exist.
pub(crate) async fn guard_event_of(
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

pub(crate) async fn lock_booking(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<Option<LockedBookingRow>> {
    Prepared(diesel::sql_query(LOCK_BOOKING).bind::<BigInt, _>(booking.get()))
        .get_result(conn)
        .await
        .optional()
}

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

pub(crate) async fn mark_cancelled(
    conn: &mut AsyncPgConnection,
    booking: BookingId,
) -> QueryResult<BookingRow> {
    Prepared(diesel::sql_query(MARK_CANCELLED).bind::<BigInt, _>(booking.get())).get_result(conn).await
}

/// Call inside a transaction holding the exclusive guard. Returns the promoted booking.
pub(crate) async fn pass_seat_on(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<BookingRow>> {
    Prepared(diesel::sql_query(PASS_SEAT_ON).bind::<BigInt, _>(event.get())).get_result(conn).await.optional()
}
