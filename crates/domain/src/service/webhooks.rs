//! Webhooks: subscribing (the target checked before anything is stored), and the delivery
//! rounds every instance's worker runs — claim what is due, post it, settle each attempt with
//! the retry policy's verdict. The timing of rounds (when to relay, poll or sleep) is the
//! runtime's; what a round does is here, over the ports, so it reads the same whatever store
//! and client run it.

use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;

use crate::error::RepoError;
use crate::idempotency::Attempt;
use crate::ports::{WebhookSender, Webhooks};
use crate::webhook::{
    Attempted, CreateWebhookError, Delivery, DeliveryOutcome, NewWebhook, RetryPolicy, Webhook, WebhookCap,
    WebhookSecret,
};

/// Stores a subscription once the sender agrees to post to its URL (and, with `key`, the
/// effect under that attempt).
///
/// # Errors
/// [`CreateWebhookError::Target`] when the sender refuses the URL (nothing is stored), else as
/// [`Webhooks::create_webhook`].
pub async fn subscribe(
    store: &impl Webhooks,
    sender: &impl WebhookSender,
    webhook: NewWebhook,
    secret: WebhookSecret,
    cap: WebhookCap,
    key: Option<Attempt>,
) -> Result<Webhook, CreateWebhookError> {
    sender.admits(&webhook.url).await?;
    store.create_webhook(webhook, secret, cap, key).await
}

/// How a worker's rounds claim and retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// The most deliveries one round has in flight (and records in one write).
    pub batch: usize,
    /// How long a claim is held before another worker may take the delivery over; longer than
    /// the sender's timeout, so that a live worker never loses one.
    pub lease: Duration,
    /// When a failed delivery is tried again.
    pub retry: RetryPolicy,
}

/// The delivery rounds over a queue ([`Webhooks`]) and a client ([`WebhookSender`]).
#[derive(Debug, Clone)]
pub struct Deliveries<W, S> {
    store: W,
    sender: S,
    policy: DeliveryPolicy,
}

impl<W: Webhooks, S: WebhookSender> Deliveries<W, S> {
    /// Rounds over `store`'s queue, posted by `sender`.
    pub const fn new(store: W, sender: S, policy: DeliveryPolicy) -> Self {
        Self { store, sender, policy }
    }

    /// Queues what committed since the last relay (see [`Webhooks::queue_deliveries`]).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    pub async fn relay(&self, batch: usize) -> Result<Option<usize>, RepoError> {
        self.store.queue_deliveries(batch).await
    }

    /// One round: claims up to a batch of due deliveries, posts them all at once, and records
    /// every attempt with when it is tried again. Returns the attempts (none when nothing was
    /// due). A claimed delivery is always settled before this returns, unless recording fails:
    /// then its lease runs out and another round takes it over.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    pub async fn deliver_due(&self) -> Result<Vec<Attempted>, RepoError> {
        let due = self.store.claim_deliveries(self.policy.batch, self.policy.lease).await?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let attempted = join_all(due.into_iter().map(|delivery| async {
            let outcome = self.sender.send(&delivery).await;
            judge(self.policy.retry, delivery, outcome)
        }))
        .await;
        self.store.record_attempts(&attempted).await?;
        Ok(attempted)
    }
}

