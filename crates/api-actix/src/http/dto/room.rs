//! The waiting room's bodies: an organizer's settings and changes, a place as its holder sees
//! it, the room's public numbers, and an admission token.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use domain::room::{AdmissionRate, Room, RoomChange, RoomSettings, Standing};
use serde::Deserialize;
use serde::Serialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use utoipa::ToSchema;

use super::fields::{integer, present, refuse_unknown, required};
use crate::http::error::{ApiError, field_error};

/// `PUT /events/{id}/waiting-room`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaitingRoomRequest {
    /// From when people may join (RFC 3339).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, format = DateTime, required = true, example = "2027-05-20T07:00:00Z")]
    opens_at: Option<Value>,
    /// When the first places are reached; no earlier than `opensAt`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, format = DateTime, required = true, example = "2027-05-20T09:00:00Z")]
    sale_starts_at: Option<Value>,
    /// Places reached a second.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = true, minimum = 1, maximum = 100_000, example = 500)]
    admissions_per_second: Option<Value>,
    /// Whether those who join before the start are put in a random order at the start (so
    /// arriving early buys nothing). Default `false`: the order they came in.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool, required = false)]
    shuffle: Option<Value>,
    /// How long an admission token lives, 60 to 86 400 seconds; default 600.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 60, maximum = 86_400)]
    token_ttl_seconds: Option<Value>,
    /// How long a reached place stays valid unused, 60 to 86 400 seconds; default 900.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 60, maximum = 86_400)]
    place_validity_seconds: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl WaitingRoomRequest {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad, missing or unknown field.
    pub fn into_settings(self) -> Result<RoomSettings, ApiError> {
        refuse_unknown(self.unknown.keys())?;
        let opens_at = instant("opensAt", required("opensAt", self.opens_at.as_ref())?)?;
        let sale_starts_at =
            instant("saleStartsAt", required("saleStartsAt", self.sale_starts_at.as_ref())?)?;
        let rate = rate(required("admissionsPerSecond", self.admissions_per_second.as_ref())?)?;
        let lifetime = |field: &str, value: Option<&Value>, default: i64| -> Result<Duration, ApiError> {
            let seconds = value.map(|v| integer(field, v)).transpose()?.unwrap_or(default);
            if (60..=86_400).contains(&seconds) {
                Ok(Duration::seconds(seconds))
            } else {
                Err(field_error(field, "must be between 60 and 86400"))
            }
        };
        let settings = RoomSettings {
            opens_at,
            sale_starts_at,
            rate,
            shuffle: self.shuffle.as_ref().map(|v| flag("shuffle", v)).transpose()?.unwrap_or(false),
            token_ttl: lifetime(
                "tokenTtlSeconds",
                self.token_ttl_seconds.as_ref(),
                RoomSettings::DEFAULT_TOKEN_TTL_SECONDS,
            )?,
            place_validity: lifetime(
                "placeValiditySeconds",
                self.place_validity_seconds.as_ref(),
                RoomSettings::DEFAULT_PLACE_VALIDITY_SECONDS,
            )?,
        };
        settings.check().map_err(|e| ApiError::Invalid(format!("\"opensAt\" {e}")))
    }
}

/// `PATCH /events/{id}/waiting-room`: any of these; at least one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeWaitingRoomRequest {
    /// A new rate, from now on.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 1, maximum = 100_000)]
    admissions_per_second: Option<Value>,
    /// `true` holds the serving number where it is; `false` lets it move on.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = bool, required = false)]
    paused: Option<Value>,
    /// Places reached at once, now, beyond the count.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 1, maximum = 1_000_000)]
    admit: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl ChangeWaitingRoomRequest {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad or unknown field, or when nothing changes.
    pub fn into_change(self) -> Result<RoomChange, ApiError> {
        refuse_unknown(self.unknown.keys())?;
        let admit = match self.admit.as_ref().map(|v| integer("admit", v)).transpose()? {
            None => 0,
            Some(n) => u64::try_from(n)
                .ok()
                .filter(|n| (1..=RoomChange::MAX_ADMIT).contains(n))
                .ok_or_else(|| field_error("admit", "must be between 1 and 1000000"))?,
        };
        let change = RoomChange {
            rate: self.admissions_per_second.as_ref().map(rate).transpose()?,
            paused: self.paused.as_ref().map(|v| flag("paused", v)).transpose()?,
            admit,
        };
        if change.is_empty() {
            return Err(ApiError::Invalid("give admissionsPerSecond, paused or admit".to_owned()));
        }
        Ok(change)
    }
}

fn instant(field: &str, value: &Value) -> Result<DateTime<Utc>, ApiError> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| field_error(field, "must be a date and time in RFC 3339 (2027-05-20T09:00:00Z)"))
}

fn rate(value: &Value) -> Result<AdmissionRate, ApiError> {
    AdmissionRate::new(integer("admissionsPerSecond", value)?)
        .map_err(|_| field_error("admissionsPerSecond", "must be between 1 and 100000"))
}

