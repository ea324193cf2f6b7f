//! The PostgreSQL adapter of the ticketing domain: [`PgStore`] implements every port.
//!
//! It owns every transaction. Booking takes a seat with one conditional statement when one is
//! free, and otherwise joins the line under a shared per-event advisory lock; cancelling takes
//! that lock exclusively and hands the seat to the head of the line in the same transaction.
//! `docs/ARCHITECTURE.md` explains why; the stampede tests in `tests/` are the proof.

pub mod bench;
mod constraints;
mod error;
pub mod invariants;
pub mod migrate;
pub mod pool;
pub mod pooler;
mod queries;
pub mod roles;
mod rows;
mod schema;
mod store;
#[cfg(feature = "test-support")]
pub mod test_support;

pub use pool::{PgPool, PoolSettings};
#[cfg(feature = "contract-gate")]
pub use store::Gate;
pub use store::{
    BatchCounts, BatchLimits, EmailNormalisation, PgListener, PgRevocationListener, PgStore, ReplicaWatch,
};