/// When a failed attempt is tried again: by the policy and the notification's age, so that a
/// delivery is given up a fixed time after its notice whatever the number of tries.
fn judge(retry: RetryPolicy, delivery: Delivery, outcome: DeliveryOutcome) -> Attempted {
    let age = (Utc::now() - delivery.notification.created_at).to_std().unwrap_or_default();
    let retry_in = match outcome {
        DeliveryOutcome::Failed { .. } => retry.after_failure(delivery.attempt, age),
        DeliveryOutcome::Delivered { .. } | DeliveryOutcome::Gone => None,
    };
    Attempted { delivery, outcome, retry_in }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use mockall::predicate::always;

    use super::*;
    use crate::booking::{Booking, BookingStatus, BookingView};
    use crate::ids::{BookingId, EventId, NotificationId, UserId, WebhookId};
    use crate::notice::{NoticeKind, Notification, NotificationData};
    use crate::ports::{MockWebhookSender, MockWebhooks};
    use crate::webhook::{DeliveryError, TargetRefused, WebhookUrl};

    const POLICY: DeliveryPolicy = DeliveryPolicy {
        batch: 8,
        lease: Duration::from_secs(30),
        retry: RetryPolicy::with_base(Duration::from_secs(5)),
    };

    fn delivery(notification: i64, age: TimeDelta, attempt: u32) -> Delivery {
        Delivery {
            webhook: WebhookId::new(1).unwrap(),
            url: WebhookUrl::parse("https://hooks.example.com/in").unwrap(),
            secret: WebhookSecret::new(vec![7; 24]).unwrap(),
            notification: Notification {
                id: NotificationId::new(notification).unwrap(),
                kind: NoticeKind::BookingConfirmed,
                created_at: Utc::now() - age,
                data: NotificationData::Booking(BookingView {
                    booking: Booking {
                        id: BookingId::new(notification).unwrap(),
                        event: EventId::new(3).unwrap(),
                        user: UserId::new(2).unwrap(),
                        status: BookingStatus::Confirmed,
                        created_at: Utc::now() - age,
                    },
                    position: None,
                }),
            },
            attempt,
        }
    }

    #[tokio::test]
    async fn a_round_posts_what_is_due_and_settles_each_attempt_by_the_retry_policy() {
        let mut store = MockWebhooks::new();
        store
            .expect_claim_deliveries()
            .withf(|batch, lease| *batch == 8 && *lease == POLICY.lease)
            .returning(|_, _| {
                let due = vec![
                    delivery(1, TimeDelta::seconds(1), 1),
                    delivery(2, TimeDelta::seconds(1), 3),
                    delivery(3, TimeDelta::days(2), 9),
                ];
                Box::pin(async move { Ok(due) })
            });
        store
            .expect_record_attempts()
            .times(1)
            .withf(|attempts: &[Attempted]| {
                let retries: Vec<_> =
                    attempts.iter().map(|a| (a.delivery.notification.id.get(), a.retry_in)).collect();
                retries
                    == [
                        (1, None),
                        (2, Some(Duration::from_secs(20))),
                        (3, None), // failed, but older than the policy keeps trying
                    ]
            })
            .returning(|_| Box::pin(async { Ok(()) }));
        let mut sender = MockWebhookSender::new();
        sender.expect_send().times(3).returning(|delivery: &Delivery| {
            let outcome = match delivery.notification.id.get() {
                1 => DeliveryOutcome::Delivered { status: 204 },
                _ => DeliveryOutcome::Failed {
                    error: DeliveryError::HttpStatus,
                    status: Some(500),
                    detail: "HTTP 500".to_owned(),
                },
            };
            Box::pin(async move { outcome })
        });

        let attempted = Deliveries::new(store, sender, POLICY).deliver_due().await.unwrap();

        assert_eq!(attempted.len(), 3);
    }

    #[tokio::test]
    async fn a_round_with_nothing_due_posts_and_records_nothing() {
        let mut store = MockWebhooks::new();
        store.expect_claim_deliveries().returning(|_, _| Box::pin(async { Ok(Vec::new()) }));
        store.expect_record_attempts().never();
        let mut sender = MockWebhookSender::new();
        sender.expect_send().never();

        assert!(Deliveries::new(store, sender, POLICY).deliver_due().await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_refused_target_stores_nothing() {
        let mut store = MockWebhooks::new();
        store.expect_create_webhook().never();
        let mut sender = MockWebhookSender::new();
        sender.expect_admits().with(always()).returning(|_| Box::pin(async { Err(TargetRefused::Internal) }));
        let webhook = NewWebhook {
            organizer: UserId::new(1).unwrap(),
            url: WebhookUrl::parse("http://localhost/in").unwrap(),
            kinds: None,
            event: None,
        };

        let secret = WebhookSecret::new(vec![1; 24]).unwrap();
        let refused = subscribe(&store, &sender, webhook, secret, WebhookCap::new(5).unwrap(), None).await;

        assert!(matches!(refused, Err(CreateWebhookError::Target(TargetRefused::Internal))), "{refused:?}");
    }
}
