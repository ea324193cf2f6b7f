//! The writes under an event's guard. Each holds the guard from the read that decides to the
//! write that applies, and makes its change, its notices and its idempotent answer in one hold
//! of the tables: checked first, so a refusal changes nothing.

use std::sync::MutexGuard;

use chrono::Utc;
use domain::booking::rules::{
    CancelEffect, QuantityPlan, check_answer, check_quantity, plan_cancel, plan_quantity_change,
    refuse_duplicate,
};
use domain::event::rules::{Managed, plan_change, plan_event_cancellation};
use domain::history::Actor;
use domain::idempotency::{Attempt, Effect};
use domain::line::Line;
use domain::notice::rules;
use domain::ports::Sales;
use domain::{
    AnswerOffer, AnswerOfferError, BookError, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus,
    CancelBooking, CancelError, CancelEvent, CancelEventError, CancelTarget, Cancellation, ChangeEvent,
    ChangeEventError, ChangeQuantity, ChangeQuantityError, Declination, EventCancellation, EventChange,
    EventId, EventStatus, QuantityChange, RepoError,
};

use crate::MemoryStore;
use crate::idempotency::{Held, hold};
use crate::tables::{EventRow, Tables, Vanished, internal};

impl Sales for MemoryStore {
    async fn book(&self, cmd: BookTicket, key: Option<Attempt>) -> Result<BookingOutcome, BookError> {
        let (event, user, quantity) = (cmd.event(), cmd.user(), cmd.quantity());
        let _guard = self.inner.guards.hold(event).await;
        self.expire_offers(event)?;
        let line = {
            let tables = self.tables();
            let row = tables.events.get(&event).ok_or(BookError::EventNotFound(event))?;
            if !tables.users.contains_key(&user) {
                return Err(BookError::UserNotFound(user));
            }
            if row.event.status == EventStatus::Cancelled {
                return Err(BookError::EventCancelled(event));
            }
            check_quantity(quantity, row.event.seating, limit_of(row))?;
            if let Some(refusal) = tables.live_booking(event, user).and_then(|b| refuse_duplicate(b.status)) {
                return Err(refusal);
            }
            let mut line = tables.line_of(event)?;
            let served = line.arrive(newcomer()?, quantity.get()).map_err(internal)?;
            (line, served)
        };
        self.between_statements().await;

        let (line, served) = line;
        let mut tables = self.tables();
        let before = tables.before(event);
        let status = if served { BookingStatus::Confirmed } else { BookingStatus::Pending };
        let booking = Booking {
            id: tables.next_booking_id()?,
            event,
            user,
            status,
            quantity,
            created_at: Utc::now(),
            offer_expires_at: None,
        };
        let held = hold(&tables, key.as_ref())?;
        tables.insert_booking(booking.clone());
        tables.apply_line(event, line.changes())?;
        let outcome = if served {
            row_mut(&mut tables, event)?.seats_taken += quantity.get();
            BookingOutcome::Confirmed(booking)
        } else {
            let (position, seats_ahead) = tables.place(&booking).ok_or_else(|| internal(NotInLine))?;
            BookingOutcome::Waitlisted { booking, position, seats_ahead }
        };
        tables.record(event, &before, &self.cause(Actor::User(user)))?;
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
        self.expire_offers(event)?;
        let (booking, line, organizer) = {
            let tables = self.tables();
            let booking = match cmd.target {
                CancelTarget::Booking(id) => {
                    tables.bookings.get(&id).ok_or(CancelError::BookingNotFound(id))?
                }
                CancelTarget::LiveBookingFor(event) => {
                    tables.live_booking(event, cmd.caller).ok_or(CancelError::NoLiveBooking(event))?
                }
            };
            let organizer = tables.events.get(&event).ok_or_else(|| lost(event))?.event.organizer;
            let mut line = tables.line_of(event)?;
            match plan_cancel(cmd.caller, booking, organizer)? {
                CancelEffect::FreeSeats(seats) => line.release(seats.get()),
                CancelEffect::LeaveLine => line.leave(booking.id),
            }
            line.serve().map_err(internal)?;
            (booking.clone(), line, organizer)
        };
        self.between_statements().await;

        let mut tables = self.tables();
        let before = tables.before(event);
        let held = hold(&tables, key.as_ref())?;
        tables.set_status(booking.id, BookingStatus::Cancelled);
        tables.overtaken.remove(&booking.id);
        if booking.status.holds_seats() {
            let row = row_mut(&mut tables, event)?;
            row.seats_taken = row.seats_taken.saturating_sub(booking.quantity.get());
        }
        let promoted = tables.apply_line(event, line.changes())?;
        let cancellation =
            Cancellation { cancelled: Booking { status: BookingStatus::Cancelled, ..booking }, promoted };
        tables.record(event, &before, &self.cause(Actor::of(cmd.caller, organizer)))?;
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
        self.expire_offers(event)?;
        let line = {
            let tables = self.tables();
            let row = tables.events.get(&event).ok_or(ChangeEventError::EventNotFound(event))?;
            let plan = plan_change(cmd.caller, &managed(row), &cmd.changes)?;
            let k = cmd.changes.overtake_limit.unwrap_or(row.event.seating.overtake_limit);
            let mut line = Line::new(plan.free_seats, k.get(), tables.waiting(event), true);
            line.serve().map_err(internal)?;
            line
        };
        self.between_statements().await;

        let mut tables = self.tables();
        let before = tables.before(event);
        let held = hold(&tables, key.as_ref())?;
        apply(row_mut(&mut tables, event)?, &cmd);
        if cmd.changes.date.is_some() {
            tables.cap_offers_at_start(event)?;
        }
        let promoted = tables.apply_line(event, line.changes())?;
        let availability = tables.availability(event)?.ok_or_else(|| lost(event))?;
        let change = EventChange { event: availability, promoted };
        tables.record(event, &before, &self.cause(Actor::Organizer(cmd.caller)))?;
        tables.notify(&rules::of_change(&change))?;
        Ok(self.end_step(tables, held, change, Effect::EventChanged))
    }

