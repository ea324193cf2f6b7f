use std::future::Future;

use crate::event::{Availability, CreateEventError, Event, FindEventError, NewEvent};
use crate::ids::EventId;

/// Puts events on sale and answers what is on sale. Reads only, besides creation: a new event
/// has no seats taken and nobody waiting, so creating one needs no guard.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Catalog: Send + Sync + 'static {
    /// Stores a new event with no seats taken; its creator becomes its organizer.
    ///
    /// # Errors
    /// - [`CreateEventError::OrganizerNotFound`] when the organizer does not exist;
    /// - [`CreateEventError::Repo`] when the store fails.
    fn create_event(&self, event: NewEvent) -> impl Future<Output = Result<Event, CreateEventError>> + Send;

    /// An event with its free seats and waiting-list length, MUST be read from one snapshot.
    ///
    /// # Errors
    /// - [`FindEventError::NotFound`] when the event does not exist;
    /// - [`FindEventError::Repo`] when the store fails.
    fn availability(&self, id: EventId) -> impl Future<Output = Result<Availability, FindEventError>> + Send;
}
