use domain::ports::EventRepository;
use domain::{CreateEventError, Event, EventId, EventStatus, FindEventError, NewEvent};

use crate::constraints::EVENTS_ORGANIZER_FKEY;
use crate::error::{corrupt_row, from_diesel, from_pool, violated_constraint};
use crate::pool::PgPool;
use crate::queries::events;

/// Events in PostgreSQL.
#[derive(Clone)]
pub struct PgEventRepository {
    pool: PgPool,
}

impl PgEventRepository {
    #[must_use]
    pub const fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

impl std::fmt::Debug for PgEventRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgEventRepository").field("pool", &self.pool.status()).finish()
    }
}

impl EventRepository for PgEventRepository {
    async fn create(&self, event: NewEvent) -> Result<Event, CreateEventError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let row = events::insert(&mut conn, &event).await.map_err(|e| match violated_constraint(&e) {
            Some(EVENTS_ORGANIZER_FKEY) => CreateEventError::OrganizerNotFound(event.organizer()),
            _ => from_diesel(e).into(),
        })?;
        Ok(Event::try_from(row)?)
    }

    async fn status(&self, id: EventId) -> Result<EventStatus, FindEventError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let row =
            events::status(&mut conn, id).await.map_err(from_diesel)?.ok_or(FindEventError::NotFound(id))?;
        let tickets_available =
            u32::try_from(row.event.ticket_limit - row.event.seats_taken).map_err(corrupt_row)?;
        let waiting_list_count = u64::try_from(row.waiting).map_err(corrupt_row)?;
        Ok(EventStatus { event: Event::try_from(row.event)?, tickets_available, waiting_list_count })
    }
}
