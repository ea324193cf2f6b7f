//! The service's own statements, for what runs them outside it: the pgbench scripts of the
//! database ceiling (`examples/pgbench_scripts.rs`, `bench/run.sh`), and the tests that hold a
//! booking's transaction open or read a statement's plan. Re-exported rather than copied, so
//! that what is measured is what the service runs.

pub use crate::queries::bookings::{
    LOCK_BOOKING, MARK_CANCELLED, PASS_SEAT_ON, TAKE_FREE_SEAT, TAKE_SEAT_OR_JOIN_LINE,
};
pub use crate::queries::events::LIST_EVENTS;
pub use crate::queries::guard::{GUARD_EVENT_OF_BOOKING, GUARD_EXCLUSIVE, GUARD_NAMESPACE, GUARD_SHARED};
pub use crate::queries::notices::WRITE_NOTICES;
