//! The relay between the outbox and the webhooks queue under PostgreSQL's commit order (the
//! rest of the webhooks port is the contract's, `contract.rs`).

use std::time::Duration;

use domain::UserId;
use domain::ports::Webhooks;

use crate::helpers::Fixture;

const LONG_LEASE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_relay_queues_what_is_visible_at_once_and_a_late_commit_once_and_one_relay_at_a_time() {
    use diesel_async::{AsyncConnection, SimpleAsyncConnection};

    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let [first_event, other_event] = [fx.event(organizer, 10).await, fx.event(organizer, 10).await];
    let [early, late] = fx.users(2).await[..] else { unreachable!() };
    domain_contract::webhooks::subscribe(&fx.store, organizer, None, None).await;

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
    let claimed =
        fx.store.claim_deliveries(10, domain_contract::webhooks::UNBOUNDED, LONG_LEASE).await.unwrap();
    let mut holders: Vec<Option<UserId>> = claimed.iter().map(|d| d.notification.recipient()).collect();
    holders.sort();
    assert_eq!(holders, [Some(early), Some(late)]);
}

/// The idempotency table keeps no webhook secret: the key's effect is the webhook's row alone,
/// and the replay reads the secret from `webhooks` (the contract checks that part).
#[tokio::test]
async fn a_keyed_webhook_creation_keeps_no_secret_with_its_key() {
    use diesel::sql_types::Text;
    use diesel_async::RunQueryDsl;
    use domain::webhook::{NewWebhook, WebhookSecret, WebhookUrl};

    #[derive(diesel::QueryableByName)]
    struct Kept {
        #[diesel(sql_type = Text)]
        effect: String,
    }

    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let attempt =
        crate::idempotency::fresh(&fx, crate::idempotency::request(organizer, "hook", 1), LONG_LEASE).await;
    let webhook = NewWebhook {
        organizer,
        url: WebhookUrl::parse("https://example.com/hook").unwrap(),
        kinds: None,
        event: None,
    };
    let secret = WebhookSecret::new(vec![42; 32]).unwrap();
    fx.store
        .create_webhook(webhook, secret, domain_contract::webhooks::roomy(), Some(attempt))
        .await
        .unwrap();

    let kept: Kept = diesel::sql_query("SELECT effect::text AS effect FROM idempotency_keys")
        .get_result(&mut fx.raw().await)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_str(&kept.effect).unwrap();
    assert_eq!(json["effect"], "webhook_created", "{json}");
    assert!(json.get("secret").is_none(), "{json}");
    assert!(!kept.effect.contains("42,42"), "the secret's bytes, as serde writes them: {json}");
}

/// The cap holds across instances: creations from two stores (two pools, as two server
/// processes have) at once never leave an organizer with more webhooks than it allows. The
/// organizer's row lock is what makes them take turns; without it most of them get in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_creating_at_once_never_exceed_the_cap_together() {
    use domain::webhook::{CreateWebhookError, NewWebhook, WebhookCap, WebhookSecret, WebhookUrl};
    use infra_postgres::PgStore;

    use crate::helpers::{number, wide_pool};

    let fx = Fixture::with_pool(wide_pool()).await;
    let other = PgStore::new(fx.db.pool_with(&wide_pool()));
    let organizer = fx.user("organizer").await;
    let cap = WebhookCap::new(5).unwrap();

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(32));
    let racing: Vec<_> = (0..32)
        .map(|i| {
            let store = if i % 2 == 0 { fx.store.clone() } else { other.clone() };
            let start = std::sync::Arc::clone(&start);
            let webhook = NewWebhook {
                organizer,
                url: WebhookUrl::parse(&format!("https://example.com/{i}")).unwrap(),
                kinds: None,
                event: None,
            };
            tokio::spawn(async move {
                start.wait().await;
                store.create_webhook(webhook, WebhookSecret::new(vec![1; 32]).unwrap(), cap, None).await
            })
        })
        .collect();
    let mut created = 0;
    for task in racing {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(CreateWebhookError::CapReached(_)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }

    assert_eq!(created, 5);
    assert_eq!(number(&mut fx.raw().await, "SELECT count(*) AS n FROM webhooks").await, 5);
}

