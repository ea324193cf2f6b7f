use std::future::Future;

use crate::event::{CreateEventError, Event, EventStatus, FindEventError, NewEvent};
use crate::ids::EventId;

/// Stores events.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait EventRepository: Send + Sync + 'static {
    /// Stores a new event with no seats taken.
    ///
    /// # Errors
    /// - [`CreateEventError::OrganizerNotFound`] when the organizer does not exist;
    /// - [`CreateEventError::Repo`] when the store fails.
    fn create(&self, event: NewEvent) -> impl Future<Output = Result<Event, CreateEventError>> + Send;

    /// Reads an event with its free seats and waiting-list length from one snapshot.
    ///
    /// # Errors
    /// - [`FindEventError::NotFound`] when the event does not exist;
    /// - [`FindEventError::Repo`] when the store fails.
    fn status(&self, id: EventId) -> impl Future<Output = Result<EventStatus, FindEventError>> + Send;
}
