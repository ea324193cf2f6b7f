use std::future::Future;

use crate::booking::{Attendee, BookingView};
use crate::error::RepoError;
use crate::event::{Availability, CreateEventError, Event, FindEventError, NewEvent};
use crate::idempotency::Attempt;
use crate::ids::{BookingId, EventId, UserId};
use crate::listing::{BookingQuery, EventCursor, EventQuery, Page};

/// Puts events on sale and answers what is on sale and who booked what. Reads only, besides
/// creation: a new event has no seats taken and nobody waiting, so creating one needs no guard.
///
/// Every list is read with keyset pagination (the next page starts strictly after the
/// query's cursor) and MUST come from one snapshot, each pending booking with its exact place
/// in line.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Catalog: Send + Sync + 'static {
    /// Stores a new event with no seats taken; its creator becomes its organizer.
    ///
    /// With `key`, stores [`Effect::EventCreated`](crate::idempotency::Effect::EventCreated) under
    /// the attempt in the change's own transaction; an attempt that no longer holds its key changes
    /// nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`CreateEventError::OrganizerNotFound`] when the organizer does not exist;
    /// - [`CreateEventError::Repo`] when the store fails.
    fn create_event(
        &self,
        event: NewEvent,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<Event, CreateEventError>> + Send;

    /// An event with its free seats and waiting-list length, MUST be read from one snapshot.
    ///
    /// # Errors
    /// - [`FindEventError::NotFound`] when the event does not exist;
    /// - [`FindEventError::Repo`] when the store fails.
    fn availability(&self, id: EventId) -> impl Future<Output = Result<Availability, FindEventError>> + Send;

    /// A page of events ordered by date, then id, filtered by the query.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn list_events(
        &self,
        query: EventQuery,
    ) -> impl Future<Output = Result<Page<Availability, EventCursor>, RepoError>> + Send;

    /// A booking with its event's organizer, whoever asks: deciding who may see it is
    /// [`crate::service::reading::booking`]'s.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; an unknown booking is `Ok(None)`.
    fn booking(
        &self,
        id: BookingId,
    ) -> impl Future<Output = Result<Option<(BookingView, UserId)>, RepoError>> + Send;

    /// A page of `user`'s bookings, newest (highest id) first.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn user_bookings(
        &self,
        user: UserId,
        query: BookingQuery,
    ) -> impl Future<Output = Result<Page<BookingView, BookingId>, RepoError>> + Send;

    /// A page of an event's bookings with their holders, in booking-id order — line order for
    /// the pending ones. An unknown event has no bookings.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn attendees(
        &self,
        event: EventId,
        query: BookingQuery,
    ) -> impl Future<Output = Result<Page<Attendee, BookingId>, RepoError>> + Send;
}
