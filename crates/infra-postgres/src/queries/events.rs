use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::{EventId, NewEvent};

use crate::queries::Prepared;
use crate::rows::{AvailabilityRow, EventRow};
use crate::schema::events;
use crate::sql::AVAILABILITY;

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
