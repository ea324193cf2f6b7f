//! Argon2id behind the domain's [`domain::ports::PasswordHasher`]: [`Argon2Hasher`].
//!
//! Hashing is slow on purpose (tens of milliseconds and ~19 MiB a hash), so it runs on tokio's
//! blocking pool, never on a thread that serves requests, and only as many at once as its
//! [`HashingSlots`] admit: a sign-in storm costs a fixed amount of memory and leaves the cores
//! to the rest of the service.

mod hasher;
mod slots;

pub use hasher::Argon2Hasher;
pub use slots::{HashingLimits, HashingSlots};
