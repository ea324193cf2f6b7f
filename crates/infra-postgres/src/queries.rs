//! Small query functions over a connection. They compose inside any transaction; the store's
//! port implementations ([`crate::store`]) decide where transactions begin and end.
//!
//! Each hand-written statement is a constant right above the function that binds its `$1..$n`,
//! so that the text and its parameters are read together; the parts several statements share
//! are in `fragments`. The Diesel query builder writes the rest.

pub(crate) mod bookings;
pub(crate) mod events;
mod fragments;
pub(crate) mod guard;
pub(crate) mod history;
pub(crate) mod idempotency;
pub(crate) mod line;
pub(crate) mod notices;
pub(crate) mod offers;
mod prepared;
pub(crate) mod rooms;
pub(crate) mod sessions;
pub(crate) mod users;
pub(crate) mod webhooks;

pub(crate) use prepared::Prepared;

/// A duration as the milliseconds the statements take (`$n * interval '1 millisecond'`).
pub(crate) fn millis(duration: std::time::Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
