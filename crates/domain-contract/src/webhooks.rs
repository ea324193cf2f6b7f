//! [`domain::ports::Webhooks`]: subscriptions, and the queue of deliveries the workers share.

use std::collections::HashSet;
use std::time::Duration;

use domain::listing::Limit;
use domain::notice::{NoticeKind, NotificationData};
use domain::ports::{Notifications as _, Sales as _, Webhooks as _};
use domain::webhook::{
    Attempted, BreakerPolicy, ClaimBounds, CreateWebhookError, Delivery, DeliveryError, DeliveryOutcome,
    NewWebhook, Webhook, WebhookCap, WebhookError, WebhookSecret, WebhookUrl,
};
use domain::{CancelEvent, ChangeEvent, EventId, UserId, WebhookId};

use crate::fixtures::{book, event, limit, user, users};
use domain::ports::Store;

use crate::Adapter;

/// A cap no check but the cap's own reaches.
pub fn roomy() -> WebhookCap {
    WebhookCap::new(100).unwrap()
}

/// A breaker no check but the breaker's own trips.
pub const LENIENT: BreakerPolicy = BreakerPolicy {
    failures: 1000,
    pause: Duration::from_secs(60),
    max_pause: Duration::from_secs(3600),
    give_up_after: Duration::from_secs(86_400),
};

const NO_LEASE: Duration = Duration::ZERO;
const LONG_LEASE: Duration = Duration::from_secs(60);

/// A webhook for every notice of `organizer`'s events (or of `kinds`, or of `event`), posting
/// to a loopback port nobody listens on, signed with 32 bytes of 7.
pub async fn subscribe(
    store: &impl Store,
    organizer: UserId,
    kinds: Option<Vec<NoticeKind>>,
    event: Option<EventId>,
) -> Webhook {
    let webhook =
        NewWebhook { organizer, url: WebhookUrl::parse("http://127.0.0.1:9/hook").unwrap(), kinds, event };
    store.create_webhook(webhook, WebhookSecret::new(vec![7; 32]).unwrap(), roomy(), None).await.unwrap()
}

/// Runs the relay until it queues nothing more.
pub async fn queue(store: &impl Store) {
    for _ in 0..100 {
        if matches!(store.queue_deliveries(1000).await.unwrap(), Some(0)) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the relay kept finding more to queue");
}

fn attempted(delivery: &Delivery, outcome: DeliveryOutcome, retry_in: Option<Duration>) -> Attempted {
    Attempted { delivery: delivery.clone(), outcome, retry_in }
}

pub async fn a_webhook_filtered_by_event_is_only_for_its_organizer<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let [organizer, stranger] = users(&store, "user", 2).await[..] else { unreachable!() };
    let event = event(&store, organizer, 1).await;
    let url = WebhookUrl::parse("https://example.com/").unwrap();
    let secret = WebhookSecret::new(vec![1; 32]).unwrap();
    let missing = EventId::new(999_999).unwrap();

    let theirs = NewWebhook { organizer: stranger, url: url.clone(), kinds: None, event: Some(event) };
    let refused = store.create_webhook(theirs, secret.clone(), roomy(), None).await;
    let unknown = NewWebhook { organizer, url: url.clone(), kinds: None, event: Some(missing) };
    let unknown = store.create_webhook(unknown, secret.clone(), roomy(), None).await;
    let first = subscribe(&store, organizer, None, Some(event)).await;
    let second = subscribe(&store, organizer, Some(vec![NoticeKind::BookingCancelled]), None).await;

    assert!(matches!(refused, Err(CreateWebhookError::NotOrganizer(id)) if id == event), "{refused:?}");
    assert!(matches!(unknown, Err(CreateWebhookError::EventNotFound(id)) if id == missing), "{unknown:?}");
    assert_eq!(store.webhooks(organizer).await.unwrap(), vec![first.clone(), second], "oldest first");
    assert!(store.webhooks(stranger).await.unwrap().is_empty());
    let foreign = store.delete_webhook(stranger, first.id).await;
    assert!(matches!(foreign, Err(WebhookError::NotFound(id)) if id == first.id), "{foreign:?}");
    let log = store.attempts(stranger, first.id, None, Limit::DEFAULT).await;
    assert!(matches!(log, Err(WebhookError::NotFound(_))), "{log:?}");
    store.delete_webhook(organizer, first.id).await.unwrap();
    assert_eq!(store.webhooks(organizer).await.unwrap().len(), 1);
    let unknown_hook = WebhookId::new(999_999).unwrap();
    assert!(matches!(store.delete_webhook(organizer, unknown_hook).await, Err(WebhookError::NotFound(_))));
}

