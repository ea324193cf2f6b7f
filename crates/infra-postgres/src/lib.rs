//! The PostgreSQL adapter of the ticketing domain.
//!
//! It owns every transaction. Booking takes a seat with one conditional statement when one is
//! free, and otherwise joins the line under a shared per-event advisory lock; cancelling takes
//! that lock exclusively and hands the seat to the head of the line in the same transaction.
//! See `DESIGN.md` §4 for why, and the stampede tests in `tests/` for the proof.

pub mod cluster;
mod constraints;
mod error;
pub mod migrate;
pub mod pool;
mod queries;
mod repos;
mod rows;
mod schema;
pub mod statements;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use pool::{PgPool, PoolSettings};
pub use repos::{PgBookingRepository, PgEventRepository, PgUserRepository};
