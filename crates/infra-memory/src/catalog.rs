//! Events put on sale, and the reads of the catalog: each from one hold of the tables, so one
//! snapshot.

use domain::history::Actor;
use domain::idempotency::{Attempt, Effect};
use domain::ports::Catalog;
use domain::{
    Attendee, Availability, BookingId, BookingQuery, BookingView, CreateEventError, Event, EventCursor,
    EventId, EventQuery, EventStatus, FindEventError, NewEvent, Page, RepoError, UserId,
};

use crate::MemoryStore;
use crate::idempotency::hold;
use crate::tables::EventRow;

impl Catalog for MemoryStore {
    async fn create_event(&self, new: NewEvent, key: Option<Attempt>) -> Result<Event, CreateEventError> {
        let mut tables = self.tables();
        if !tables.users.contains_key(&new.organizer()) {
            return Err(CreateEventError::OrganizerNotFound(new.organizer()));
        }
        let event = Event {
            id: tables.next_event_id()?,
            organizer: new.organizer(),
            name: new.name().clone(),
            description: new.description().clone(),
            date: new.date(),
            location: new.location().clone(),
            ticket_limit: new.ticket_limit(),
            price: new.price(),
            status: EventStatus::OnSale,
            seating: new.seating(),
        };
        let held = hold(&tables, key.as_ref())?;
        tables.events.insert(event.id, EventRow { event: event.clone(), seats_taken: 0 });
        tables.record_created(event.id, &self.cause(Actor::Organizer(event.organizer)))?;
        held.store(&mut tables, || Effect::EventCreated(event.clone()));
        Ok(event)
    }

    async fn availability(&self, id: EventId) -> Result<Availability, FindEventError> {
        self.tables().availability(id)?.ok_or(FindEventError::NotFound(id))
    }

    async fn list_events(&self, query: EventQuery) -> Result<Page<Availability, EventCursor>, RepoError> {
        let tables = self.tables();
        let after = query.after.map(|c| (c.date, c.id));
        let search = query.search.as_ref().map(|s| s.as_str().to_lowercase());
        let mut rows: Vec<&EventRow> = tables
            .events
            .values()
            .filter(|row| {
                let e = &row.event;
                after.is_none_or(|after| (e.date, e.id) > after)
                    && query.dates.from().is_none_or(|from| e.date >= from)
                    && query.dates.to().is_none_or(|to| e.date <= to)
                    && query.status.is_none_or(|status| e.status == status)
                    && search.as_ref().is_none_or(|text| {
                        e.name.as_str().to_lowercase().contains(text)
                            || e.location.as_str().to_lowercase().contains(text)
                    })
            })
            .collect();
        rows.sort_by_key(|row| (row.event.date, row.event.id));
        let items = rows
            .into_iter()
            .take(usize::from(query.limit.get()) + 1)
            .map(|row| tables.availability(row.event.id))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        Ok(Page::from_overfetch(items, query.limit, |a: &Availability| EventCursor {
            date: a.event.date,
            id: a.event.id,
        }))
    }

    async fn booking(&self, id: BookingId) -> Result<Option<(BookingView, UserId)>, RepoError> {
        let tables = self.tables();
        let Some(booking) = tables.bookings.get(&id) else { return Ok(None) };
        let organizer = tables.events.get(&booking.event).map(|row| row.event.organizer);
        Ok(organizer.map(|organizer| (tables.view(booking), organizer)))
    }

    async fn user_bookings(
        &self,
        user: UserId,
        query: BookingQuery,
    ) -> Result<Page<BookingView, BookingId>, RepoError> {
        let tables = self.tables();
        let items = tables
            .bookings
            .values()
            .rev()
            .filter(|b| b.user == user)
            .filter(|b| query.after.is_none_or(|after| b.id < after))
            .filter(|b| query.status.is_none_or(|status| b.status == status))
            .take(usize::from(query.limit.get()) + 1)
            .map(|b| tables.view(b))
            .collect();
        Ok(Page::from_overfetch(items, query.limit, |v: &BookingView| v.booking.id))
    }

    async fn attendees(
        &self,
        event: EventId,
        query: BookingQuery,
    ) -> Result<Page<Attendee, BookingId>, RepoError> {
        let tables = self.tables();
        let items = tables
            .of_event(event)
            .filter(|b| query.after.is_none_or(|after| b.id > after))
            .filter(|b| query.status.is_none_or(|status| b.status == status))
            .take(usize::from(query.limit.get()) + 1)
            .filter_map(|b| {
                let user = tables.users.get(&b.user)?.user.clone();
                Some(Attendee { booking: tables.view(b), user })
            })
            .collect();
        Ok(Page::from_overfetch(items, query.limit, |a: &Attendee| a.booking.booking.id))
    }
}