/// The shares hold across instances: claims from two stores at once never put more of one
/// organizer's deliveries in flight than the bound allows. Two things make it so: every claim
/// ranks the same rows first and skips what another holds (and re-checks, once it holds a row,
/// that the row is still due), and claims take turns (an advisory lock), so that a claim whose
/// snapshot predates another's commit cannot count that one's rows as free. Removing the lock
/// alone does not fail this test: the first keeps these interleavings within the share.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn claims_on_two_instances_at_once_keep_each_organizer_to_its_share() {
    use domain::ports::Sales;
    use domain::webhook::ClaimBounds;
    use infra_postgres::PgStore;

    use crate::helpers::wide_pool;

    let fx = Fixture::with_pool(wide_pool()).await;
    let other = PgStore::new(fx.db.pool_with(&wide_pool()));
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 100).await;
    domain_contract::webhooks::subscribe(&fx.store, organizer, None, None).await;
    domain_contract::webhooks::subscribe(&fx.store, organizer, None, None).await;
    for buyer in fx.users(20).await {
        fx.store.book(domain_contract::fixtures::book(buyer, event), None).await.unwrap();
    }
    domain_contract::webhooks::queue(&fx.store).await;
    let bounds = ClaimBounds { per_webhook: 4, per_organizer: 6 };

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(16));
    let claims: Vec<_> = (0..16)
        .map(|i| {
            let store = if i % 2 == 0 { fx.store.clone() } else { other.clone() };
            let start = std::sync::Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                store.claim_deliveries(100, bounds, LONG_LEASE).await.unwrap().len()
            })
        })
        .collect();
    let mut claimed = 0;
    for claim in claims {
        claimed += claim.await.unwrap();
    }

    assert_eq!(claimed, 6, "the organizer's share, whoever claimed it");
}

/// A breaker moves by every recorded failure, whichever instance records it: recorders lock
/// the webhook's row and take turns, so that none overwrites another's count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recorders_on_two_instances_count_every_failure_of_a_webhook() {
    use domain::ports::Sales;
    use domain::webhook::{Attempted, DeliveryError, DeliveryOutcome};
    use infra_postgres::PgStore;

    use crate::helpers::wide_pool;

    let fx = Fixture::with_pool(wide_pool()).await;
    let other = PgStore::new(fx.db.pool_with(&wide_pool()));
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 100).await;
    let webhook = domain_contract::webhooks::subscribe(&fx.store, organizer, None, None).await;
    for buyer in fx.users(24).await {
        fx.store.book(domain_contract::fixtures::book(buyer, event), None).await.unwrap();
    }
    domain_contract::webhooks::queue(&fx.store).await;
    let claimed =
        fx.store.claim_deliveries(100, domain_contract::webhooks::UNBOUNDED, LONG_LEASE).await.unwrap();
    assert_eq!(claimed.len(), 24);

    let start = std::sync::Arc::new(tokio::sync::Barrier::new(claimed.len()));
    let recorders: Vec<_> = claimed
        .into_iter()
        .enumerate()
        .map(|(i, delivery)| {
            let store = if i % 2 == 0 { fx.store.clone() } else { other.clone() };
            let start = std::sync::Arc::clone(&start);
            tokio::spawn(async move {
                let outcome = DeliveryOutcome::Failed {
                    error: DeliveryError::Timeout,
                    status: None,
                    detail: String::new(),
                };
                let attempted = Attempted { delivery, outcome, retry_in: Some(Duration::from_secs(60)) };
                start.wait().await;
                store.record_attempts(&[attempted], domain_contract::webhooks::LENIENT).await.unwrap();
            })
        })
        .collect();
    for recorder in recorders {
        recorder.await.unwrap();
    }

    let listed = fx.store.webhooks(organizer).await.unwrap();
    assert_eq!(listed.iter().find(|w| w.id == webhook.id).unwrap().failures, 24);
}