pub async fn a_notice_is_queued_once_for_every_matching_webhook_of_its_organizer_only<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let [organizer, other, buyer] = users(&store, "user", 3).await[..] else { unreachable!() };
    let event = event(&store, organizer, 5).await;
    let elsewhere = crate::fixtures::event(&store, organizer, 5).await;
    let all = subscribe(&store, organizer, None, None).await;
    let confirmations = subscribe(&store, organizer, Some(vec![NoticeKind::BookingConfirmed]), None).await;
    let other_event = subscribe(&store, organizer, None, Some(elsewhere)).await;
    let not_theirs = subscribe(&store, other, None, None).await;

    store.book(book(buyer, event), None).await.unwrap();
    store.change_event(ChangeEvent { caller: organizer, event, changes: limit(6) }, None).await.unwrap();
    queue(&store).await;
    queue(&store).await;

    let claimed = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();
    let mut got: Vec<(WebhookId, NoticeKind)> =
        claimed.iter().map(|d| (d.webhook, d.notification.kind)).collect();
    got.sort_by_key(|&(w, k)| (w, k.as_str()));
    assert_eq!(
        got,
        [
            (all.id, NoticeKind::BookingConfirmed),
            (all.id, NoticeKind::EventUpdated),
            (confirmations.id, NoticeKind::BookingConfirmed),
        ],
        "each once"
    );
    assert!(claimed.iter().all(|d| d.webhook != other_event.id && d.webhook != not_theirs.id));
    let update = claimed.iter().find(|d| d.notification.kind == NoticeKind::EventUpdated).unwrap();
    let NotificationData::Event(snapshot) = &update.notification.data else { panic!("{update:?}") };
    assert_eq!((snapshot.event.ticket_limit.get(), snapshot.tickets_available), (6, 5));
    assert_eq!(update.secret.as_bytes(), [7; 32]);
    assert!(claimed.iter().all(|d| d.attempt == 1));
}

pub async fn concurrent_workers_never_claim_the_same_delivery<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 100).await;
    subscribe(&store, organizer, None, None).await;
    for buyer in users(&store, "buyer", 60).await {
        store.book(book(buyer, event), None).await.unwrap();
    }
    queue(&store).await;

    let workers: Vec<_> = (0..6)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_deliveries(7, UNBOUNDED, LONG_LEASE).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|d| d.notification.id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for worker in workers {
        for id in worker.await.unwrap() {
            assert!(seen.insert(id), "notification {id} claimed twice");
        }
    }

    assert_eq!(seen.len(), 60);
}

