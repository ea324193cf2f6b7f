use crate::event::{CreateEventError, Event, EventStatus, FindEventError, NewEvent};
use crate::ids::EventId;
use crate::ports::EventRepository;

/// Creating events and reading their status.
#[derive(Debug)]
pub struct EventService<E> {
    events: E,
}

impl<E: EventRepository> EventService<E> {
    pub const fn new(events: E) -> Self {
        Self { events }
    }

    /// Puts a new event on sale; its creator becomes its organizer.
    ///
    /// # Errors
    /// As [`EventRepository::create`].
    pub async fn create(&self, event: NewEvent) -> Result<Event, CreateEventError> {
        self.events.create(event).await
    }

    /// An event with its free seats and waiting-list length.
    ///
    /// # Errors
    /// As [`EventRepository::status`].
    pub async fn status(&self, id: EventId) -> Result<EventStatus, FindEventError> {
        self.events.status(id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::RepoError;
    use crate::ports::MockEventRepository;

    #[tokio::test]
    async fn an_unknown_event_is_reported_with_its_id() {
        let mut repo = MockEventRepository::new();
        repo.expect_status().returning(|id| Box::pin(async move { Err(FindEventError::NotFound(id)) }));

        let missing = EventService::new(repo).status(EventId::new(77).unwrap()).await;

        assert!(matches!(missing, Err(FindEventError::NotFound(id)) if id.get() == 77));
    }

    #[tokio::test]
    async fn a_store_outage_is_reported_as_such() {
        let mut repo = MockEventRepository::new();
        repo.expect_status()
            .returning(|_| Box::pin(async { Err(RepoError::Unavailable("pool timed out".into()).into()) }));

        let failed = EventService::new(repo).status(EventId::new(1).unwrap()).await;

        assert!(matches!(failed, Err(FindEventError::Repo(RepoError::Unavailable(_)))));
    }
}
