//! The waiting room in front of a drop: one place per account, numbered densely in the order
//! joins are answered, and a serving number that is a function of time — `base + rate × (now −
//! base_at)` by the store's clock — rather than a counter a worker ticks. An abandoned place costs one slot and can
//! never stall the room; a change of rate, a pause or a batch let in at once rewrites the base
//! at the current value. Pure: the store supplies the clock and keeps the numbers.

mod rate;
mod serving;
mod settings;

pub use rate::{AdmissionRate, AdmissionRateError};
pub use serving::{PlaceState, Serving};
pub use settings::{RoomSettings, RoomSettingsError};
