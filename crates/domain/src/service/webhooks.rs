//! Webhooks: subscribing (the target checked before anything is stored), and the delivery
//! rounds every instance's worker runs — claim what is due, post it, settle each attempt with
//! the retry policy's verdict as soon as it ends. The timing of rounds (when to relay, poll or
//! sleep) is the runtime's; what a round does is here, over the ports, so it reads the same
//! whatever store and client run it.

use std::time::Duration;

use chrono::Utc;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt as _, StreamExt as _};

use crate::error::RepoError;
use crate::idempotency::Attempt;
use crate::ports::{WebhookSender, Webhooks};
use crate::webhook::{
    Attempted, BreakerPolicy, ClaimBounds, CreateWebhookError, Delivery, DeliveryOutcome, NewWebhook,
    RetryPolicy, Webhook, WebhookCap, WebhookSecret,
};

/// Stores a subscription once the sender agrees to post to its URL (and, with `key`, the
/// effect under that attempt), unless the organizer already has `cap` webhooks.
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

/// How a worker claims, posts and retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// The most deliveries one worker has in flight at once.
    pub in_flight: usize,
    /// The most deliveries of one webhook, and of one organizer, in flight at once on every
    /// worker together: what keeps a target that answers slowly, or never, from holding more
    /// than its share.
    pub bounds: ClaimBounds,
    /// How long a claim is held before another worker may take the delivery over; longer than
    /// the sender's timeout, so that a live worker never loses one.
    pub lease: Duration,
    /// When a failed delivery is tried again.
    pub retry: RetryPolicy,
    /// When a webhook whose receiver keeps failing is paused.
    pub breaker: BreakerPolicy,
}

/// The deliveries over a queue ([`Webhooks`]) and a client ([`WebhookSender`]).
#[derive(Debug, Clone)]
pub struct Deliveries<W, S> {
    store: W,
    sender: S,
    policy: DeliveryPolicy,
}

impl<W: Webhooks, S: WebhookSender> Deliveries<W, S> {
    /// Deliveries from `store`'s queue, posted by `sender`.
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

    /// A worker's deliveries in flight, none yet.
    pub fn round(&self) -> Round<'_, W, S> {
        Round { deliveries: self, posting: FuturesUnordered::new() }
    }

    /// Posts one delivery and judges how it went.
    fn post(&self, delivery: Delivery) -> BoxFuture<'_, Attempted> {
        async move {
            let outcome = self.sender.send(&delivery).await;
            judge(self.policy.retry, delivery, outcome)
        }
        .boxed()
    }
}

/// One worker's deliveries in flight. It claims while it has room, and each delivery is
/// settled as soon as it ends: a receiver that answers slowly, or never, holds its own slot
/// until the timeout and nothing else — no claim waits for it, and no other delivery's record
/// either. The worker decides when to claim and when to wait ([`Round::claim`],
/// [`Round::ended`], [`Round::record`]); a delivery claimed is always recorded, unless recording
/// fails: then its lease runs out and another worker takes it over.
pub struct Round<'a, W, S> {
    deliveries: &'a Deliveries<W, S>,
    posting: FuturesUnordered<BoxFuture<'a, Attempted>>,
}

impl<W, S> std::fmt::Debug for Round<'_, W, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Round").field("in_flight", &self.posting.len()).finish_non_exhaustive()
    }
}

