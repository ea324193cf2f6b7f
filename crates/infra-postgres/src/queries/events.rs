//! The event statements ([`crate::sql`]) as query functions, and event creation.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{EventChanges, EventDate, EventId, EventQuery, NewEvent};

use crate::queries::Prepared;
use crate::rows::{AvailabilityRow, BookingRow, EventRow, ManagedEventRow};
use crate::schema::events;
use crate::sql::{
    AVAILABILITY, CANCEL_EVENT, CHANGE_EVENT, EVENT_STATUS, FILL_SEATS, LIST_EVENTS, LOCK_EVENT,
};

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    status: String,
}

pub(crate) async fn insert(conn: &mut AsyncPgConnection, event: &NewEvent) -> QueryResult<EventRow> {
    diesel::insert_into(events::table)
        .values((
            events::organizer_id.eq(event.organizer().get()),
            events::name.eq(event.name().as_str()),
            events::description.eq(event.description().as_str()),
            events::date.eq(event.date().naive()),
            events::location.eq(event.location().as_str()),
            events::ticket_limit.eq(event.ticket_limit().get()),
            events::price_cents.eq(event.price().cents()),
        ))
        .returning(EventRow::as_returning())
        .get_result(conn)
        .await
}

/// The event and its waiting-list length, from one snapshot.
pub(crate) async fn availability(
    conn: &mut AsyncPgConnection,
    id: EventId,
) -> QueryResult<Option<AvailabilityRow>> {
    Prepared(diesel::sql_query(AVAILABILITY).bind::<BigInt, _>(id.get())).get_result(conn).await.optional()
}

/// The event's sale status, `None` when it does not exist.
pub(crate) async fn status(conn: &mut AsyncPgConnection, id: EventId) -> QueryResult<Option<String>> {
    let row: Option<StatusRow> = Prepared(diesel::sql_query(EVENT_STATUS).bind::<BigInt, _>(id.get()))
        .get_result(conn)
        .await
        .optional()?;
    Ok(row.map(|r| r.status))
}

/// One more than a page of events, so the caller can tell whether another page follows.
pub(crate) async fn list(
    conn: &mut AsyncPgConnection,
    query: &EventQuery,
) -> QueryResult<Vec<AvailabilityRow>> {
    let (after_date, after_id) = lower_bound(query);
    let pattern = query.search.as_ref().map(|text| format!("%{}%", escape_like(text.as_str())));
    Prepared(
        diesel::sql_query(LIST_EVENTS)
            .bind::<Nullable<Date>, _>(after_date)
            .bind::<BigInt, _>(after_id)
            .bind::<Nullable<Date>, _>(query.dates.to().map(EventDate::naive))
            .bind::<Nullable<Text>, _>(pattern)
            .bind::<Nullable<Text>, _>(query.status.map(|s| s.as_str()))
            .bind::<BigInt, _>(i64::from(query.limit.get()) + 1),
    )
    .load(conn)
    .await
}

/// The (date, id) key the page starts strictly after: the cursor, or, for `from`, the key just
/// before that day's first event (ids are positive), whichever is later; no date: the start.
fn lower_bound(query: &EventQuery) -> (Option<NaiveDate>, i64) {
    let from = query.dates.from().map(|day| (day.naive(), 0));
    let after = query.after.map(|cursor| (cursor.date.naive(), cursor.id.get()));
    from.max(after).map_or((None, 0), |(date, id)| (Some(date), id))
}

/// `%`, `_` and the escape character itself match literally in the user's text.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Call under the event's exclusive guard: the event row, locked until the transaction ends.
pub(crate) async fn lock(conn: &mut AsyncPgConnection, id: EventId) -> QueryResult<Option<ManagedEventRow>> {
    Prepared(diesel::sql_query(LOCK_EVENT).bind::<BigInt, _>(id.get())).get_result(conn).await.optional()
}

/// Call under the event's exclusive guard, holding its row.
pub(crate) async fn change(
    conn: &mut AsyncPgConnection,
    id: EventId,
    changes: &EventChanges,
) -> QueryResult<()> {
    Prepared(
        diesel::sql_query(CHANGE_EVENT)
            .bind::<BigInt, _>(id.get())
            .bind::<Nullable<Text>, _>(changes.name.as_ref().map(|t| t.as_str()))
            .bind::<Nullable<Text>, _>(changes.description.as_ref().map(|t| t.as_str()))
            .bind::<Nullable<Date>, _>(changes.date.map(|d| d.naive()))
            .bind::<Nullable<Text>, _>(changes.location.as_ref().map(|t| t.as_str()))
            .bind::<Nullable<Integer>, _>(changes.ticket_limit.map(|l| l.get()))
            .bind::<Nullable<BigInt>, _>(changes.price.map(|p| p.cents())),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Call under the event's exclusive guard: confirms up to `seats` heads of the line.
pub(crate) async fn fill_seats(
    conn: &mut AsyncPgConnection,
    id: EventId,
    seats: u32,
) -> QueryResult<Vec<BookingRow>> {
    Prepared(diesel::sql_query(FILL_SEATS).bind::<BigInt, _>(id.get()).bind::<BigInt, _>(i64::from(seats)))
        .load(conn)
        .await
}

/// Call under the event's exclusive guard: the live bookings the cancellation ended, by id.
pub(crate) async fn cancel(conn: &mut AsyncPgConnection, id: EventId) -> QueryResult<Vec<BookingRow>> {
    Prepared(diesel::sql_query(CANCEL_EVENT).bind::<BigInt, _>(id.get())).load(conn).await
}

#[cfg(test)]
mod tests {
    use domain::{DateRange, EventCursor};

    use super::*;

    #[test]
    fn a_page_starts_after_the_later_of_the_cursor_and_the_days_before_from() {
        let day = |s| EventDate::parse(s).unwrap();
        let naive = |s| Some(day(s).naive());
        let from = DateRange::new(Some(day("2027-02-01")), None);
        let early = EventCursor { date: day("2027-01-15"), id: EventId::new(9).unwrap() };
        let late = EventCursor { date: day("2027-03-01"), id: EventId::new(4).unwrap() };

        assert_eq!(lower_bound(&EventQuery::default()), (None, 0));
        assert_eq!(
            lower_bound(&EventQuery { dates: from, ..EventQuery::default() }),
            (naive("2027-02-01"), 0)
        );
        let both = |after| EventQuery { dates: from, after: Some(after), ..EventQuery::default() };
        assert_eq!(lower_bound(&both(early)), (naive("2027-02-01"), 0));
        assert_eq!(lower_bound(&both(late)), (naive("2027-03-01"), 4));
    }

    #[test]
    fn like_wildcards_in_search_text_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("rock"), "rock");
    }
}
