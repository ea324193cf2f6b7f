//! Answering an offer: the seats a line served to a booking of an event that offers seats are
//! held for it until a deadline; its holder accepts (the booking is confirmed) or declines (the
//! seats go on down the line). Whether the deadline has passed is the store's clock's to say.

use super::{Booking, BookingStatus};
use crate::error::RepoError;
use crate::ids::{BookingId, UserId};

/// A holder's answer to the offer made to their booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerOffer {
    /// Who answers: only the booking's holder may.
    pub caller: UserId,
    /// The offered booking.
    pub booking: BookingId,
}

/// What declining an offer did, in one transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declination {
    /// The booking, now `DECLINED`.
    pub declined: Booking,
    /// The bookings its seats served, in line order (offered, or confirmed if the event has
    /// since stopped offering).
    pub promoted: Vec<Booking>,
}

/// Why an offer could not be accepted or declined. A refusal changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum AnswerOfferError {
    /// No such booking, or another user's: one answer, so ids are not revealed.
    #[error("booking {0} does not exist or is not the caller's")]
    NotFound(BookingId),
    /// The booking holds no offer: it waits, holds its seats, or ended otherwise.
    #[error("booking {0} holds no offer")]
    NotOffered(BookingId),
    /// The offer's deadline passed, by the store's clock.
    #[error("the offer to booking {0} has expired")]
    OfferExpired(BookingId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Decides whether `caller` may answer the offer of `booking`, read with a lapsed offer
/// already shown as [`BookingStatus::Expired`] (by the store's clock).
///
/// # Errors
/// [`AnswerOfferError::NotFound`] unless the caller holds the booking (checked first, so a
/// stranger learns nothing); [`AnswerOfferError::OfferExpired`] for a lapsed offer;
/// [`AnswerOfferError::NotOffered`] for any other status but offered.
pub fn check_answer(caller: UserId, booking: &Booking) -> Result<(), AnswerOfferError> {
    if caller != booking.user {
        return Err(AnswerOfferError::NotFound(booking.id));
    }
    match booking.status {
        BookingStatus::Offered => Ok(()),
        BookingStatus::Expired => Err(AnswerOfferError::OfferExpired(booking.id)),
        _ => Err(AnswerOfferError::NotOffered(booking.id)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::booking::Quantity;
    use crate::ids::EventId;

    fn booking(status: BookingStatus) -> Booking {
        Booking {
            id: BookingId::new(4).unwrap(),
            event: EventId::new(1).unwrap(),
            user: UserId::new(2).unwrap(),
            status,
            quantity: Quantity::ONE,
            created_at: Utc::now(),
            offer_expires_at: Some(Utc::now()),
        }
    }

    #[test]
    fn only_the_holder_answers_and_only_an_open_offer() {
        let holder = UserId::new(2).unwrap();
        let stranger = UserId::new(3).unwrap();
        assert!(check_answer(holder, &booking(BookingStatus::Offered)).is_ok());
        assert!(matches!(
            check_answer(stranger, &booking(BookingStatus::Offered)),
            Err(AnswerOfferError::NotFound(_))
        ));
        assert!(matches!(
            check_answer(holder, &booking(BookingStatus::Expired)),
            Err(AnswerOfferError::OfferExpired(_))
        ));
        for status in [BookingStatus::Confirmed, BookingStatus::Pending, BookingStatus::Declined] {
            assert!(matches!(check_answer(holder, &booking(status)), Err(AnswerOfferError::NotOffered(_))));
        }
    }
}