pub async fn a_lapsed_lease_is_claimed_again_and_the_late_result_is_ignored<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let [organizer, buyer] = users(&store, "user", 2).await[..] else { unreachable!() };
    let event = event(&store, organizer, 1).await;
    let webhook = subscribe(&store, organizer, None, None).await;
    store.book(book(buyer, event), None).await.unwrap();
    queue(&store).await;

    let first = store.claim_deliveries(10, UNBOUNDED, NO_LEASE).await.unwrap();
    let second = store.claim_deliveries(10, UNBOUNDED, LONG_LEASE).await.unwrap();
    let leased = store.claim_deliveries(10, UNBOUNDED, LONG_LEASE).await.unwrap();
    store
        .record_attempts(&[attempted(&first[0], DeliveryOutcome::Delivered { status: 200 }, None)], LENIENT)
        .await
        .unwrap();
    let after_late = store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.unwrap();
    let failed = DeliveryOutcome::Failed {
        error: DeliveryError::HttpStatus,
        status: Some(500),
        detail: "HTTP 500 from a receiver that must not reach the log".to_owned(),
    };
    store
        .record_attempts(&[attempted(&second[0], failed, Some(Duration::from_millis(300)))], LENIENT)
        .await
        .unwrap();
    let not_due = store.claim_deliveries(10, UNBOUNDED, LONG_LEASE).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let third = store.claim_deliveries(10, UNBOUNDED, LONG_LEASE).await.unwrap();
    store
        .record_attempts(&[attempted(&third[0], DeliveryOutcome::Delivered { status: 204 }, None)], LENIENT)
        .await
        .unwrap();

    assert_eq!((first.len(), second.len()), (1, 1), "the first claimer's lease ran out");
    assert_eq!((first[0].attempt, second[0].attempt), (1, 2));
    assert!(leased.is_empty(), "leased");
    assert!(after_late.is_empty(), "a result past its lease is ignored");
    assert!(not_due.is_empty(), "not yet due");
    assert_eq!(third.iter().map(|d| d.attempt).collect::<Vec<_>>(), [3]);
    let log = store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.unwrap();
    assert_eq!(log.iter().map(|a| a.status_code).collect::<Vec<_>>(), [Some(204), Some(500)], "newest first");
    assert_eq!(log[1].error, Some(DeliveryError::HttpStatus), "the class, never the detail");
    assert!(log[1].next_attempt_at.is_some());
    assert_eq!(log[0].next_attempt_at, None);
    let older = store.attempts(organizer, webhook.id, Some(log[0].seq), Limit::DEFAULT).await.unwrap();
    assert_eq!(older, log[1..].to_vec(), "paged by seq");
    assert_eq!(store.backlog().await.unwrap().undelivered, 0);
}

pub async fn a_gone_receiver_disables_its_webhook_and_gets_nothing_more<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 10).await;
    let webhook = subscribe(&store, organizer, None, None).await;
    let buyers = users(&store, "buyer", 3).await;
    store.book(book(buyers[0], event), None).await.unwrap();
    store.book(book(buyers[1], event), None).await.unwrap();
    queue(&store).await;
    let waiting = store.backlog().await.unwrap().undelivered;

    let claimed = store.claim_deliveries(1, UNBOUNDED, LONG_LEASE).await.unwrap();
    store.record_attempts(&[attempted(&claimed[0], DeliveryOutcome::Gone, None)], LENIENT).await.unwrap();
    store.book(book(buyers[2], event), None).await.unwrap();
    store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();
    queue(&store).await;

    assert_eq!(waiting, 2);
    assert_eq!(store.backlog().await.unwrap().undelivered, 0);
    assert!(store.claim_deliveries(10, UNBOUNDED, NO_LEASE).await.unwrap().is_empty());
    assert!(store.webhooks(organizer).await.unwrap()[0].disabled_at.is_some());
    store.delete_webhook(organizer, webhook.id).await.unwrap();
    assert!(store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.is_err());
}

