use std::future::Future;

use crate::webhook::{Delivery, DeliveryOutcome, TargetRefused, WebhookUrl};

/// Posts deliveries to organizers' receivers. What crosses the network (the client, the
/// signature, the payload's bytes) is the adapter's; what to send and when to retry is the
/// domain's ([`crate::service::Deliveries`]).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait WebhookSender: Send + Sync + 'static {
    /// Whether deliveries may be posted to `url`. Implementations MUST refuse a host that is, or
    /// resolves to, an address inside the operator's network (loopback, private, link-local and
    /// the like) unless configured to allow it, so that registering a webhook cannot make the
    /// service probe that network.
    ///
    /// # Errors
    /// [`TargetRefused`] saying why.
    fn admits(&self, url: &WebhookUrl) -> impl Future<Output = Result<(), TargetRefused>> + Send;

    /// Posts one delivery, signed with its webhook's secret, and says how it went: every
    /// failure (no answer, a refused connection, a non-2xx answer) is an outcome, not an error.
    /// Implementations MUST apply the same address rule as [`WebhookSender::admits`] to every
    /// connection they open, since a name may resolve elsewhere later.
    fn send(&self, delivery: &Delivery) -> impl Future<Output = DeliveryOutcome> + Send;
}
