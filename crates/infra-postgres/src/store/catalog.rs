use domain::ports::Catalog;
use domain::{Availability, CreateEventError, Event, EventId, FindEventError, NewEvent};

use super::PgStore;
use crate::constraints::EVENTS_ORGANIZER_FKEY;
use crate::error::{corrupt_row, from_diesel, from_pool, violated_constraint};
use crate::queries::events;

impl Catalog for PgStore {
    async fn create_event(&self, event: NewEvent) -> Result<Event, CreateEventError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let row = events::insert(&mut conn, &event).await.map_err(|e| match violated_constraint(&e) {
            Some(EVENTS_ORGANIZER_FKEY) => CreateEventError::OrganizerNotFound(event.organizer()),
            _ => from_diesel(e).into(),
        })?;
        Ok(Event::try_from(row)?)
    }

    async fn availability(&self, id: EventId) -> Result<Availability, FindEventError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let row = events::availability(&mut conn, id)
            .await
            .map_err(from_diesel)?
            .ok_or(FindEventError::NotFound(id))?;
        let seats_taken = u32::try_from(row.event.seats_taken).map_err(corrupt_row)?;
        let waiting = u64::try_from(row.waiting).map_err(corrupt_row)?;
        Ok(Availability::new(Event::try_from(row.event)?, seats_taken, waiting).map_err(corrupt_row)?)
    }
}
