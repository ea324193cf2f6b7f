use std::future::Future;
use std::time::Duration;

use crate::error::RepoError;
use crate::idempotency::Attempt;
use crate::ids::{UserId, WebhookId};
use crate::listing::Limit;
use crate::webhook::{
    Attempted, Backlog, BreakerPolicy, ClaimBounds, CreateWebhookError, Delivery, DeliveryAttempt,
    NewWebhook, Webhook, WebhookCap, WebhookError, WebhookSecret,
};

/// Organizers' webhooks, and the queue of their deliveries that workers on every server
/// instance share.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Webhooks: Send + Sync + 'static {
    /// Stores a subscription with the secret its deliveries are signed with.
    ///
    /// With `key`, stores [`Effect::WebhookCreated`](crate::idempotency::Effect::WebhookCreated)
    /// under the attempt in the change's own transaction; an attempt that no longer holds its key
    /// changes nothing ([`KeyTakenOver`](crate::idempotency::KeyTakenOver)). Implementations
    /// MUST NOT keep the secret with the key: [`crate::ports::Idempotency::claim`] reads it from
    /// the webhook when it replays the effect.
    ///
    /// Implementations MUST NOT let an organizer have more than `cap` webhooks, even when
    /// creations for them arrive at once on several instances.
    ///
    /// # Errors
    /// - [`CreateWebhookError::EventNotFound`] / [`CreateWebhookError::NotOrganizer`] when it
    ///   filters by an event that does not exist or that the organizer does not organise;
    /// - [`CreateWebhookError::CapReached`] when the organizer already has `cap` webhooks;
    /// - [`CreateWebhookError::Repo`] when the store fails.
    fn create_webhook(
        &self,
        webhook: NewWebhook,
        secret: WebhookSecret,
        cap: WebhookCap,
        key: Option<Attempt>,
    ) -> impl Future<Output = Result<Webhook, CreateWebhookError>> + Send;

    /// The organizer's webhooks, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn webhooks(&self, organizer: UserId) -> impl Future<Output = Result<Vec<Webhook>, RepoError>> + Send;

    /// Removes a webhook with its pending deliveries and its log.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`] unless `organizer` owns it.
    fn delete_webhook(
        &self,
        organizer: UserId,
        webhook: WebhookId,
    ) -> impl Future<Output = Result<(), WebhookError>> + Send;

    /// A page of a webhook's delivery attempts, newest first, older than the attempt `before`.
    ///
    /// # Errors
    /// [`WebhookError::NotFound`] unless `organizer` owns it.
    fn attempts(
        &self,
        organizer: UserId,
        webhook: WebhookId,
        before: Option<i64>,
        limit: Limit,
    ) -> impl Future<Output = Result<Vec<DeliveryAttempt>, WebhookError>> + Send;

    /// Claims up to `limit` due deliveries for `lease`: until it runs out no other worker
    /// claims them; after, any worker may (the claimer died or hung).
    ///
    /// Implementations MUST NOT hand one due delivery to two concurrent callers, and MUST NOT
    /// leave more deliveries of one webhook, or of one organizer, in flight than `bounds` allow
    /// — counting the leases that still run, every caller's, on every instance; a webhook whose
    /// last attempt failed gets one at a time, and a paused one none. Among the due deliveries
    /// they take each webhook's oldest first, and each organizer's first, second, … in turn, so
    /// that one organizer's backlog never keeps another's deliveries waiting.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn claim_deliveries(
        &self,
        limit: usize,
        bounds: ClaimBounds,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<Delivery>, RepoError>> + Send;

    /// Logs each attempt and settles its delivery (its lease ends): delivered, given up
    /// (`retry_in` `None` after a failure), due again after `retry_in`, or, for
    /// [`crate::webhook::DeliveryOutcome::Gone`], its webhook disabled. An attempt whose claim
    /// is no longer the latest (its lease ran out and another worker claimed the delivery) is
    /// ignored.
    ///
    /// Moves each webhook's breaker by [`BreakerPolicy::after`] over its recorded attempts, in
    /// the order given, under a lock of the webhook (so that instances recording at once take
    /// turns), by the store's clock. A pause that starts holds the webhook's waiting deliveries
    /// (and the log's `next_attempt_at` of this batch) until it ends, and gives up those past
    /// `breaker.give_up_after`.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn record_attempts(
        &self,
        attempts: &[Attempted],
        breaker: BreakerPolicy,
    ) -> impl Future<Output = Result<(), RepoError>> + Send;

    /// Queues the notifications committed since the last call for every webhook that wants
    /// them, in id order, never skipping one that commits after a later one. Any number of
    /// callers may call it at once: one does the work, the others return `None` at once.
    /// Returns how many deliveries were queued.
    ///
    /// Implementations MUST queue each notification for each matching webhook at most once,
    /// and every committed notification eventually.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn queue_deliveries(&self, batch: usize)
    -> impl Future<Output = Result<Option<usize>, RepoError>> + Send;

    /// Deletes at most `batch` log entries (attempts) older than `kept`; returns how many. Any
    /// number of instances may run it at once.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn forget_attempts(
        &self,
        kept: Duration,
        batch: usize,
    ) -> impl Future<Output = Result<u64, RepoError>> + Send;

    /// Deletes at most `batch` settled deliveries (delivered or given up) whose notification is
    /// older than `kept`; returns how many. Implementations MUST NOT delete one the relay could
    /// queue again (above its place), nor one still due. Any number of instances may run it at
    /// once.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn forget_deliveries(
        &self,
        kept: Duration,
        batch: usize,
    ) -> impl Future<Output = Result<u64, RepoError>> + Send;

    /// How much waits to be delivered.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn backlog(&self) -> impl Future<Output = Result<Backlog, RepoError>> + Send;
}