pub async fn an_organizer_never_has_more_webhooks_than_the_cap_even_when_created_at_once<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let [organizer, other] = users(&store, "user", 2).await[..] else { unreachable!() };
    let cap = WebhookCap::new(3).unwrap();
    let create = |organizer: UserId| {
        let store = store.clone();
        let webhook = NewWebhook {
            organizer,
            url: WebhookUrl::parse("https://example.com/").unwrap(),
            kinds: None,
            event: None,
        };
        tokio::spawn(async move {
            store.create_webhook(webhook, WebhookSecret::new(vec![1; 32]).unwrap(), cap, None).await
        })
    };

    let racing: Vec<_> = (0..12).map(|_| create(organizer)).collect();
    let (mut created, mut refused) = (Vec::new(), 0);
    for task in racing {
        match task.await.unwrap() {
            Ok(webhook) => created.push(webhook),
            Err(CreateWebhookError::CapReached(at)) => {
                assert_eq!(at, cap);
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    let others = create(other).await.unwrap();

    assert_eq!((created.len(), refused), (3, 9));
    assert_eq!(store.webhooks(organizer).await.unwrap().len(), 3);
    assert!(others.is_ok(), "another organizer's webhooks count apart: {others:?}");
    store.delete_webhook(organizer, created[0].id).await.unwrap();
    assert!(create(organizer).await.unwrap().is_ok(), "room again once one is deleted");
    assert!(matches!(create(organizer).await.unwrap(), Err(CreateWebhookError::CapReached(_))));
}

/// Bounds no check but the bounds' own reach.
pub const UNBOUNDED: ClaimBounds = ClaimBounds { per_webhook: 1000, per_organizer: 1000 };

pub async fn claims_hold_each_webhook_and_organizer_to_their_share_of_the_workers<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let [busy, quiet] = users(&store, "organizer", 2).await[..] else { unreachable!() };
    let busy_event = event(&store, busy, 100).await;
    let quiet_event = event(&store, quiet, 100).await;
    let first = subscribe(&store, busy, None, None).await;
    let second = subscribe(&store, busy, None, None).await;
    let theirs = subscribe(&store, quiet, None, None).await;
    let buyers = users(&store, "buyer", 6).await;
    for &buyer in &buyers {
        store.book(book(buyer, busy_event), None).await.unwrap();
    }
    store.book(book(users(&store, "late", 1).await[0], quiet_event), None).await.unwrap();
    queue(&store).await;
    let mut busy_notices = Vec::new();
    for &buyer in &buyers {
        busy_notices.push(store.feed(buyer, None, i64::MAX, Limit::DEFAULT).await.unwrap()[0].id);
    }
    let bounds = ClaimBounds { per_webhook: 2, per_organizer: 3 };
    let of = |claimed: &[Delivery], webhook: &Webhook| -> Vec<domain::NotificationId> {
        claimed.iter().filter(|d| d.webhook == webhook.id).map(|d| d.notification.id).collect()
    };

    let opening = store.claim_deliveries(2, bounds, LONG_LEASE).await.unwrap();
    let rest = store.claim_deliveries(100, bounds, LONG_LEASE).await.unwrap();
    let again = store.claim_deliveries(100, bounds, LONG_LEASE).await.unwrap();
    let claimed: Vec<Delivery> = opening.iter().chain(&rest).cloned().collect();
    let done = claimed.iter().find(|d| d.webhook == first.id).unwrap();
    store
        .record_attempts(&[attempted(done, DeliveryOutcome::Delivered { status: 200 }, None)], LENIENT)
        .await
        .unwrap();
    let freed = store.claim_deliveries(100, bounds, LONG_LEASE).await.unwrap();

    assert_eq!(of(&opening, &theirs).len(), 1, "the quiet organizer is not behind the busy one's backlog");
    assert_eq!(opening.len(), 2);
    let (firsts, seconds) = (of(&claimed, &first), of(&claimed, &second));
    assert_eq!(firsts.len() + seconds.len(), 3, "the busy organizer's share: {claimed:?}");
    assert!(firsts.len() <= 2 && seconds.len() <= 2, "each webhook's share: {claimed:?}");
    assert_eq!(firsts, busy_notices[..firsts.len()], "each webhook's oldest first");
    assert_eq!(seconds, busy_notices[..seconds.len()], "each webhook's oldest first");
    assert!(again.is_empty(), "every share is held by the leases that run: {again:?}");
    assert_eq!(freed.len(), 1, "a delivery recorded frees its slot: {freed:?}");
    assert!(freed.iter().all(|d| d.webhook != theirs.id));
}

pub async fn a_lapsed_lease_holds_no_share<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 10).await;
    subscribe(&store, organizer, None, None).await;
    for buyer in users(&store, "buyer", 3).await {
        store.book(book(buyer, event), None).await.unwrap();
    }
    queue(&store).await;
    let one = ClaimBounds { per_webhook: 1, per_organizer: 1 };

    let lapsed = store.claim_deliveries(10, one, NO_LEASE).await.unwrap();
    let next = store.claim_deliveries(10, one, LONG_LEASE).await.unwrap();
    let held = store.claim_deliveries(10, one, LONG_LEASE).await.unwrap();

    assert_eq!((lapsed.len(), next.len()), (1, 1), "a claimer that died holds no slot once its lease ends");
    assert!(held.is_empty(), "a running lease does");
}

