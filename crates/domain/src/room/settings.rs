use chrono::{DateTime, Duration, Utc};

use super::AdmissionRate;

/// An event's waiting room as its organizer sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomSettings {
    /// From when people may join.
    pub opens_at: DateTime<Utc>,
    /// When the first places are reached.
    pub sale_starts_at: DateTime<Utc>,
    /// Places reached a second.
    pub rate: AdmissionRate,
    /// Whether those who joined before the start are put in a random order at the start (so
    /// arriving early buys nothing), rather than in the order they came.
    pub shuffle: bool,
    /// How long an admission token lives.
    pub token_ttl: Duration,
    /// How long a reached place stays valid, unused.
    pub place_validity: Duration,
}

/// Why room settings were refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoomSettingsError {
    /// The room would open after the sale starts.
    #[error("the room must open no later than the sale starts")]
    OpensAfterTheSale,
    /// A token would live less than a minute or more than a day.
    #[error("an admission token lives 60 seconds to a day")]
    TokenTtl,
    /// A place would stay valid less than a minute or more than a day.
    #[error("a reached place stays valid 60 seconds to a day")]
    PlaceValidity,
}

impl RoomSettings {
    /// A token's life unless the organizer says otherwise: ten minutes.
    pub const DEFAULT_TOKEN_TTL_SECONDS: i64 = 600;
    /// A reached place's validity unless the organizer says otherwise: fifteen minutes.
    pub const DEFAULT_PLACE_VALIDITY_SECONDS: i64 = 900;

    /// Settings opening at `opens_at`, starting the sale at `sale_starts_at` at `rate`, in
    /// arrival order, with the default token life and place validity.
    ///
    /// # Errors
    /// [`RoomSettingsError::OpensAfterTheSale`].
    pub fn new(
        opens_at: DateTime<Utc>,
        sale_starts_at: DateTime<Utc>,
        rate: AdmissionRate,
    ) -> Result<Self, RoomSettingsError> {
        Self {
            opens_at,
            sale_starts_at,
            rate,
            shuffle: false,
            token_ttl: Duration::seconds(Self::DEFAULT_TOKEN_TTL_SECONDS),
            place_validity: Duration::seconds(Self::DEFAULT_PLACE_VALIDITY_SECONDS),
        }
        .check()
    }

    /// These settings if they hold together.
    ///
    /// # Errors
    /// The first rule they break.
    pub fn check(self) -> Result<Self, RoomSettingsError> {
        let within = |d: Duration| (Duration::seconds(60)..=Duration::days(1)).contains(&d);
        if self.opens_at > self.sale_starts_at {
            return Err(RoomSettingsError::OpensAfterTheSale);
        }
        if !within(self.token_ttl) {
            return Err(RoomSettingsError::TokenTtl);
        }
        if !within(self.place_validity) {
            return Err(RoomSettingsError::PlaceValidity);
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::hours(hour)
    }

    #[test]
    fn a_room_opens_no_later_than_its_sale_and_keeps_sane_lifetimes() {
        let rate = AdmissionRate::new(500).unwrap();
        let room = RoomSettings::new(at(7), at(9), rate).unwrap();
        assert_eq!(
            (room.token_ttl.num_seconds(), room.place_validity.num_seconds(), room.shuffle),
            (600, 900, false)
        );
        assert!(RoomSettings::new(at(9), at(9), rate).is_ok());
        assert_eq!(RoomSettings::new(at(10), at(9), rate), Err(RoomSettingsError::OpensAfterTheSale));
        let short = RoomSettings { token_ttl: Duration::seconds(59), ..room };
        assert_eq!(short.check(), Err(RoomSettingsError::TokenTtl));
        let long = RoomSettings { place_validity: Duration::days(1) + Duration::seconds(1), ..room };
        assert_eq!(long.check(), Err(RoomSettingsError::PlaceValidity));
    }
}
