//! The event statements, and event creation.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{EventChanges, EventDate, EventId, EventQuery, NewEvent};

use crate::queries::Prepared;
use crate::queries::fragments::{availability_columns, recorded};
use domain::history::Cause;

use crate::queries::history::actor_id;
use crate::rows::{AvailabilityRow, BookingRow, EventRow, offer_window_column};
use crate::schema::events;

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
            events::max_per_booking.eq(seats_per(event.seating().max_per_booking.get())),
            events::overtake_limit.eq(seats_per(event.seating().overtake_limit.get())),
            events::offer_window_seconds.eq(offer_window_column(event.seating().promotion)),
        ))
        .returning(EventRow::as_returning())
        .get_result(conn)
        .await
}

/// A seating setting as the database stores it (at most 100, so it always fits).
fn seats_per(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// An event and the seats its line waits for.
const AVAILABILITY: &str = concat!(
    "SELECT ",
    availability_columns!(),
    "
FROM events e
WHERE e.id = $1"
);

/// The event and the seats its line waits for.
pub(crate) async fn availability(
    conn: &mut AsyncPgConnection,
    id: EventId,
) -> QueryResult<Option<AvailabilityRow>> {
    Prepared(diesel::sql_query(AVAILABILITY).bind::<BigInt, _>(id.get())).get_result(conn).await.optional()
}

/// A page of events by (date, id), strictly after `($1, $2)` (the cursor, or the key just before
/// `from`; null: from the start), up to `$3` (`to`; null: no end), of status `$4` (null: any),
/// `$5` the limit plus one. One exclusive row bound rather than separate date conditions, and no
/// `$n IS NULL OR …` around the bounds: planned generically (as a prepared statement is), the
/// scan of `events_date_id_idx` still starts at the bound and stops after the page, so a deep
/// page costs what the first does.
pub const LIST_EVENTS: &str = concat!(
    "SELECT ",
    availability_columns!(),
    "
FROM (
    SELECT * FROM events
    WHERE (date, id) > (COALESCE($1::date, '-infinity'::date), $2::int8)
      AND date <= COALESCE($3::date, 'infinity'::date)
      AND ($4::text IS NULL OR status = $4)
    ORDER BY date, id
    LIMIT $5
) e
ORDER BY e.date, e.id"
);

/// [`LIST_EVENTS`] of the events whose name or location contains `$6` (an ILIKE pattern, the
/// user's wildcards escaped): a statement of its own, so that the condition is always there for
/// the planner to serve from the trigram indexes (`events_name_trgm_idx`,
/// `events_location_trgm_idx`) rather than by reading every event. Not kept prepared: the best
/// plan depends on how many events the text matches, which only the text itself tells the
/// planner; a generic plan assumes a typical text and walked 100 000 events by date for one that
/// matched none (80 ms, against 3 ms planned for it).
pub const SEARCH_EVENTS: &str = concat!(
    "SELECT ",
    availability_columns!(),
    "
FROM (
    SELECT * FROM events
    WHERE (date, id) > (COALESCE($1::date, '-infinity'::date), $2::int8)
      AND date <= COALESCE($3::date, 'infinity'::date)
      AND ($4::text IS NULL OR status = $4)
      AND (name ILIKE $6 OR location ILIKE $6)
    ORDER BY date, id
    LIMIT $5
) e
ORDER BY e.date, e.id"
);

/// One more than a page of events, so the caller can tell whether another page follows.
pub(crate) async fn list(
    conn: &mut AsyncPgConnection,
    query: &EventQuery,
) -> QueryResult<Vec<AvailabilityRow>> {
    let (after_date, after_id) = lower_bound(query);
    let (to, status) = (query.dates.to().map(EventDate::naive), query.status.map(|s| s.as_str()));
    let limit = i64::from(query.limit.get()) + 1;
    // Two statements, each bound in full: the search's pattern is the sixth parameter, and a
    // statement must be bound to exactly its own.
    let Some(text) = &query.search else {
        return Prepared(
            diesel::sql_query(LIST_EVENTS)
                .bind::<Nullable<Date>, _>(after_date)
                .bind::<BigInt, _>(after_id)
                .bind::<Nullable<Date>, _>(to)
                .bind::<Nullable<Text>, _>(status)
                .bind::<BigInt, _>(limit),
        )
        .load(conn)
        .await;
    };
    diesel::sql_query(SEARCH_EVENTS)
        .bind::<Nullable<Date>, _>(after_date)
        .bind::<BigInt, _>(after_id)
        .bind::<Nullable<Date>, _>(to)
        .bind::<Nullable<Text>, _>(status)
        .bind::<BigInt, _>(limit)
        .bind::<Text, _>(format!("%{}%", escape_like(text.as_str())))
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

/// Rewrites the fields a change names (null: leave alone); a new ticket limit gets its history
/// entry (the organizer `$12`'s, in request `$13`).
const CHANGE_EVENT: &str = concat!(
    "WITH before AS (
    SELECT ticket_limit FROM events WHERE id = $1
), changed AS (
UPDATE events SET
    name = COALESCE($2, name),
    description = COALESCE($3, description),
    date = COALESCE($4, date),
    location = COALESCE($5, location),
    ticket_limit = COALESCE($6, ticket_limit),
    price_cents = COALESCE($7, price_cents),
    max_per_booking = COALESCE($8, max_per_booking),
    overtake_limit = COALESCE($9, overtake_limit),
    offer_window_seconds = CASE WHEN $10 THEN $11 ELSE offer_window_seconds END,
    version = version + 1
WHERE id = $1
RETURNING id, version, ticket_limit, overtake_limit
), ",
    recorded!(
        "SELECT c.id, c.version, NULL::int8, 'organizer', $12, 'limit_changed', NULL, NULL, NULL::int4, 0, 0, 0,
           c.ticket_limit, c.overtake_limit, NULL::timestamptz, $13
    FROM changed c, before b WHERE c.ticket_limit <> b.ticket_limit"
    ),
    "
SELECT count(*) AS n FROM changed"
);

/// Call under the event's exclusive guard, holding its row.
pub(crate) async fn change(
    conn: &mut AsyncPgConnection,
    id: EventId,
    changes: &EventChanges,
    cause: &Cause,
) -> QueryResult<()> {
    Prepared(
        diesel::sql_query(CHANGE_EVENT)
            .bind::<BigInt, _>(id.get())
            .bind::<Nullable<Text>, _>(changes.name.as_ref().map(|t| t.as_str()))
            .bind::<Nullable<Text>, _>(changes.description.as_ref().map(|t| t.as_str()))
            .bind::<Nullable<Date>, _>(changes.date.map(|d| d.naive()))
            .bind::<Nullable<Text>, _>(changes.location.as_ref().map(|t| t.as_str()))
            .bind::<Nullable<Integer>, _>(changes.ticket_limit.map(|l| l.get()))
            .bind::<Nullable<BigInt>, _>(changes.price.map(|p| p.cents()))
            .bind::<Nullable<Integer>, _>(changes.max_per_booking.map(|m| seats_per(m.get())))
            .bind::<Nullable<Integer>, _>(changes.overtake_limit.map(|k| seats_per(k.get())))
            .bind::<Bool, _>(changes.promotion.is_some())
            .bind::<Nullable<Integer>, _>(changes.promotion.and_then(offer_window_column))
            .bind::<Nullable<BigInt>, _>(actor_id(cause))
            .bind::<Nullable<Text>, _>(cause.request_id()),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Under the exclusive guard: every live booking cancelled, every seat freed, the event called
/// off, in one statement, with the history of each booking ended and of the event (the
/// organizer `$2`'s, in request `$3`); returns the bookings that ended, by id.
const CANCEL_EVENT: &str = concat!(
    "WITH ended AS (
    UPDATE bookings b SET status = 'CANCELLED', updated_at = now()
    FROM bookings was
    WHERE b.event_id = $1 AND b.status IN ('CONFIRMED', 'PENDING', 'OFFERED')
      AND was.event_id = $1 AND was.id = b.id
    RETURNING b.id, b.event_id, b.user_id, b.status, b.quantity, b.created_at, b.offer_expires_at,
              was.status AS was
), called_off AS (
    UPDATE events SET status = 'CANCELLED', seats_taken = 0, waiting = 0, seats_waiting = 0,
                      version = version + 1
    WHERE id = $1
    RETURNING version, ticket_limit, overtake_limit
), ",
    recorded!(
        "SELECT $1, c.version, x.booking, 'organizer', $2, x.action, x.was, x.now, x.quantity,
           x.seats, x.waiting, x.waiting_seats, c.ticket_limit, c.overtake_limit, x.deadline, $3
    FROM called_off c, (
        SELECT e.id AS booking, 'cancelled' AS action, e.was, 'CANCELLED' AS now, e.quantity,
               CASE WHEN e.was IN ('CONFIRMED', 'OFFERED') THEN -e.quantity ELSE 0 END AS seats,
               CASE WHEN e.was = 'PENDING' THEN -1 ELSE 0 END AS waiting,
               CASE WHEN e.was = 'PENDING' THEN -e.quantity ELSE 0 END AS waiting_seats,
               CASE WHEN e.was = 'OFFERED' THEN e.offer_expires_at END AS deadline, e.id AS ord
        FROM ended e
        UNION ALL
        SELECT NULL, 'event_cancelled', NULL, NULL, NULL, 0, 0, 0, NULL, 9223372036854775807
    ) x ORDER BY x.ord"
    ),
    "
SELECT id, event_id, user_id, status, quantity, created_at, offer_expires_at FROM ended ORDER BY id"
);

/// Call under the event's exclusive guard: the live bookings the cancellation ended, by id.
pub(crate) async fn cancel(
    conn: &mut AsyncPgConnection,
    id: EventId,
    cause: &Cause,
) -> QueryResult<Vec<BookingRow>> {
    Prepared(
        diesel::sql_query(CANCEL_EVENT)
            .bind::<BigInt, _>(id.get())
            .bind::<Nullable<BigInt>, _>(actor_id(cause))
            .bind::<Nullable<Text>, _>(cause.request_id()),
    )
    .load(conn)
    .await
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