fn failure() -> DeliveryOutcome {
    DeliveryOutcome::Failed { error: DeliveryError::Unreachable, status: None, detail: "refused".to_owned() }
}

/// `webhook` as its organizer lists it.
async fn listed(store: &impl Store, organizer: UserId, webhook: WebhookId) -> Webhook {
    store.webhooks(organizer).await.unwrap().into_iter().find(|w| w.id == webhook).unwrap()
}

pub async fn a_receiver_that_keeps_failing_is_paused_longer_each_time_until_a_delivery<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 10).await;
    let failing = subscribe(&store, organizer, None, None).await;
    let healthy = subscribe(&store, organizer, None, None).await;
    for buyer in users(&store, "buyer", 5).await {
        store.book(book(buyer, event), None).await.unwrap();
    }
    queue(&store).await;
    let breaker = BreakerPolicy { failures: 2, pause: Duration::from_millis(400), ..LENIENT };
    let soon = Some(Duration::from_millis(10));
    let of =
        |claimed: &[Delivery], webhook: &Webhook| claimed.iter().filter(|d| d.webhook == webhook.id).count();

    let claimed = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();
    let theirs: Vec<&Delivery> = claimed.iter().filter(|d| d.webhook == failing.id).collect();
    let tripping: Vec<Attempted> = theirs[..2].iter().map(|d| attempted(d, failure(), soon)).collect();
    store.record_attempts(&tripping, breaker).await.unwrap();
    let after_trip = listed(&store, organizer, failing.id).await;
    let stragglers: Vec<Attempted> = theirs[2..].iter().map(|d| attempted(d, failure(), soon)).collect();
    store.record_attempts(&stragglers, breaker).await.unwrap();
    let after_stragglers = listed(&store, organizer, failing.id).await;
    let log = store.attempts(organizer, failing.id, None, Limit::DEFAULT).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let while_paused = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    let probe = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();
    store.record_attempts(&[attempted(&probe[0], failure(), soon)], breaker).await.unwrap();
    let after_probe = listed(&store, organizer, failing.id).await;
    tokio::time::sleep(Duration::from_millis(850)).await;
    let second_probe = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();
    let delivered = DeliveryOutcome::Delivered { status: 200 };
    store.record_attempts(&[attempted(&second_probe[0], delivered, None)], breaker).await.unwrap();
    let closed = listed(&store, organizer, failing.id).await;
    let afterwards = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();

    assert_eq!((of(&claimed, &failing), of(&claimed, &healthy)), (5, 5));
    let paused_until = after_trip.paused_until.expect("two failures in a row pause it");
    assert_eq!(after_trip.failures, 2);
    assert_eq!(after_stragglers.failures, 5, "attempts that end during the pause count");
    assert_eq!(after_stragglers.paused_until, Some(paused_until), "and do not pause it longer");
    assert!(
        log.iter().filter_map(|a| a.next_attempt_at).all(|at| at >= paused_until),
        "the log shows the pause: {log:?}"
    );
    assert!(
        while_paused.is_empty(),
        "nothing of a paused webhook's, though its retries are due: {while_paused:?}"
    );
    assert_eq!(of(&probe, &failing), 1, "once the pause is over, one delivery probes: {probe:?}");
    let second_pause = after_probe.paused_until.unwrap() - paused_until;
    assert!(
        second_pause > chrono::TimeDelta::milliseconds(700),
        "the next pause is twice as long: {second_pause}"
    );
    assert_eq!(of(&second_probe, &failing), 1);
    assert_eq!((closed.failures, closed.paused_until), (0, None), "a delivery closes the breaker");
    assert_eq!(of(&afterwards, &failing), 4, "and the four left go at once");
    assert_eq!(listed(&store, organizer, healthy.id).await.failures, 0, "the breaker is the webhook's own");
}