impl<'a, W: Webhooks, S: WebhookSender> Round<'a, W, S> {
    /// How many deliveries are being posted.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.posting.len()
    }

    /// How many more it may claim.
    #[must_use]
    pub fn room(&self) -> usize {
        self.deliveries.policy.in_flight.saturating_sub(self.posting.len())
    }

    /// Claims due deliveries into the room left (within the policy's bounds per webhook and
    /// per organizer) and starts posting them; returns how many it claimed.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails; nothing was claimed then.
    pub async fn claim(&mut self) -> Result<usize, RepoError> {
        let policy = self.deliveries.policy;
        let room = self.room();
        if room == 0 {
            return Ok(0);
        }
        let due = self.deliveries.store.claim_deliveries(room, policy.bounds, policy.lease).await?;
        let claimed = due.len();
        for delivery in due {
            self.posting.push(self.deliveries.post(delivery));
        }
        Ok(claimed)
    }

    /// Waits for a delivery to end, and returns it with every other that has ended by then.
    /// Dropping the wait loses nothing (a worker may race it against a wake-up); with nothing
    /// in flight it never returns.
    pub async fn ended(&mut self) -> Vec<Attempted> {
        let Some(first) = self.posting.next().await else {
            return std::future::pending().await;
        };
        let mut ended = vec![first];
        while let Some(Some(next)) = self.posting.next().now_or_never() {
            ended.push(next);
        }
        ended
    }

    /// Records attempts that ended, and moves their webhooks' breakers (see
    /// [`Webhooks::record_attempts`]). Takes the round
    /// mutably only so that a worker's future stays `Send` (the posts in flight are not `Sync`).
    ///
    /// # Errors
    /// [`RepoError`] when the store fails: their leases run out and other workers retry them.
    pub async fn record(&mut self, ended: &[Attempted]) -> Result<(), RepoError> {
        self.deliveries.store.record_attempts(ended, self.deliveries.policy.breaker).await
    }

    /// Waits for every delivery in flight and records each as it ends: how a worker stops.
    /// Returns them.
    ///
    /// # Errors
    /// [`RepoError`] when the store fails.
    pub async fn finish(mut self) -> Result<Vec<Attempted>, RepoError> {
        let mut all = Vec::new();
        while self.in_flight() > 0 {
            let ended = self.ended().await;
            self.record(&ended).await?;
            all.extend(ended);
        }
        Ok(all)
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
    use std::sync::{Arc, Mutex};

    use chrono::TimeDelta;
    use mockall::predicate::always;

    use super::*;
    use crate::booking::{Booking, BookingStatus, BookingView};
    use crate::ids::{BookingId, EventId, NotificationId, UserId, WebhookId};
    use crate::notice::{NoticeKind, Notification, NotificationData};
    use crate::ports::{MockWebhookSender, MockWebhooks};
    use crate::webhook::{DeliveryError, TargetRefused, WebhookUrl};

    const POLICY: DeliveryPolicy = DeliveryPolicy {
        in_flight: 8,
        bounds: ClaimBounds { per_webhook: 2, per_organizer: 4 },
        lease: Duration::from_secs(30),
        retry: RetryPolicy::with_base(Duration::from_secs(5)),
        breaker: BreakerPolicy {
            failures: 5,
            pause: Duration::from_secs(60),
            max_pause: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(86_400),
        },
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
                        quantity: crate::booking::Quantity::ONE,
                        offer_expires_at: None,
                    },
                    position: None,
                    seats_ahead: None,
                }),
            },
            attempt,
        }
    }

    fn ids(attempts: &[Attempted]) -> Vec<i64> {
        attempts.iter().map(|a| a.delivery.notification.id.get()).collect()
    }

    #[tokio::test]
    async fn a_round_posts_what_is_due_and_settles_each_attempt_by_the_retry_policy() {
        let mut store = MockWebhooks::new();
        store
            .expect_claim_deliveries()
            .withf(|room, bounds, lease| *room == 8 && *bounds == POLICY.bounds && *lease == POLICY.lease)
            .returning(|_, _, _| {
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
            .withf(|attempts: &[Attempted], breaker| {
                let mut retries: Vec<_> =
                    attempts.iter().map(|a| (a.delivery.notification.id.get(), a.retry_in)).collect();
                retries.sort_by_key(|&(id, _)| id);
                *breaker == POLICY.breaker
                    && retries
                        == [
                            (1, None),
                            (2, Some(Duration::from_secs(20))),
                            (3, None), // failed, but older than the policy keeps trying
                        ]
            })
            .returning(|_, _| Box::pin(async { Ok(()) }));
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
        let deliveries = Deliveries::new(store, sender, POLICY);
        let mut round = deliveries.round();

        assert_eq!(round.claim().await.unwrap(), 3);
        let ended = round.ended().await;
        round.record(&ended).await.unwrap();

        assert_eq!(ended.len(), 3, "every one that had ended: {:?}", ids(&ended));
        assert_eq!(round.in_flight(), 0);
    }

    /// The round that starved other organizers claimed, waited for every delivery, then
    /// recorded them all: one receiver that never answered held every claim behind it for the
    /// whole timeout. Now it holds its own slot: what ends is recorded at once, and the next
    /// claim asks for the room left.
    #[tokio::test]
    async fn a_receiver_that_never_answers_holds_its_own_slot_and_nothing_else() {
        let claims = Arc::new(Mutex::new(Vec::new()));
        let mut store = MockWebhooks::new();
        let seen = Arc::clone(&claims);
        store.expect_claim_deliveries().returning(move |room, _, _| {
            let mut seen = seen.lock().unwrap();
            seen.push(room);
            let due = match seen.len() {
                1 => vec![delivery(1, TimeDelta::seconds(1), 1), delivery(2, TimeDelta::seconds(1), 1)],
                2 => vec![delivery(3, TimeDelta::seconds(1), 1)],
                _ => Vec::new(),
            };
            Box::pin(async move { Ok(due) })
        });
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&recorded);
        store.expect_record_attempts().returning(move |attempts, _| {
            kept.lock().unwrap().push(ids(attempts));
            Box::pin(async { Ok(()) })
        });
        let mut sender = MockWebhookSender::new();
        sender.expect_send().returning(|delivery: &Delivery| match delivery.notification.id.get() {
            1 => Box::pin(std::future::pending()),
            _ => Box::pin(async { DeliveryOutcome::Delivered { status: 204 } }),
        });
        let deliveries = Deliveries::new(store, sender, POLICY);
        let mut round = deliveries.round();

        round.claim().await.unwrap();
        let first = round.ended().await;
        round.record(&first).await.unwrap();
        round.claim().await.unwrap();
        let second = round.ended().await;
        round.record(&second).await.unwrap();

        assert_eq!(*recorded.lock().unwrap(), [vec![2], vec![3]], "each recorded as it ended");
        assert_eq!(*claims.lock().unwrap(), [8, 7], "the silent one keeps one slot");
        assert_eq!(round.in_flight(), 1);
    }

    #[tokio::test]
    async fn a_full_round_claims_nothing_and_a_stopping_one_records_what_it_holds() {
        let mut store = MockWebhooks::new();
        store.expect_claim_deliveries().times(1).returning(|room, _, _| {
            let due =
                (1..=i64::try_from(room).unwrap()).map(|n| delivery(n, TimeDelta::seconds(1), 1)).collect();
            Box::pin(async move { Ok(due) })
        });
        store.expect_record_attempts().returning(|_, _| Box::pin(async { Ok(()) }));
        let mut sender = MockWebhookSender::new();
        sender.expect_send().returning(|_| Box::pin(async { DeliveryOutcome::Delivered { status: 200 } }));
        let deliveries = Deliveries::new(store, sender, POLICY);
        let mut round = deliveries.round();

        assert_eq!(round.claim().await.unwrap(), 8);
        assert_eq!(round.claim().await.unwrap(), 0, "no room: the store is not asked");
        let finished = round.finish().await.unwrap();

        assert_eq!(finished.len(), 8);
    }

    #[tokio::test]
    async fn a_round_with_nothing_due_posts_and_records_nothing() {
        let mut store = MockWebhooks::new();
        store.expect_claim_deliveries().returning(|_, _, _| Box::pin(async { Ok(Vec::new()) }));
        store.expect_record_attempts().never();
        let mut sender = MockWebhookSender::new();
        sender.expect_send().never();
        let deliveries = Deliveries::new(store, sender, POLICY);
        let mut round = deliveries.round();

        assert_eq!(round.claim().await.unwrap(), 0);
        assert_eq!(round.in_flight(), 0);
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
