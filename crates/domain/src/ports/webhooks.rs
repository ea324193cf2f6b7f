use std::future::Future;
use std::time::Duration;

use crate::error::RepoError;
use crate::ids::{UserId, WebhookId};
use crate::listing::Limit;
use crate::webhook::{
    Backlog, CreateWebhookError, Delivery, DeliveryAttempt, DeliveryOutcome, NewWebhook, Webhook,
    WebhookError, WebhookSecret,
};

/// Organizers' webhooks, and the queue of their deliveries that workers on every server
/// instance share.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Webhooks: Send + Sync + 'static {
    /// Stores a subscription with the secret its deliveries are signed with.
    ///
    /// # Errors
    /// - [`CreateWebhookError::EventNotFound`] / [`CreateWebhookError::NotOrganizer`] when it
    ///   filters by an event that does not exist or that the organizer does not organise;
    /// - [`CreateWebhookError::Repo`] when the store fails.
    fn create_webhook(
        &self,
        webhook: NewWebhook,
        secret: WebhookSecret,
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
    /// Implementations MUST NOT hand one due delivery to two concurrent callers.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn claim_deliveries(
        &self,
        limit: usize,
        lease: Duration,
    ) -> impl Future<Output = Result<Vec<Delivery>, RepoError>> + Send;

    /// Logs an attempt and settles the delivery: delivered, given up (`retry_in` `None` after a
    /// failure), due again after `retry_in`, or, for [`DeliveryOutcome::Gone`], its webhook
    /// disabled. Ignored when a later claim of the delivery exists (this one's lease ran out).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn record_attempt(
        &self,
        delivery: &Delivery,
        outcome: &DeliveryOutcome,
        retry_in: Option<Duration>,
    ) -> impl Future<Output = Result<(), RepoError>> + Send;

    /// How much waits to be delivered.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    fn backlog(&self) -> impl Future<Output = Result<Backlog, RepoError>> + Send;
}
