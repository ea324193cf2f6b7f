use crate::booking::{BookError, BookTicket, BookingOutcome, CancelBooking, CancelError, Cancellation};
use crate::ports::BookingRepository;

/// Booking and cancelling. The atomic work is the repository's; this is the seam where
/// inbound adapters meet it.
#[derive(Debug)]
pub struct BookingService<B> {
    bookings: B,
}

impl<B: BookingRepository> BookingService<B> {
    pub const fn new(bookings: B) -> Self {
        Self { bookings }
    }

    /// Books a seat, or a place in line when the event is sold out.
    ///
    /// # Errors
    /// As [`BookingRepository::book`].
    pub async fn book(&self, cmd: BookTicket) -> Result<BookingOutcome, BookError> {
        self.bookings.book(cmd).await
    }

    /// Cancels a booking and promotes the first in line in the same transaction.
    ///
    /// # Errors
    /// As [`BookingRepository::cancel`].
    pub async fn cancel(&self, cmd: CancelBooking) -> Result<Cancellation, CancelError> {
        self.bookings.cancel(cmd).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::booking::{Booking, BookingStatus, CancelTarget};
    use crate::ids::{BookingId, EventId, UserId};
    use crate::ports::MockBookingRepository;

    fn booking(status: BookingStatus) -> Booking {
        Booking {
            id: BookingId::new(5).unwrap(),
            event: EventId::new(2).unwrap(),
            user: UserId::new(1).unwrap(),
            status,
            created_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn booking_hands_the_command_to_the_repository_and_returns_its_outcome() {
        let cmd = BookTicket::new(UserId::new(1).unwrap(), EventId::new(2).unwrap(), None).unwrap();
        let mut repo = MockBookingRepository::new();
        repo.expect_book().withf(move |c| *c == cmd).times(1).returning(|_| {
            Box::pin(async { Ok(BookingOutcome::Confirmed(booking(BookingStatus::Confirmed))) })
        });

        let outcome = BookingService::new(repo).book(cmd).await.unwrap();

        assert_eq!(outcome.booking().status, BookingStatus::Confirmed);
    }

    #[tokio::test]
    async fn a_refused_cancellation_is_returned_unchanged() {
        let cmd = CancelBooking {
            caller: UserId::new(1).unwrap(),
            target: CancelTarget::Booking(BookingId::new(5).unwrap()),
        };
        let mut repo = MockBookingRepository::new();
        repo.expect_cancel().times(1).returning(|_| {
            Box::pin(async { Err(CancelError::AlreadyCancelled(BookingId::new(5).unwrap())) })
        });

        let refused = BookingService::new(repo).cancel(cmd).await;

        assert!(matches!(refused, Err(CancelError::AlreadyCancelled(id)) if id.get() == 5));
    }
}
