//! Webhook delivery over HTTP: the domain's [`domain::ports::WebhookSender`] as
//! [`HttpSender`] — signing per the Standard Webhooks specification ([`sign`]) and refusing
//! targets inside the operator's network ([`TargetPolicy`]). What is due and when a failure is
//! retried are the domain's (`domain::service::Deliveries`); this crate only crosses the
//! network.

mod sender;
mod signature;
mod targets;

pub use sender::{HttpSender, Payload, SenderError, SenderSettings};
pub use signature::{SignatureError, sign};
pub use targets::{GuardedResolver, TargetPolicy, is_public};
