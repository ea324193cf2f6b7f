//! Small query functions over a connection. They compose inside any transaction; the
//! repositories decide where transactions begin and end.

pub(crate) mod bookings;
pub(crate) mod events;
pub(crate) mod guard;
pub(crate) mod idempotency;
pub(crate) mod notices;
mod prepared;
pub(crate) mod sessions;
pub(crate) mod users;
pub(crate) mod webhooks;

pub(crate) use prepared::Prepared;
