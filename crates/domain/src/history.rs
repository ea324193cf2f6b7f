//! The audit trail: one entry per change to a booking or to an event's capacity or sale
//! status, written by the store in the change's own transaction and never edited, and the
//! integrity check that replays an event's entries against its counters and its bookings
//! (docs/ARCHITECTURE.md, "History").
//!
//! An entry carries ids only — who did it, to which booking, in which request — never an
//! e-mail or a name. Its `event_version` is the event's commit order: every transaction that
//! writes history bumps it on the event row it already holds, so replaying entries by
//! `(event_version, id)` replays the changes as they were made.

mod action;
mod actor;
mod cause;
mod change;
mod entry;
pub mod integrity;
mod request_id;

pub use action::{Action, UnknownAction};
pub use actor::Actor;
pub use cause::Cause;
pub use change::{Change, Counted};
pub use entry::{HistoryEntry, HistoryError, HistoryQuery};
pub use request_id::{InvalidRequestId, RequestId};
