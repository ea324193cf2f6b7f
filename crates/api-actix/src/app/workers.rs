//! The background workers, one module each, all run by the [`super::supervisor`]: each claims
//! its work from rows in the store, so a restart after a failure loses nothing.
//!
//! - [`FeedListener`]: follows the outbox into this instance's notification streams;
//! - [`DeliveryWorker`]: relays notifications to webhook deliveries and runs delivery rounds;
//! - [`RevocationFollower`]: keeps this instance's copy of the revocations current;
//! - [`Housekeeping`]: deletes what can no longer matter;
//! - [`OfferSweeper`]: passes lapsed offers' seats on without waiting for their event's next
//!   write;
//! - [`ReplicaLag`]: measures the read replica's lag, when there is one.

mod delivery;
mod feed_listener;
mod housekeeping;
mod offer_sweeper;
mod replica_lag;
mod revocation_follower;

pub use delivery::DeliveryWorker;
pub use feed_listener::FeedListener;
pub use housekeeping::Housekeeping;
pub use offer_sweeper::OfferSweeper;
pub use replica_lag::ReplicaLag;
pub use revocation_follower::RevocationFollower;
