use std::future::Future;

use crate::booking::{
    AnswerOffer, AnswerOfferError, BookError, BookTicket, Booking, BookingOutcome, CancelBooking,
    CancelError, Cancellation, ChangeQuantity, ChangeQuantityError, Declination, QuantityChange,
};
use crate::error::RepoError;
use crate::event::{
    CancelEvent, CancelEventError, ChangeEvent, ChangeEventError, EventCancellation, EventChange,
};
use crate::idempotency::Attempt;

/// Every write taken under an event's guard: the changes to seats, the waiting line and
/// booking statuses that must stay consistent together, on any number of server processes
/// sharing the store.
///
/// Implementations MUST keep, after every committed change and whatever runs concurrently,
/// the invariants of docs/ARCHITECTURE.md: no more seats confirmed than the ticket limit (I1),
/// at most one live booking per user and event (I2), no seat left free while a booking that it
/// could serve waits (I3), the line served in booking-id order as [`crate::line::serve`] decides
/// (I4), and the counters of seats taken and waited for equal to the bookings (I5). Every
/// change that frees seats or unblocks the line (a cancel, a raise, a lowered quantity) serves
/// the line with [`crate::line::serve`] in the same transaction.
///
/// On an event that offers seats ([`crate::Promotion::Offer`]) serving the line offers them:
/// the served bookings are `OFFERED`, hold their seats (I1 counts them) and carry a deadline,
/// the store's clock's now plus the window, capped at the event's start; no offer is made once
/// the event has started. Implementations MUST decide every deadline by the store's clock, never
/// a server's, and MUST, in every write that takes the event's guard, first expire the event's
/// offers whose deadline has passed and serve the line with their seats (so correctness never
/// waits for [`Sales::sweep_offers`]); every read MUST show such an offer as `EXPIRED`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Sales: Send + Sync + 'static {
    /// Takes the command's seats for the user if they are free and nobody waits, else puts the
    /// booking at the back of the line — all its seats or none.
    ///
    /// Implementations MUST NOT confirm more seats than the event's ticket limit, MUST NOT
    /// give a user two live bookings for one event, MUST NOT let a newcomer pass a line that is
    /// not empty, and MUST NOT leave a booking waiting while seats it fits are free and nobody
    /// waits ahead of it — whatever runs concurrently.
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
    /// - [`BookError::QuantityOverMax`] for more seats than one booking of the event may take,
    ///   [`BookError::QuantityOverLimit`] for more than the event has (nothing is written);
    /// - [`BookError::Repo`] when the store fails.
    fn book(
        &self,
        cmd: BookTicket,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<BookingOutcome, BookError>> + Send;

    /// Cancels a booking and serves the line in the same transaction: seats it held go to the
    /// bookings [`crate::line::serve`] picks, or back to the event; a waiting group that leaves
    /// may let those behind it be served.
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

    /// Changes an event's fields and serves the line under the new limit and overtake limit, in
    /// the same transaction; the event and its bookings stay consistent with every book and
    /// cancel running concurrently. A limit below a waiting group's quantity is allowed (the
    /// group waits for more); one below the seats confirmed is not.
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

    /// Changes the quantity of the caller's waiting booking and serves the line: a lower one
    /// keeps the booking's place (and may now fit); a higher one cancels it and puts a new
    /// booking with that quantity at the back of the line. An unchanged quantity changes
    /// nothing.
    ///
    /// With `key`, stores [`Effect::QuantityChanged`](crate::idempotency::Effect::QuantityChanged)
    /// under the attempt in the change's own transaction; an attempt that no longer holds its key
    /// changes nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`ChangeQuantityError::NotFound`] for an unknown booking or another user's;
    /// - [`ChangeQuantityError::NotWaiting`] unless the booking is pending;
    /// - [`ChangeQuantityError::OverMax`] / [`ChangeQuantityError::OverLimit`] for more seats
    ///   than one booking of the event may take / than the event has;
    /// - [`ChangeQuantityError::Repo`] when the store fails.
    fn change_quantity(
        &self,
        cmd: ChangeQuantity,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<QuantityChange, ChangeQuantityError>> + Send;

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

    /// Accepts the offer made to the caller's booking: it is confirmed, keeping the seats it
    /// holds — only while it is still offered and its deadline has not passed by the store's
    /// clock, decided by one conditional write (an expiry running at the same moment either
    /// sees it confirmed or makes it fail).
    ///
    /// With `key`, stores [`Effect::OfferAccepted`](crate::idempotency::Effect::OfferAccepted)
    /// under the attempt in the change's own transaction; an attempt that no longer holds its key
    /// changes nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// - [`AnswerOfferError::NotFound`] for an unknown booking or another user's;
    /// - [`AnswerOfferError::OfferExpired`] when its deadline has passed;
    /// - [`AnswerOfferError::NotOffered`] for a booking that holds no offer;
    /// - [`AnswerOfferError::Repo`] when the store fails.
    fn accept(
        &self,
        cmd: AnswerOffer,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<Booking, AnswerOfferError>> + Send;

    /// Declines the offer made to the caller's booking and serves the line with its seats, in
    /// one transaction under the event's guard.
    ///
    /// With `key`, stores [`Effect::OfferDeclined`](crate::idempotency::Effect::OfferDeclined)
    /// under the attempt in the change's own transaction; an attempt that no longer holds its key
    /// changes nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)).
    ///
    /// # Errors
    /// As [`Sales::accept`]'s.
    fn decline(
        &self,
        cmd: AnswerOffer,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<Declination, AnswerOfferError>> + Send;

    /// Expires the offers whose deadline has passed, of up to `events` events, and serves
    /// each event's line with their seats, each event under its guard in its own transaction,
    /// taken in the same order as any other write of it. Returns how many offers expired. Run
    /// by a worker on each instance only to bound how long a lapsed offer's seats wait; two
    /// running at once never expire an offer twice.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails (offers expired before the failure stay expired).
    fn sweep_offers(&self, events: u32) -> impl Future<Output = Result<u64, RepoError>> + Send;
}