fn flag(field: &str, value: &Value) -> Result<bool, ApiError> {
    value.as_bool().ok_or_else(|| field_error(field, "must be a boolean"))
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A room's public numbers, at the database's clock.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoomStatusBody {
    pub event_id: i64,
    #[schema(format = DateTime)]
    pub opens_at: String,
    #[schema(format = DateTime)]
    pub sale_starts_at: String,
    pub admissions_per_second: u32,
    pub paused: bool,
    /// The highest place reached that someone holds.
    pub serving: u64,
    /// Everyone who has joined.
    pub joined: u64,
    /// Whether it takes joins.
    pub open: bool,
    /// Whether places are being reached.
    pub started: bool,
}

impl From<&Room> for RoomStatusBody {
    fn from(room: &Room) -> Self {
        Self {
            event_id: room.event.get(),
            opens_at: stamp(room.settings.opens_at),
            sale_starts_at: stamp(room.settings.sale_starts_at),
            admissions_per_second: room.serving.rate.get(),
            paused: room.serving.paused,
            serving: room.serving_number(),
            joined: room.joined,
            open: room.is_open(),
            started: room.has_started(),
        }
    }
}

/// A room as its organizer sees it: the public numbers and the settings.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoomBody {
    #[serde(flatten)]
    pub status: RoomStatusBody,
    pub shuffle: bool,
    pub token_ttl_seconds: i64,
    pub place_validity_seconds: i64,
}

impl From<&Room> for RoomBody {
    fn from(room: &Room) -> Self {
        Self {
            status: RoomStatusBody::from(room),
            shuffle: room.settings.shuffle,
            token_ttl_seconds: room.settings.token_ttl.num_seconds(),
            place_validity_seconds: room.settings.place_validity.num_seconds(),
        }
    }
}

/// A place, as its holder sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceBody {
    pub event_id: i64,
    /// `null` until the draw, for someone who joined a shuffled room before its start.
    pub position: Option<u64>,
    /// The highest place reached that someone holds.
    pub serving: u64,
    /// Places to be reached before this one; `null` once reached or before the draw.
    pub ahead: Option<u64>,
    /// About how long until it is reached; `null` while the room is paused, and once reached.
    pub eta_seconds: Option<u64>,
    /// When to ask again: when the place is due (at most 30 s), or 0 — now — once admitted.
    pub poll_after_seconds: u64,
    /// `drawing` (waiting for the draw at the start), `waiting`, `admitted` (ask for the token
    /// now) or `expired` (reached and unused past its validity).
    #[schema(pattern = "^(drawing|waiting|admitted|expired)$")]
    pub state: &'static str,
    /// Until when an admitted place (or its token) is valid.
    #[schema(format = DateTime)]
    pub valid_until: Option<String>,
}

/// The longest a holder is told to wait between polls.
const MAX_POLL_SECONDS: u64 = 30;

impl PlaceBody {
    /// `standing` in `room`, as the answer says it.
    #[must_use]
    pub fn new(room: &Room, standing: Standing) -> Self {
        let until_now = |at: DateTime<Utc>| u64::try_from((at - room.now).num_seconds().max(0)).unwrap_or(0);
        // Come back when the place is due (the wait shown counts down on its own meanwhile),
        // and at least every half minute for fresh numbers: polls spread by place rather than
        // every waiting client asking each second. An admitted place asks for its token now.
        let due = |eta: Option<u64>| eta.map_or(MAX_POLL_SECONDS, |eta| eta.clamp(1, MAX_POLL_SECONDS));
        let (position, ahead, eta, state, valid_until, poll_after_seconds) = match standing {
            Standing::Drawing { draw_at } => {
                let eta = Some(until_now(draw_at));
                (None, None, eta, "drawing", None, due(eta))
            }
            Standing::Waiting { position, ahead, reached_at } => {
                let eta = reached_at.map(until_now);
                (Some(position), Some(ahead), eta, "waiting", None, due(eta))
            }
            Standing::Admitted { position, until, .. } => {
                (Some(position), None, None, "admitted", Some(stamp(until)), 0)
            }
            Standing::Expired { position } => (Some(position), None, None, "expired", None, 1),
        };
        Self {
            event_id: room.event.get(),
            position,
            serving: room.serving_number(),
            ahead,
            eta_seconds: eta,
            poll_after_seconds,
            state,
            valid_until,
        }
    }
}

/// An admission token, for `X-Admission-Token` on `/book`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionBody {
    /// An Ed25519-signed JWT (`/.well-known/jwks.json` has the public key): `aud` is
    /// `event:<id>`, `sub` the user, `place` the position.
    pub token: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    pub position: u64,
}

impl AdmissionBody {
    #[must_use]
    pub fn new(token: String, expires_at: DateTime<Utc>, position: u64) -> Self {
        Self { token, expires_at: stamp(expires_at), position }
    }
}
