use std::future::Future;

use crate::booking::{BookError, BookTicket, BookingOutcome, CancelBooking, CancelError, Cancellation};
use crate::event::{
    CancelEvent, CancelEventError, ChangeEvent, ChangeEventError, EventCancellation, EventChange,
};
use crate::idempotency::Attempt;

/// Every write taken under an event's guard: the changes to seats, the waiting line and
/// booking statuses that must stay consistent together, on any number of server processes
/// sharing the store.
///
/// Implementations MUST keep, after every committed change and whatever runs concurrently,
/// the invariants of docs/ARCHITECTURE.md: no more confirmed bookings than the ticket limit
/// (I1), at most one live booking per user and event (I2), no free seat while someone waits
/// (I3), the line served in booking-id order (I4), and the seat counter equal to the confirmed
/// bookings (I5).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Sales: Send + Sync + 'static {
    /// Takes a seat for the user if one is free, else puts them at the back of the line.
    ///
    /// Implementations MUST NOT confirm more bookings than the event's ticket limit, MUST NOT
    /// give a user two live bookings for one event, and MUST NOT leave a user waiting while a
    /// seat is free — whatever runs concurrently.
    ///
    /// With `key`, stores [`Effect::Booked`](crate::idempotency::Effect::Booked) under the attempt
    /// in the change's own transaction; an attempt that no longer holds its key changes nothing
    /// ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`BookError::EventNotFound`] when the event does not exist;
    /// - [`BookError::UserNotFound`] when the user does not exist;
    /// - [`BookError::EventCancelled`] when the event was called off;
    /// - [`BookError::AlreadyBooked`] / [`BookError::AlreadyWaitlisted`] when the user already
    ///   holds a confirmed / pending booking for the event (nothing is written);
    /// - [`BookError::Repo`] when the store fails.
    fn book(
        &self,
        cmd: BookTicket,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<BookingOutcome, BookError>> + Send;

    /// Cancels a booking; if it held a seat, the first pending booking of the event (lowest id)
    /// is confirmed in the same transaction, or the seat is freed when nobody waits.
    ///
    /// Implementations MUST decide with [`crate::booking::rules::plan_cancel`] while holding
    /// the locks that serialise cancels of the event.
    ///
    /// With `key`, stores [`Effect::Cancelled`](crate::idempotency::Effect::Cancelled) under the
    /// attempt in the change's own transaction; an attempt that no longer holds its key changes
    /// nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`CancelError::BookingNotFound`] for an unknown booking id;
    /// - [`CancelError::NoLiveBooking`] when cancelling by event and the caller has no live
    ///   booking there;
    /// - [`CancelError::NotAllowed`] unless the caller owns the booking or organises the event;
    /// - [`CancelError::AlreadyCancelled`] for a cancelled booking;
    /// - [`CancelError::Repo`] when the store fails.
    fn cancel(
        &self,
        cmd: CancelBooking,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<Cancellation, CancelError>> + Send;

    /// Changes an event's fields. When the ticket limit rises, the new seats go to the heads of
    /// the line in booking-id order, in the same transaction; the event and its bookings stay
    /// consistent with every book and cancel running concurrently.
    ///
    /// Implementations MUST decide with [`crate::event::rules::plan_change`] while holding the
    /// locks that serialise cancels of the event, and MUST change nothing when it refuses.
    ///
    /// With `key`, stores [`Effect::EventChanged`](crate::idempotency::Effect::EventChanged) under
    /// the attempt in the change's own transaction; an attempt that no longer holds its key changes
    /// nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`ChangeEventError::EventNotFound`] for an unknown event;
    /// - [`ChangeEventError::NotOrganizer`] unless the caller organises it;
    /// - [`ChangeEventError::EventCancelled`] for a cancelled event;
    /// - [`ChangeEventError::LimitBelowTaken`] when the new limit is below the seats taken;
    /// - [`ChangeEventError::Repo`] when the store fails.
    fn change_event(
        &self,
        cmd: ChangeEvent,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<EventChange, ChangeEventError>> + Send;

    /// Calls an event off: the event becomes cancelled and every live booking cancelled, in one
    /// transaction. Afterwards [`Sales::book`] MUST refuse the event with
    /// [`BookError::EventCancelled`], checked by the same writes that take seats.
    ///
    /// Implementations MUST decide with [`crate::event::rules::plan_event_cancellation`] while
    /// holding the locks that serialise cancels of the event.
    ///
    /// With `key`, stores [`Effect::EventCalledOff`](crate::idempotency::Effect::EventCalledOff)
    /// under the attempt in the change's own transaction; an attempt that no longer holds its key
    /// changes nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`CancelEventError::EventNotFound`] for an unknown event;
    /// - [`CancelEventError::NotOrganizer`] unless the caller organises it;
    /// - [`CancelEventError::AlreadyCancelled`] when it was cancelled before;
    /// - [`CancelEventError::Repo`] when the store fails.
    fn cancel_event(
        &self,
        cmd: CancelEvent,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<EventCancellation, CancelEventError>> + Send;
}
