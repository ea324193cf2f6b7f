//! The waiting room in front of a drop: one place per account, numbered densely in the order
//! joins are answered, and a serving number that is a function of time — `base + rate × (now −
//! base_at)` by the store's clock — rather than a counter a worker ticks. An abandoned place
//! costs one slot and can never stall the room; a change of rate, a pause or a batch let in at
//! once rewrites the base at the current value. Pure: the store supplies the clock and keeps
//! the numbers; [`crate::ports::Rooms`] says what it must keep atomic.

mod admission;
mod change;
mod error;
mod rate;
mod serving;
mod settings;
mod state;

pub use admission::{Admission, AdmissionClaims, AdmissionError, check_admission};
pub use change::RoomChange;
pub use error::RoomError;
pub use rate::{AdmissionRate, AdmissionRateError};
pub use serving::Serving;
pub use settings::{RoomSettings, RoomSettingsError};
pub use state::{Place, Room, Standing};
