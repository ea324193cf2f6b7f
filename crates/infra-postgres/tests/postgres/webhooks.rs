//! Webhooks: deliveries written with their notices, claimed by one worker at a time under a
//! lease, retried, and stopped by a 410.

use std::collections::HashSet;
use std::time::Duration;

use diesel_async::RunQueryDsl;
use domain::notice::{NoticeKind, NotificationData};
use domain::ports::{Sales, Webhooks};
use domain::webhook::{
    Attempted, CreateWebhookError, Delivery, DeliveryOutcome, NewWebhook, Webhook, WebhookSecret, WebhookUrl,
};
use domain::{CancelEvent, EventId, Limit, UserId};

use crate::helpers::Fixture;

async fn subscribe(
    fx: &Fixture,
    organizer: UserId,
    kinds: Option<Vec<NoticeKind>>,
    event: Option<EventId>,
) -> Webhook {
    let webhook =
        NewWebhook { organizer, url: WebhookUrl::parse("http://127.0.0.1:9/hook").unwrap(), kinds, event };
    fx.store.create_webhook(webhook, WebhookSecret::new(vec![7; 32]).unwrap()).await.unwrap()
}

/// Runs the relay until every committed notification is queued.
async fn queue(fx: &Fixture) {
    #[derive(diesel::QueryableByName)]
    struct Behind {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        behind: bool,
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        fx.store.queue_deliveries(1000).await.unwrap();
        let behind: Behind = diesel::sql_query(
            "SELECT (SELECT walked FROM outbox_relay) < COALESCE((SELECT max(id) FROM notifications), 0) AS behind",
        )
        .get_result(&mut fx.raw().await)
        .await
        .unwrap();
        if !behind.behind {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "the relay did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn attempted(delivery: &Delivery, outcome: DeliveryOutcome, retry_in: Option<Duration>) -> Attempted {
    Attempted { delivery: delivery.clone(), outcome, retry_in }
}

const NO_LEASE: Duration = Duration::ZERO;
const LONG_LEASE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_webhook_filtered_by_event_is_only_for_its_organizer() {
    let fx = Fixture::new().await;
    let [organizer, stranger] = fx.users(2).await[..] else { unreachable!() };
    let event = fx.event(organizer, 1).await;
    let url = WebhookUrl::parse("https://example.com/").unwrap();
    let secret = WebhookSecret::new(vec![1; 32]).unwrap();
    let theirs = NewWebhook { organizer: stranger, url: url.clone(), kinds: None, event: Some(event) };
    let refused = fx.store.create_webhook(theirs, secret.clone()).await;
    assert!(matches!(refused, Err(CreateWebhookError::NotOrganizer(e)) if e == event));
    let missing = EventId::new(event.get() + 1000).unwrap();
    let unknown = NewWebhook { organizer, url, kinds: None, event: Some(missing) };
    assert!(matches!(
        fx.store.create_webhook(unknown, secret).await,
        Err(CreateWebhookError::EventNotFound(_))
    ));
    assert_eq!(fx.store.webhooks(stranger).await.unwrap(), []);
}

#[tokio::test]
async fn a_notice_is_queued_for_every_matching_webhook_of_its_organizer_only() {
    let fx = Fixture::new().await;
    let [organizer, other, buyer] = fx.users(3).await[..] else { unreachable!() };
    let event = fx.event(organizer, 5).await;
    let elsewhere = fx.event(organizer, 5).await;
    let all = subscribe(&fx, organizer, None, None).await;
    let confirmations = subscribe(&fx, organizer, Some(vec![NoticeKind::BookingConfirmed]), None).await;
    let other_event = subscribe(&fx, organizer, None, Some(elsewhere)).await;
    let not_theirs = subscribe(&fx, other, None, None).await;

    fx.book(event, buyer).await;
    fx.set_limit(organizer, event, 6).await.unwrap();
    queue(&fx).await;

    let claimed = fx.store.claim_deliveries(100, LONG_LEASE).await.unwrap();
    let mut got: Vec<(i64, NoticeKind)> =
        claimed.iter().map(|d| (d.webhook.get(), d.notification.kind)).collect();
    got.sort_by_key(|&(w, k)| (w, k.as_str()));
    assert_eq!(
        got,
        [
            (all.id.get(), NoticeKind::BookingConfirmed),
            (all.id.get(), NoticeKind::EventUpdated),
            (confirmations.id.get(), NoticeKind::BookingConfirmed),
        ]
    );
    assert!(claimed.iter().all(|d| d.webhook != other_event.id && d.webhook != not_theirs.id));
    let update = claimed.iter().find(|d| d.notification.kind == NoticeKind::EventUpdated).unwrap();
    let NotificationData::Event(snapshot) = &update.notification.data else { panic!("{update:?}") };
    assert_eq!((snapshot.event.ticket_limit.get(), snapshot.tickets_available), (6, 5));
    assert_eq!(update.secret.as_bytes(), [7; 32]);
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_delivery() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 100).await;
    subscribe(&fx, organizer, None, None).await;
    for buyer in fx.users(60).await {
        fx.book(event, buyer).await;
    }
    queue(&fx).await;

    let workers: Vec<_> = (0..6)
        .map(|_| {
            let store = fx.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_deliveries(7, LONG_LEASE).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    mine.extend(batch.into_iter().map(|d| d.notification.id));
                }
            })
        })
        .collect();
    let mut seen = HashSet::new();
    let mut total = 0;
    for worker in workers {
        for id in worker.await.unwrap() {
            total += 1;
            assert!(seen.insert(id), "notification {id} claimed twice");
        }
    }
    assert_eq!(total, 60);
}