    async fn change_quantity(
        &self,
        cmd: ChangeQuantity,
        key: Option<Attempt>,
    ) -> Result<QuantityChange, ChangeQuantityError> {
        let Some(event) = self.tables().bookings.get(&cmd.booking).map(|b| b.event) else {
            return Err(ChangeQuantityError::NotFound(cmd.booking));
        };
        let _guard = self.inner.guards.hold(event).await;
        self.expire_offers(event)?;
        let (booking, plan) = {
            let tables = self.tables();
            let booking =
                tables.bookings.get(&cmd.booking).ok_or(ChangeQuantityError::NotFound(cmd.booking))?;
            let row = tables.events.get(&event).ok_or_else(|| lost(event))?;
            let plan =
                plan_quantity_change(cmd.caller, booking, cmd.quantity, row.event.seating, limit_of(row))?;
            (booking.clone(), plan)
        };
        self.between_statements().await;

        let mut tables = self.tables();
        let before = tables.before(event);
        let held = hold(&tables, key.as_ref())?;
        let (now, replaced) = match plan {
            QuantityPlan::Unchanged => (booking, None),
            QuantityPlan::Lower(quantity) => {
                let lowered = tables.bookings.get_mut(&booking.id).ok_or_else(|| lost(event))?;
                lowered.quantity = quantity;
                (lowered.clone(), None)
            }
            QuantityPlan::Raise(quantity) => {
                tables.set_status(booking.id, BookingStatus::Cancelled);
                tables.overtaken.remove(&booking.id);
                let id = tables.next_booking_id()?;
                let raised = Booking { id, quantity, created_at: Utc::now(), ..booking.clone() };
                tables.insert_booking(raised.clone());
                (raised, Some(Booking { status: BookingStatus::Cancelled, ..booking }))
            }
        };
        let promoted = match plan {
            QuantityPlan::Unchanged => Vec::new(),
            QuantityPlan::Lower(_) | QuantityPlan::Raise(_) => serve_line(&mut tables, event)?,
        };
        let now = tables.bookings.get(&now.id).cloned().ok_or_else(|| lost(event))?;
        let change = QuantityChange { booking: tables.view(&now), replaced, promoted };
        tables.record(event, &before, &self.cause(Actor::User(cmd.caller)))?;
        tables.notify(&rules::of_quantity_change(&change))?;
        Ok(self.end_step(tables, held, change, Effect::QuantityChanged))
    }

    async fn accept(&self, cmd: AnswerOffer, key: Option<Attempt>) -> Result<Booking, AnswerOfferError> {
        let mut tables = self.tables();
        let booking = tables.bookings.get(&cmd.booking).ok_or(AnswerOfferError::NotFound(cmd.booking))?;
        check_answer(cmd.caller, &tables.view(booking).booking)?;
        let event = booking.event;
        let before = tables.before(event);
        let held = hold(&tables, key.as_ref())?;
        tables.set_status(cmd.booking, BookingStatus::Confirmed);
        let accepted =
            tables.bookings.get(&cmd.booking).cloned().ok_or(AnswerOfferError::NotFound(cmd.booking))?;
        tables.record(event, &before, &self.cause(Actor::User(cmd.caller)))?;
        tables.notify(&[rules::of_acceptance(&accepted)])?;
        Ok(self.end_step(tables, held, accepted, Effect::OfferAccepted))
    }

