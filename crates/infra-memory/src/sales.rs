//! The writes under an event's guard. Each holds the guard from the read that decides to the
//! write that applies, and makes its change, its notices and its idempotent answer in one hold
//! of the tables: checked first, so a refusal changes nothing.

use std::sync::MutexGuard;

use chrono::Utc;
use domain::booking::rules::{CancelEffect, plan_cancel, refuse_duplicate};
use domain::event::rules::{Managed, plan_change, plan_event_cancellation};
use domain::idempotency::{Attempt, Effect};
use domain::notice::rules;
use domain::ports::Sales;
use domain::{
    BookError, BookTicket, Booking, BookingOutcome, BookingStatus, CancelBooking, CancelError, CancelEvent,
    CancelEventError, CancelTarget, Cancellation, ChangeEvent, ChangeEventError, EventCancellation,
    EventChange, EventId, EventStatus, RepoError,
};

use crate::MemoryStore;
use crate::idempotency::{Held, hold};
use crate::tables::{EventRow, Tables, internal};

impl Sales for MemoryStore {
    async fn book(&self, cmd: BookTicket, key: Option<Attempt>) -> Result<BookingOutcome, BookError> {
        let (event, user) = (cmd.event(), cmd.user());
        let _guard = self.inner.guards.hold(event).await;
        let seat_free = {
            let tables = self.tables();
            let row = tables.events.get(&event).ok_or(BookError::EventNotFound(event))?;
            if !tables.users.contains_key(&user) {
                return Err(BookError::UserNotFound(user));
            }
            if row.event.status == EventStatus::Cancelled {
                return Err(BookError::EventCancelled(event));
            }
            if let Some(refusal) = tables.live_booking(event, user).and_then(|b| refuse_duplicate(b.status)) {
                return Err(refusal);
            }
            row.seats_taken < row.event.ticket_limit.get().unsigned_abs()
        };
        Self::between_statements().await;

        let mut tables = self.tables();
        let status = if seat_free { BookingStatus::Confirmed } else { BookingStatus::Pending };
        let booking = Booking { id: tables.next_booking_id()?, event, user, status, created_at: Utc::now() };
        let outcome = if seat_free {
            BookingOutcome::Confirmed(booking.clone())
        } else {
            let ahead = u64::try_from(tables.line(event).count()).map_err(internal)?;
            let position = std::num::NonZeroU64::new(ahead + 1).ok_or_else(|| internal(Overflow))?;
            BookingOutcome::Waitlisted { booking: booking.clone(), position }
        };
        let held = hold(&tables, key.as_ref())?;
        tables.insert_booking(booking);
        if seat_free {
            row_mut(&mut tables, event)?.seats_taken += 1;
        }
        tables.notify(&[rules::of_booking(&outcome)])?;
        Ok(self.end_step(tables, held, outcome, Effect::Booked))
    }

    async fn cancel(&self, cmd: CancelBooking, key: Option<Attempt>) -> Result<Cancellation, CancelError> {
        let event = match cmd.target {
            CancelTarget::Booking(id) => {
                self.tables().bookings.get(&id).map(|b| b.event).ok_or(CancelError::BookingNotFound(id))?
            }
            CancelTarget::LiveBookingFor(event) => event,
        };
        let _guard = self.inner.guards.hold(event).await;
        let (booking, head) = {
            let tables = self.tables();
            let booking = match cmd.target {
                CancelTarget::Booking(id) => {
                    tables.bookings.get(&id).ok_or(CancelError::BookingNotFound(id))?
                }
                CancelTarget::LiveBookingFor(event) => {
                    tables.live_booking(event, cmd.caller).ok_or(CancelError::NoLiveBooking(event))?
                }
            };
            let organizer =
                tables.events.get(&event).map(|row| row.event.organizer).ok_or_else(|| lost(event))?;
            let head = match plan_cancel(cmd.caller, booking, organizer)? {
                CancelEffect::FreeSeat => tables.line(event).next().cloned(),
                CancelEffect::LeaveLine => None,
            };
            (booking.clone(), head)
        };
        Self::between_statements().await;

        let mut tables = self.tables();
        let frees_seat = booking.status == BookingStatus::Confirmed;
        let cancellation = Cancellation {
            cancelled: Booking { status: BookingStatus::Cancelled, ..booking },
            promoted: head.map(|b| Booking { status: BookingStatus::Confirmed, ..b }),
        };
        let held = hold(&tables, key.as_ref())?;
        tables.set_status(cancellation.cancelled.id, BookingStatus::Cancelled);
        match &cancellation.promoted {
            Some(promoted) => tables.set_status(promoted.id, BookingStatus::Confirmed),
            None if frees_seat => {
                let row = row_mut(&mut tables, event)?;
                row.seats_taken = row.seats_taken.saturating_sub(1);
            }
            None => {}
        }
        tables.notify(&rules::of_cancellation(&cancellation))?;
        Ok(self.end_step(tables, held, cancellation, Effect::Cancelled))
    }