pub async fn a_pause_gives_up_the_deliveries_past_the_retry_window<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 10).await;
    subscribe(&store, organizer, None, None).await;
    for buyer in users(&store, "buyer", 4).await {
        store.book(book(buyer, event), None).await.unwrap();
    }
    queue(&store).await;
    let breaker = BreakerPolicy { failures: 1, give_up_after: Duration::ZERO, ..LENIENT };

    let probe = store.claim_deliveries(1, UNBOUNDED, LONG_LEASE).await.unwrap();
    store.record_attempts(&[attempted(&probe[0], failure(), None)], breaker).await.unwrap();

    assert_eq!(
        store.backlog().await.unwrap().undelivered,
        0,
        "a dead receiver's backlog does not wait for probes"
    );
}

pub async fn old_attempts_settled_deliveries_and_notifications_are_forgotten_in_batches<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 10).await;
    let webhook = subscribe(&store, organizer, None, None).await;
    let buyers = users(&store, "buyer", 6).await;
    for &buyer in &buyers[..5] {
        store.book(book(buyer, event), None).await.unwrap();
    }
    queue(&store).await;
    let mut claimed = store.claim_deliveries(100, UNBOUNDED, LONG_LEASE).await.unwrap();
    claimed.sort_by_key(|d| d.notification.id);
    let delivered = DeliveryOutcome::Delivered { status: 200 };
    let mut ended: Vec<Attempted> =
        claimed[..3].iter().map(|d| attempted(d, delivered.clone(), None)).collect();
    ended.push(attempted(&claimed[3], failure(), None)); // given up
    ended.push(attempted(&claimed[4], failure(), Some(Duration::from_secs(600)))); // still to retry
    store.record_attempts(&ended, LENIENT).await.unwrap();
    // Committed, but above the relay's place: the relay may still queue it.
    store.book(book(buyers[5], event), None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (kept, long) = (Duration::from_millis(50), Duration::from_secs(3600));
    let feed = async |buyer: UserId| store.feed(buyer, None, i64::MAX, Limit::DEFAULT).await.unwrap().len();

    let nothing_yet = (
        store.forget_attempts(long, 100).await.unwrap(),
        store.forget_deliveries(long, 100).await.unwrap(),
        store.forget_notifications(long, 100).await.unwrap(),
    );
    let mut attempts = Vec::new();
    for _ in 0..4 {
        attempts.push(store.forget_attempts(kept, 2).await.unwrap());
    }
    let mut deliveries = Vec::new();
    for _ in 0..3 {
        deliveries.push(store.forget_deliveries(kept, 3).await.unwrap());
    }
    let mut notifications = Vec::new();
    for _ in 0..3 {
        notifications.push(store.forget_notifications(kept, 3).await.unwrap());
    }

    assert_eq!(nothing_yet, (0, 0, 0), "nothing younger than what is kept");
    assert_eq!(attempts, [2, 2, 1, 0], "the log, at most a batch at a time");
    assert!(store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.unwrap().is_empty());
    assert_eq!(deliveries, [3, 1, 0], "the four settled ones");
    assert_eq!(store.backlog().await.unwrap().undelivered, 1, "the one still to retry is kept");
    assert_eq!(notifications, [3, 1, 0], "the four whose deliveries are gone");
    assert_eq!(feed(buyers[0]).await, 0);
    assert_eq!(feed(buyers[4]).await, 1, "a delivery still refers to it");
    assert_eq!(feed(buyers[5]).await, 1, "the relay has not passed it yet");
    queue(&store).await;
    assert_eq!(store.backlog().await.unwrap().undelivered, 2, "and still queues it, once");
}
