//! Webhook delivery: signing per the Standard Webhooks specification, refusing targets inside
//! the operator's network, and the worker that claims due deliveries and posts them.

mod delivery;
mod signature;
mod targets;

pub use delivery::{DeliverySettings, DeliveryWorker};
pub use signature::{SignatureError, sign};
pub use targets::{TargetError, TargetPolicy};
