use std::fmt;

use crate::booking::BookingStatus;

/// What serving an event's line does for the bookings it serves: confirm them at once, or offer
/// them the seats, held until a deadline (see [`crate::booking::AnswerOffer`]). People make
/// other plans while they wait; an offer lets them say so, and the seats go on to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Promotion {
    /// Confirmed at once: the original service's behaviour, and the default.
    #[default]
    Instant,
    /// Offered, and held for the window (capped at the event's start).
    Offer(OfferWindow),
}

impl Promotion {
    /// The word a client reads and writes.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Instant => "instant",
            Self::Offer(_) => "offer",
        }
    }

    /// What a booking the line serves becomes: confirmed, or offered its seats.
    #[must_use]
    pub const fn served_status(self) -> BookingStatus {
        match self {
            Self::Instant => BookingStatus::Confirmed,
            Self::Offer(_) => BookingStatus::Offered,
        }
    }

    /// The window of an offer, if the event makes them.
    #[must_use]
    pub const fn window(self) -> Option<OfferWindow> {
        match self {
            Self::Instant => None,
            Self::Offer(window) => Some(window),
        }
    }
}

/// How long an offer holds its seats: [`OfferWindow::MIN`] to [`OfferWindow::MAX`] seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OfferWindow(u32);

/// An offer window outside `OfferWindow::MIN..=OfferWindow::MAX` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an offer is held {min} to {max} seconds, not {0}", min = OfferWindow::MIN, max = OfferWindow::MAX)]
pub struct OfferWindowError(pub i64);

impl OfferWindow {
    /// Ten seconds: short enough for tests to watch an offer lapse; no organizer wants less.
    pub const MIN: u32 = 10;
    /// A week: the longest any peer holds one.
    pub const MAX: u32 = 604_800;
    /// A day, when an organizer asks for offers without saying how long.
    pub const DEFAULT: Self = Self(86_400);

    /// # Errors
    /// [`OfferWindowError`] outside [`Self::MIN`]`..=`[`Self::MAX`].
    pub fn new(seconds: i64) -> Result<Self, OfferWindowError> {
        match u32::try_from(seconds) {
            Ok(s) if (Self::MIN..=Self::MAX).contains(&s) => Ok(Self(s)),
            _ => Err(OfferWindowError(seconds)),
        }
    }

    /// The seconds.
    #[must_use]
    pub const fn seconds(self) -> u32 {
        self.0
    }
}

impl fmt::Display for OfferWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_ten_seconds_to_a_week() {
        assert!(OfferWindow::new(9).is_err() && OfferWindow::new(604_801).is_err());
        assert_eq!(OfferWindow::new(10).map(OfferWindow::seconds), Ok(10));
        assert_eq!(OfferWindow::new(604_800).map(OfferWindow::seconds), Ok(604_800));
        assert!(OfferWindow::new(-1).is_err());
    }

    #[test]
    fn instant_is_the_default_and_only_offers_have_a_window() {
        assert_eq!(Promotion::default(), Promotion::Instant);
        assert_eq!(Promotion::Instant.window(), None);
        let offer = Promotion::Offer(OfferWindow::DEFAULT);
        assert_eq!((offer.as_str(), offer.window().map(OfferWindow::seconds)), ("offer", Some(86_400)));
        assert_eq!(
            (Promotion::Instant.served_status(), offer.served_status()),
            (BookingStatus::Confirmed, BookingStatus::Offered)
        );
    }
}