#[tokio::test]
async fn a_lapsed_lease_is_claimed_again_and_the_late_result_is_ignored() {
    let fx = Fixture::new().await;
    let [organizer, buyer] = fx.users(2).await[..] else { unreachable!() };
    let event = fx.event(organizer, 1).await;
    let webhook = subscribe(&fx, organizer, None, None).await;
    fx.book(event, buyer).await;
    queue(&fx).await;

    let first = fx.store.claim_deliveries(10, NO_LEASE).await.unwrap();
    assert_eq!(first.len(), 1);
    let second = fx.store.claim_deliveries(10, LONG_LEASE).await.unwrap();
    assert_eq!(second.len(), 1, "the first claimer's lease ran out");
    assert_eq!((first[0].attempt, second[0].attempt), (1, 2));
    assert_eq!(fx.store.claim_deliveries(10, LONG_LEASE).await.unwrap(), [], "leased");

    let late = DeliveryOutcome::Delivered { status: 200 };
    // The first claimer answers after its lease ran out: ignored.
    fx.store.record_attempts(&[attempted(&first[0], late, None)]).await.unwrap();
    assert_eq!(fx.store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.unwrap(), []);

    let failed = DeliveryOutcome::Failed { status: Some(500), error: "HTTP 500".to_owned() };
    fx.store
        .record_attempts(&[attempted(&second[0], failed, Some(Duration::from_millis(300)))])
        .await
        .unwrap();
    let log = fx.store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status_code, log[0].error.as_deref()), (Some(500), Some("HTTP 500")));
    assert!(log[0].next_attempt_at.is_some());
    assert_eq!(fx.store.claim_deliveries(10, LONG_LEASE).await.unwrap(), [], "not yet due");
    tokio::time::sleep(Duration::from_millis(400)).await;
    let third = fx.store.claim_deliveries(10, LONG_LEASE).await.unwrap();
    assert_eq!(third.iter().map(|d| d.attempt).collect::<Vec<_>>(), [3]);
    let delivered = attempted(&third[0], DeliveryOutcome::Delivered { status: 204 }, None);
    fx.store.record_attempts(&[delivered]).await.unwrap();
    let log = fx.store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.unwrap();
    assert_eq!(log.iter().map(|a| a.status_code).collect::<Vec<_>>(), [Some(204), Some(500)], "newest first");
    assert_eq!(log[0].next_attempt_at, None);
    assert_eq!(fx.store.backlog().await.unwrap().undelivered, 0);
}

#[tokio::test]
async fn a_gone_receiver_disables_its_webhook_and_gets_nothing_more() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 10).await;
    let webhook = subscribe(&fx, organizer, None, None).await;
    let buyers = fx.users(3).await;
    fx.book(event, buyers[0]).await;
    fx.book(event, buyers[1]).await;
    queue(&fx).await;
    assert_eq!(fx.store.backlog().await.unwrap().undelivered, 2);

    let claimed = fx.store.claim_deliveries(1, LONG_LEASE).await.unwrap();
    fx.store.record_attempts(&[attempted(&claimed[0], DeliveryOutcome::Gone, None)]).await.unwrap();

    fx.book(event, buyers[2]).await;
    fx.store.cancel_event(CancelEvent { caller: organizer, event }).await.unwrap();
    queue(&fx).await;
    assert_eq!(fx.store.backlog().await.unwrap().undelivered, 0);
    assert_eq!(fx.store.claim_deliveries(10, NO_LEASE).await.unwrap(), []);
    let listed = fx.store.webhooks(organizer).await.unwrap();
    assert!(listed[0].disabled_at.is_some());

    fx.store.delete_webhook(organizer, webhook.id).await.unwrap();
    assert!(fx.store.delete_webhook(organizer, webhook.id).await.is_err());
    assert!(fx.store.attempts(organizer, webhook.id, None, Limit::DEFAULT).await.is_err());
}

#[tokio::test]
async fn the_relay_queues_what_is_visible_at_once_and_a_late_commit_once_and_one_relay_at_a_time() {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};

    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let [first_event, other_event] = [fx.event(organizer, 10).await, fx.event(organizer, 10).await];
    let [early, late] = fx.users(2).await[..] else { unreachable!() };
    subscribe(&fx, organizer, None, None).await;

    let mut open = fx.booking_left_open(first_event, early).await;
    fx.book(other_event, late).await;
    assert_eq!(fx.store.queue_deliveries(100).await.unwrap(), Some(1), "what is visible is queued at once");

    // While one relay holds its place, another returns at once.
    let mut holder = diesel_async::AsyncPgConnection::establish(fx.db.url()).await.unwrap();
    holder.batch_execute("BEGIN; SELECT * FROM outbox_relay FOR UPDATE").await.unwrap();
    assert_eq!(fx.store.queue_deliveries(100).await.unwrap(), None);
    holder.batch_execute("ROLLBACK").await.unwrap();

    open.batch_execute("COMMIT").await.unwrap();
    assert_eq!(fx.store.queue_deliveries(100).await.unwrap(), Some(1), "the late commit below it, now");
    assert_eq!(fx.store.queue_deliveries(100).await.unwrap(), Some(0), "each queued once");
    let claimed = fx.store.claim_deliveries(10, LONG_LEASE).await.unwrap();
    let mut holders: Vec<Option<UserId>> = claimed.iter().map(|d| d.notification.recipient()).collect();
    holders.sort();
    assert_eq!(holders, [Some(early), Some(late)]);
}
