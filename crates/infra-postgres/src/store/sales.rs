//! [`Sales`] for the store: a booking or a cancel joins its event's lane ([`super::batching`]),
//! which runs it alone ([`super::single`]) when nothing of the event is in flight, or batched
//! with those that arrived meanwhile ([`super::booking_batch`], [`super::cancels`]).

use diesel_async::AsyncConnection as _;
use domain::idempotency::{Attempt, Effect};
use domain::ports::Sales;
use domain::{
    AnswerOffer, AnswerOfferError, BookError, BookTicket, Booking, BookingOutcome, CancelBooking,
    CancelError, CancelEvent, CancelEventError, CancelTarget, Cancellation, ChangeEvent, ChangeEventError,
    ChangeQuantity, ChangeQuantityError, Declination, EventCancellation, EventChange, EventId,
    QuantityChange, RepoError,
};

use super::PgStore;
use super::batching::Turn;
use super::booking_batch::Booker;
use super::cancels::{Canceller, Cancels};
use super::idempotency::answered_transaction;
use super::offers::{accept_offer, decline_in_transaction};
use super::single::{cancel_event_in_transaction, change_in_transaction, change_quantity_in_transaction};
use crate::error::{Inconsistent, from_diesel};
use crate::queries::bookings;

/// Bookings and cancels by their event's lane; an event's change and cancellation alone.
impl Sales for PgStore {
    async fn book(&self, cmd: BookTicket, key: Option<Attempt>) -> Result<BookingOutcome, BookError> {
        let booker = Booker {
            user: cmd.user(),
            quantity: cmd.quantity(),
            key: key.clone(),
            request: self.request.clone(),
        };
        match self.lanes.join(self, cmd.event(), booker) {
            Turn::Alone(lead) => {
                let booked = self.book_alone(cmd, key.as_ref(), self.request.as_ref()).await;
                drop(lead);
                booked
            }
            Turn::Queued(answer) => answer.await.unwrap_or_else(|_| Err(abandoned())),
            Turn::Overflow(_) => self.book_alone(cmd, key.as_ref(), self.request.as_ref()).await,
        }
    }

    /// In its event's lane: alone at once when nothing of the event is in flight, else batched
    /// with the cancels that arrived meanwhile (`cancels`). A cancel by booking id first
    /// reads the booking's event (one primary-key read, outside any lock).
    async fn cancel(&self, cmd: CancelBooking, key: Option<Attempt>) -> Result<Cancellation, CancelError> {
        let Some(event) = self.event_to_cancel(cmd).await? else {
            return self.cancel_alone(cmd, key.as_ref(), self.request.as_ref()).await;
        };
        let job = Canceller { cmd, key: key.clone(), request: self.request.clone() };
        match self.cancel_lanes.join(&Cancels(self.clone()), event, job) {
            Turn::Alone(lead) => {
                let cancelled = self.cancel_alone(cmd, key.as_ref(), self.request.as_ref()).await;
                drop(lead);
                cancelled
            }
            Turn::Queued(answer) => {
                answer.await.unwrap_or_else(|_| Err(CancelError::Repo(abandoned_batch())))
            }
            Turn::Overflow(_) => self.cancel_alone(cmd, key.as_ref(), self.request.as_ref()).await,
        }
    }

    async fn change_event(
        &self,
        cmd: ChangeEvent,
        key: Option<Attempt>,
    ) -> Result<EventChange, ChangeEventError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            ChangeEventError,
            key.as_ref(),
            |conn| change_in_transaction(conn, &cmd, &self.gate, self.request.as_ref()).await?,
            Effect::EventChanged
        )
    }

    async fn change_quantity(
        &self,
        cmd: ChangeQuantity,
        key: Option<Attempt>,
    ) -> Result<QuantityChange, ChangeQuantityError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            ChangeQuantityError,
            key.as_ref(),
            |conn| change_quantity_in_transaction(conn, cmd, &self.gate, self.request.as_ref()).await?,
            Effect::QuantityChanged
        )
    }

    async fn cancel_event(
        &self,
        cmd: CancelEvent,
        key: Option<Attempt>,
    ) -> Result<EventCancellation, CancelEventError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            CancelEventError,
            key.as_ref(),
            |conn| cancel_event_in_transaction(conn, cmd, self.request.as_ref()).await?,
            Effect::EventCalledOff
        )
    }

    /// The one conditional statement alone, or with its key in a transaction.
    async fn accept(&self, cmd: AnswerOffer, key: Option<Attempt>) -> Result<Booking, AnswerOfferError> {
        let mut conn = self.writer().await?;
        let Some(attempt) = key.as_ref() else {
            let request = self.request.as_ref();
            return self.pinned(&mut conn, async |conn| accept_offer(conn, cmd, request).await).await;
        };
        answered_transaction!(
            conn,
            AnswerOfferError,
            Some(attempt),
            |conn| accept_offer(conn, cmd, self.request.as_ref())
                .await
                .map_err(crate::error::TxError::Rule)?,
            Effect::OfferAccepted
        )
    }

    async fn decline(&self, cmd: AnswerOffer, key: Option<Attempt>) -> Result<Declination, AnswerOfferError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            AnswerOfferError,
            key.as_ref(),
            |conn| decline_in_transaction(conn, cmd, &self.gate, self.request.as_ref()).await?,
            Effect::OfferDeclined
        )
    }

    async fn sweep_offers(&self, events: u32) -> Result<u64, RepoError> {
        self.sweep(events).await
    }
}

impl PgStore {
    /// The event whose lane a cancel joins: named by the command, or the booking's (`None` for
    /// an unknown booking, which the single path refuses).
    async fn event_to_cancel(&self, cmd: CancelBooking) -> Result<Option<EventId>, RepoError> {
        match cmd.target {
            CancelTarget::LiveBookingFor(event) => Ok(Some(event)),
            CancelTarget::Booking(id) => {
                let event =
                    self.write(async |conn| bookings::event_of(conn, id).await.map_err(from_diesel)).await?;
                Ok(event.and_then(|e| EventId::new(e).ok()))
            }
        }
    }
}

/// A booking queued behind a batch that was abandoned (the runtime shutting down).
fn abandoned() -> BookError {
    BookError::Repo(abandoned_batch())
}

/// A request queued behind a batch that was abandoned: try again.
fn abandoned_batch() -> RepoError {
    RepoError::Unavailable(Box::new(Inconsistent("the request's batch was abandoned")))
}