    async fn decline(&self, cmd: AnswerOffer, key: Option<Attempt>) -> Result<Declination, AnswerOfferError> {
        let Some(event) = self.tables().bookings.get(&cmd.booking).map(|b| b.event) else {
            return Err(AnswerOfferError::NotFound(cmd.booking));
        };
        let _guard = self.inner.guards.hold(event).await;
        self.expire_offers(event)?;
        let (booking, line) = {
            let tables = self.tables();
            let booking = tables.bookings.get(&cmd.booking).ok_or(AnswerOfferError::NotFound(cmd.booking))?;
            check_answer(cmd.caller, &tables.view(booking).booking)?;
            let mut line = tables.line_of(event)?;
            line.release(booking.quantity.get());
            line.serve().map_err(internal)?;
            (booking.clone(), line)
        };
        self.between_statements().await;

        let mut tables = self.tables();
        // An accept takes no guard: it may have come between the decision and now.
        let now = tables.bookings.get(&booking.id).ok_or(AnswerOfferError::NotFound(booking.id))?;
        check_answer(cmd.caller, &tables.view(now).booking)?;
        let before = tables.before(event);
        let held = hold(&tables, key.as_ref())?;
        tables.set_status(booking.id, BookingStatus::Declined);
        let row = row_mut(&mut tables, event)?;
        row.seats_taken = row.seats_taken.saturating_sub(booking.quantity.get());
        let promoted = tables.apply_line(event, line.changes())?;
        let declination =
            Declination { declined: Booking { status: BookingStatus::Declined, ..booking }, promoted };
        tables.record(event, &before, &self.cause(Actor::User(cmd.caller)))?;
        tables.notify(&rules::of_declination(&declination))?;
        Ok(self.end_step(tables, held, declination, Effect::OfferDeclined))
    }

    async fn sweep_offers(&self, events: u32) -> Result<u64, RepoError> {
        let due = self.tables().events_with_lapsed_offers();
        let mut expired = 0;
        for event in due.into_iter().take(usize::try_from(events).unwrap_or(usize::MAX)) {
            let _guard = self.inner.guards.hold(event).await;
            expired += self.expire_offers(event)?;
        }
        u64::try_from(expired).map_err(internal)
    }

    async fn cancel_event(
        &self,
        cmd: CancelEvent,
        key: Option<Attempt>,
    ) -> Result<EventCancellation, CancelEventError> {
        let event = cmd.event;
        // No expiry first: every live booking ends with the event, a lapsed offer with the rest.
        let _guard = self.inner.guards.hold(event).await;
        let live: Vec<Booking> = {
            let tables = self.tables();
            let row = tables.events.get(&event).ok_or(CancelEventError::EventNotFound(event))?;
            plan_event_cancellation(cmd.caller, &managed(row))?;
            tables.of_event(event).filter(|b| b.status.is_live()).cloned().collect()
        };
        self.between_statements().await;

        let mut tables = self.tables();
        let before = tables.before(event);
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
            tables.overtaken.remove(&booking.id);
        }
        tables.record(event, &before, &self.cause(Actor::Organizer(cmd.caller)))?;
        tables.notify(&rules::of_event_cancellation(&cancellation, &ended))?;
        Ok(self.end_step(tables, held, cancellation, Effect::EventCalledOff))
    }
}

/// Serves the event's line as it now stands (in the same hold of the tables as the change that
/// called it, so decision and write are one step) and returns the bookings served.
fn serve_line(tables: &mut Tables, event: EventId) -> Result<Vec<Booking>, RepoError> {
    let mut line = tables.line_of(event)?;
    line.serve().map_err(internal)?;
    tables.apply_line(event, line.changes())
}

/// Stands for a booking not yet written while the line decides whether it is served: after
/// every id the line holds.
fn newcomer() -> Result<BookingId, RepoError> {
    BookingId::new(i64::MAX).map_err(internal)
}

fn limit_of(row: &EventRow) -> u32 {
    row.event.ticket_limit.get().unsigned_abs()
}

impl MemoryStore {
    /// Holding the event's guard: its lapsed offers expired and their seats passed on, before
    /// the change decides anything. Returns how many expired.
    fn expire_offers(&self, event: EventId) -> Result<usize, RepoError> {
        let mut tables = self.tables();
        let expired = tables.expire_due(event)?;
        drop(tables);
        if expired > 0 {
            self.news_committed();
        }
        Ok(expired)
    }

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

/// A booking just put in line that has no place in it: a bug.
#[derive(Debug, thiserror::Error)]
#[error("a booking just put in line has no place in it")]
struct NotInLine;

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
        ticket_limit: limit_of(row),
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
    if let Some(max) = changes.max_per_booking {
        event.seating.max_per_booking = max;
    }
    if let Some(k) = changes.overtake_limit {
        event.seating.overtake_limit = k;
    }
    if let Some(promotion) = changes.promotion {
        event.seating.promotion = promotion;
    }
}
