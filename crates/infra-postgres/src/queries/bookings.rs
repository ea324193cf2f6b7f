//! The booking and cancel statements ([`crate::sql`]) as query functions. The event's guard,
//! which these run under, is [`super::guard`].

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::notice::{self, NoticeKind};
use domain::{BookingId, BookingQuery, BookingStatus, EventId, UserId};

use crate::queries::Prepared;
use crate::rows::{
    AttendeeRow, BookingRow, BookingViewRow, FoundBookingRow, LockedBookingRow, PlacedBookingRow,
};
use crate::schema::bookings;
use crate::sql::{
    ATTENDEES, BOOK_BATCH, FIND_BOOKING, LOCK_BOOKING, LOCK_EVENT_SEATS, LOCK_LIVE_BOOKING, MARK_CANCELLED,
    PASS_SEAT_ON, TAKE_FREE_SEAT, TAKE_SEAT_OR_JOIN_LINE, USER_BOOKINGS,
};

/// The notice kinds the domain gives a booking written with `status`.
fn new_booking_kind(status: BookingStatus) -> &'static str {
    notice::rules::kind_of_new_booking(status).map_or("", NoticeKind::as_str)
}

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

/// The event a booking is for (it never changes), to find the booking's cancel lane.
pub(crate) async fn event_of(conn: &mut AsyncPgConnection, id: BookingId) -> QueryResult<Option<i64>> {
    bookings::table.find(id.get()).select(bookings::event_id).first(conn).await.optional()
}

/// One booking with its place in line and its event's organizer.
pub(crate) async fn find(
    conn: &mut AsyncPgConnection,
    id: BookingId,
) -> QueryResult<Option<FoundBookingRow>> {
    Prepared(diesel::sql_query(FIND_BOOKING).bind::<BigInt, _>(id.get())).get_result(conn).await.optional()
}

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