    async fn change_event(
        &self,
        cmd: ChangeEvent,
        key: Option<Attempt>,
    ) -> Result<EventChange, ChangeEventError> {
        let event = cmd.event;
        let _guard = self.inner.guards.hold(event).await;
        let heads: Vec<Booking> = {
            let tables = self.tables();
            let row = tables.events.get(&event).ok_or(ChangeEventError::EventNotFound(event))?;
            let plan = plan_change(cmd.caller, &managed(row), &cmd.changes)?;
            let seats = usize::try_from(plan.seats_to_fill).map_err(internal)?;
            tables.line(event).take(seats).cloned().collect()
        };
        Self::between_statements().await;

        let mut tables = self.tables();
        let promoted: Vec<Booking> =
            heads.into_iter().map(|b| Booking { status: BookingStatus::Confirmed, ..b }).collect();
        let mut changed = tables.events.get(&event).cloned().ok_or_else(|| lost(event))?;
        apply(&mut changed, &cmd);
        changed.seats_taken += u32::try_from(promoted.len()).map_err(internal)?;
        let waiting = u64::try_from(tables.line(event).count() - promoted.len()).map_err(internal)?;
        let availability = domain::Availability::new(changed.event.clone(), changed.seats_taken, waiting)
            .map_err(internal)?;
        let change = EventChange { event: availability, promoted };
        let held = hold(&tables, key.as_ref())?;
        tables.events.insert(event, changed);
        for booking in &change.promoted {
            tables.set_status(booking.id, BookingStatus::Confirmed);
        }
        tables.notify(&rules::of_change(&change))?;
        Ok(self.end_step(tables, held, change, Effect::EventChanged))
    }

    async fn cancel_event(
        &self,
        cmd: CancelEvent,
        key: Option<Attempt>,
    ) -> Result<EventCancellation, CancelEventError> {
        let event = cmd.event;
        let _guard = self.inner.guards.hold(event).await;
        let live: Vec<Booking> = {
            let tables = self.tables();
            let row = tables.events.get(&event).ok_or(CancelEventError::EventNotFound(event))?;
            plan_event_cancellation(cmd.caller, &managed(row))?;
            tables.of_event(event).filter(|b| b.status != BookingStatus::Cancelled).cloned().collect()
        };
        Self::between_statements().await;

        let mut tables = self.tables();
        let mut called_off = tables.events.get(&event).cloned().ok_or_else(|| lost(event))?;
        called_off.event.status = EventStatus::Cancelled;
        called_off.seats_taken = 0;
        let ended: Vec<Booking> =
            live.into_iter().map(|b| Booking { status: BookingStatus::Cancelled, ..b }).collect();
        let cancellation = EventCancellation {
            event: domain::Availability::new(called_off.event.clone(), 0, 0).map_err(internal)?,
            cancelled_bookings: u64::try_from(ended.len()).map_err(internal)?,
        };
        let held = hold(&tables, key.as_ref())?;
        tables.events.insert(event, called_off);
        for booking in &ended {
            tables.set_status(booking.id, BookingStatus::Cancelled);
        }
        tables.notify(&rules::of_event_cancellation(&cancellation, &ended))?;
        Ok(self.end_step(tables, held, cancellation, Effect::EventCalledOff))
    }
}

impl MemoryStore {
    /// Ends a change's step: stores the effect with the change (for a keyed request), lets the
    /// tables go, then wakes the notification listeners.
    fn end_step<T: Clone>(
        &self,
        mut tables: MutexGuard<'_, Tables>,
        held: Held,
        value: T,
        effect: fn(T) -> Effect,
    ) -> T {
        held.store(&mut tables, || effect(value.clone()));
        drop(tables);
        self.news_committed();
        value
    }
}

/// A line longer than `u64` can count.
#[derive(Debug, thiserror::Error)]
#[error("the waiting line's length overflowed")]
struct Overflow;

/// An event seen under its guard that is gone at the write: events are never deleted, so this
/// is a bug.
#[derive(Debug, thiserror::Error)]
#[error("event {0} vanished while its guard was held")]
struct Vanished(EventId);

fn lost(event: EventId) -> RepoError {
    internal(Vanished(event))
}

fn row_mut(tables: &mut Tables, event: EventId) -> Result<&mut EventRow, RepoError> {
    tables.events.get_mut(&event).ok_or_else(|| lost(event))
}

fn managed(row: &EventRow) -> Managed {
    Managed {
        id: row.event.id,
        organizer: row.event.organizer,
        status: row.event.status,
        seats_taken: row.seats_taken,
    }
}

fn apply(row: &mut EventRow, cmd: &ChangeEvent) {
    let (event, changes) = (&mut row.event, &cmd.changes);
    if let Some(name) = &changes.name {
        event.name = name.clone();
    }
    if let Some(description) = &changes.description {
        event.description = description.clone();
    }
    if let Some(date) = changes.date {
        event.date = date;
    }
    if let Some(location) = &changes.location {
        event.location = location.clone();
    }
    if let Some(limit) = changes.ticket_limit {
        event.ticket_limit = limit;
    }
    if let Some(price) = changes.price {
        event.price = price;
    }
}
