//! Typed identifiers, so an event id can never be passed where a user id is expected.

use std::fmt;

/// An id that is zero or negative: the store never issues one, so it cannot name anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an id must be a positive integer, got {0}")]
pub struct InvalidId(pub i64);

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id.
            ///
            /// # Errors
            /// [`InvalidId`] when `raw` is not positive.
            pub const fn new(raw: i64) -> Result<Self, InvalidId> {
                if raw > 0 { Ok(Self(raw)) } else { Err(InvalidId(raw)) }
            }

            /// The raw value, for storage and transport.
            #[must_use]
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl TryFrom<i64> for $name {
            type Error = InvalidId;

            fn try_from(raw: i64) -> Result<Self, InvalidId> {
                Self::new(raw)
            }
        }
    };
}

id_type!(
    /// Identifies an event.
    EventId
);
id_type!(
    /// Identifies a registered user.
    UserId
);
id_type!(
    /// Identifies a booking; booking ids also order the waiting list (lower id, earlier in line).
    BookingId
);

id_type!(
    /// Identifies a notification; ids increase in the order notifications are written.
    NotificationId
);
id_type!(
    /// Identifies an organizer's webhook.
    WebhookId
);
id_type!(
    /// Identifies a history entry; within an event, ids increase in commit order.
    HistoryId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_positive_id_is_accepted_and_kept() {
        assert_eq!(EventId::new(7).map(EventId::get), Ok(7));
    }

    #[test]
    fn zero_and_negative_ids_are_rejected() {
        assert_eq!(UserId::new(0), Err(InvalidId(0)));
        assert_eq!(BookingId::new(-3), Err(InvalidId(-3)));
    }

    #[test]
    fn an_id_displays_as_its_number() {
        assert_eq!(BookingId::new(42).map(|id| id.to_string()), Ok("42".to_owned()));
    }
}
