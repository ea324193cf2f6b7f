use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{EventId, NewEvent};

use crate::queries::Prepared;
use crate::rows::{EventRow, EventStatusRow};
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
        ))
        .returning(EventRow::as_returning())
        .get_result(conn)
        .await
}

/// The event and its waiting-list length in one statement, so both come from one snapshot.
const STATUS: &str = "\
SELECT e.id, e.organizer_id, e.name, e.description, e.date, e.location, e.ticket_limit, e.price_cents,
       e.seats_taken,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS waiting
FROM events e
WHERE e.id = $1";

pub(crate) async fn status(conn: &mut AsyncPgConnection, id: EventId) -> QueryResult<Option<EventStatusRow>> {
    Prepared(diesel::sql_query(STATUS).bind::<BigInt, _>(id.get())).get_result(conn).await.optional()
}
