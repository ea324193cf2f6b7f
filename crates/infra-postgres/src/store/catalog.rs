use diesel_async::AsyncConnection as _;
use domain::idempotency::{Attempt, Effect};
use domain::ports::Catalog;
use domain::{
    Attendee, Availability, BookingId, BookingQuery, BookingView, CreateEventError, Event, EventCursor,
    EventId, EventQuery, FindEventError, NewEvent, Page, RepoError, UserId,
};

use super::PgStore;
use super::idempotency::answered_transaction;
use crate::constraints::EVENTS_ORGANIZER_FKEY;
use crate::error::{TxError, corrupt_row, from_diesel, violated_constraint};
use crate::queries::{bookings, events, history};

impl Catalog for PgStore {
    async fn create_event(&self, event: NewEvent, key: Option<Attempt>) -> Result<Event, CreateEventError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            CreateEventError,
            key.as_ref(),
            |conn| {
                let row = events::insert(conn, &event).await.map_err(|e| match violated_constraint(&e) {
                    Some(EVENTS_ORGANIZER_FKEY) => {
                        TxError::Rule(CreateEventError::OrganizerNotFound(event.organizer()))
                    }
                    _ => TxError::Db(e),
                })?;
                history::record_created(conn, row.id, self.request.as_ref()).await?;
                Event::try_from(row).map_err(TxError::stored)?
            },
            Effect::EventCreated
        )
    }

    async fn availability(&self, id: EventId) -> Result<Availability, FindEventError> {
        let row = self
            .read(async |conn| events::availability(conn, id).await.map_err(from_diesel))
            .await?
            .ok_or(FindEventError::NotFound(id))?;
        Ok(row.try_into()?)
    }

    async fn list_events(&self, query: EventQuery) -> Result<Page<Availability, EventCursor>, RepoError> {
        let rows = self.read(async |conn| events::list(conn, &query).await.map_err(from_diesel)).await?;
        let items = rows.into_iter().map(Availability::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, query.limit, |a| EventCursor { date: a.event.date, id: a.event.id }))
    }

    async fn booking(&self, id: BookingId) -> Result<Option<(BookingView, UserId)>, RepoError> {
        let found = self.write(async |conn| bookings::find(conn, id).await.map_err(from_diesel)).await?;
        let Some(row) = found else { return Ok(None) };
        let organizer = UserId::new(row.organizer_id).map_err(corrupt_row)?;
        Ok(Some((BookingView::try_from(row.view)?, organizer)))
    }

    async fn user_bookings(
        &self,
        user: UserId,
        query: BookingQuery,
    ) -> Result<Page<BookingView, BookingId>, RepoError> {
        let rows =
            self.write(async |conn| bookings::of_user(conn, user, query).await.map_err(from_diesel)).await?;
        let items = rows.into_iter().map(BookingView::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, query.limit, |v| v.booking.id))
    }

    async fn attendees(
        &self,
        event: EventId,
        query: BookingQuery,
    ) -> Result<Page<Attendee, BookingId>, RepoError> {
        let rows = self
            .write(async |conn| bookings::of_event(conn, event, query).await.map_err(from_diesel))
            .await?;
        let items = rows.into_iter().map(Attendee::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_overfetch(items, query.limit, |a| a.booking.booking.id))
    }
}
