//! [`domain::ports::Idempotency`], and the effects the effect-making ports store under the
//! attempt they are handed.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use domain::idempotency::{
    Attempt, Claim, Effect, Fingerprint, IdempotencyKey, IdempotentRequest, Recorded, Requester,
};
use domain::ports::{
    Catalog as _, Idempotency as _, Sales as _, Sessions as _, Store, Users as _, Webhooks as _,
};
use domain::session::{IssuedToken, TokenId};
use domain::webhook::{NewWebhook, WebhookSecret, WebhookUrl};
use domain::{
    BookError, CancelBooking, CancelEvent, CancelTarget, ChangeEvent, EventChanges, PasswordHash, RepoError,
    TicketLimit, UserId,
};

use crate::Adapter;
use crate::fixtures::{book, bookings, event, new_event, new_user, user};

const LEASE: Duration = Duration::from_secs(15);

fn request(key: &str, body: u8) -> IdempotentRequest {
    IdempotentRequest {
        requester: Requester::user(UserId::new(1).unwrap()),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: Fingerprint::new([body; 32]),
    }
}

fn answer(text: &str) -> Vec<u8> {
    text.as_bytes().to_vec()
}

fn verbatim(text: &str) -> Claim {
    Claim::Replay(Recorded::Verbatim(answer(text)))
}

async fn fresh(store: &impl Store, request: IdempotentRequest, lease: Duration) -> Attempt {
    match store.claim(request, lease).await.unwrap() {
        Claim::Fresh(attempt) => attempt,
        other => panic!("expected a fresh claim, got {other:?}"),
    }
}

pub async fn a_key_goes_to_one_attempt_at_a_time<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.claim(request("k", 1), LEASE).await })
        })
        .collect();
    let mut fresh = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Claim::Fresh(_) => fresh += 1,
            Claim::InFlight => {}
            other => panic!("{other:?}"),
        }
    }

    assert_eq!(fresh, 1);
}

pub async fn a_key_given_back_is_claimed_again_and_an_answered_one_replays<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let first = fresh(&store, request("k", 1), LEASE).await;
    store.finish(first.clone(), None).await.unwrap();
    let second = fresh(&store, request("k", 1), LEASE).await;
    store.finish(second, Some(answer("done"))).await.unwrap();
    store.finish(first, Some(answer("stale"))).await.unwrap();

    assert_eq!(store.claim(request("k", 1), LEASE).await.unwrap(), verbatim("done"));
    assert_eq!(store.claim(request("k", 2), LEASE).await.unwrap(), Claim::Reused, "another body");
    assert!(matches!(store.claim(request("other", 1), LEASE).await.unwrap(), Claim::Fresh(_)));
}

/// A lease of zero has run out by the next call: the lapse is made, not waited for.
const LAPSED: Duration = Duration::ZERO;

pub async fn a_key_whose_lease_ran_out_is_claimed_again<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    fresh(&store, request("held", 1), LEASE).await;
    let meanwhile = store.claim(request("held", 1), LEASE).await.unwrap();
    let first = fresh(&store, request("k", 1), LAPSED).await;
    let second = fresh(&store, request("k", 1), LEASE).await;
    store.finish(first.clone(), Some(answer("late"))).await.unwrap();
    store.finish(second.clone(), Some(answer("done"))).await.unwrap();

    assert_eq!(meanwhile, Claim::InFlight);
    assert_ne!(first.id, second.id);
    assert_eq!(store.claim(request("k", 1), LEASE).await.unwrap(), verbatim("done"));
}

/// Claims `key` afresh, for an effect to be made under it.
async fn keyed(store: &impl Store, key: &str) -> Option<Attempt> {
    Some(fresh(store, request(key, 1), LEASE).await)
}

/// What claiming `key` again finds: the effect stored with it.
async fn replayed(store: &impl Store, key: &str) -> Effect {
    match store.claim(request(key, 1), LEASE).await.unwrap() {
        Claim::Replay(Recorded::Effect(effect)) => effect,
        other => panic!("{key}: expected the stored effect, got {other:?}"),
    }
}

pub async fn every_effect_is_stored_with_it_as_it_was_returned<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let buyer = user(&store, "buyer").await;

    let registered = store.create_user(new_user("newcomer"), keyed(&store, "register").await).await.unwrap();
    let created = store
        .create_event(new_event(organizer, 1, "2027-05-20", "Keyed"), keyed(&store, "create").await)
        .await;
    let created = created.unwrap();
    let booked = store.book(book(buyer, created.id), keyed(&store, "book").await).await.unwrap();
    let waiting = store.book(book(registered.id, created.id), keyed(&store, "wait").await).await.unwrap();
    let raise = EventChanges { ticket_limit: TicketLimit::new(2).ok(), ..EventChanges::default() };
    let changed = store
        .change_event(
            ChangeEvent { caller: organizer, event: created.id, changes: raise },
            keyed(&store, "raise").await,
        )
        .await
        .unwrap();
    let cancel = CancelBooking { caller: buyer, target: CancelTarget::Booking(booked.booking().id) };
    let cancelled = store.cancel(cancel, keyed(&store, "cancel").await).await.unwrap();
    let called_off = store
        .cancel_event(CancelEvent { caller: organizer, event: created.id }, keyed(&store, "call-off").await)
        .await
        .unwrap();
    let signed_in = store
        .change_password(buyer, PasswordHash::new("new-hash".to_owned()), keyed(&store, "password").await)
        .await
        .unwrap()
        .unwrap();
    let token = IssuedToken {
        id: TokenId::from_bits(42),
        user: buyer,
        generation: signed_in.token_generation,
        expires_at: Utc::now() + TimeDelta::hours(1),
    };
    store.revoke(token, keyed(&store, "logout").await).await.unwrap();
    let url = WebhookUrl::parse("http://127.0.0.1:9/hook").unwrap();
    let secret = WebhookSecret::new(vec![5; 32]).unwrap();
    let webhook = NewWebhook { organizer, url, kinds: None, event: None };
    let subscribed = store
        .create_webhook(webhook, secret.clone(), crate::webhooks::roomy(), keyed(&store, "webhook").await)
        .await
        .unwrap();

    assert_eq!(replayed(&store, "register").await, Effect::Registered(registered));
    assert_eq!(replayed(&store, "create").await, Effect::EventCreated(created));
    assert_eq!(replayed(&store, "book").await, Effect::Booked(booked));
    assert_eq!(replayed(&store, "wait").await, Effect::Booked(waiting));
    assert_eq!(replayed(&store, "raise").await, Effect::EventChanged(changed));
    assert_eq!(replayed(&store, "cancel").await, Effect::Cancelled(cancelled));
    assert_eq!(replayed(&store, "call-off").await, Effect::EventCalledOff(called_off));
    assert_eq!(replayed(&store, "password").await, Effect::PasswordChanged(signed_in));
    assert_eq!(replayed(&store, "logout").await, Effect::LoggedOut);
    assert_eq!(replayed(&store, "webhook").await, Effect::WebhookCreated(subscribed, Some(secret)));
}

pub async fn a_replayed_webhook_creation_reads_its_secret_from_the_webhook<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let secret = WebhookSecret::new(vec![9; 32]).unwrap();
    let webhook = NewWebhook {
        organizer,
        url: WebhookUrl::parse("https://example.com/hook").unwrap(),
        kinds: None,
        event: None,
    };
    let created = store
        .create_webhook(webhook, secret.clone(), crate::webhooks::roomy(), keyed(&store, "webhook").await)
        .await
        .unwrap();

    let while_it_exists = replayed(&store, "webhook").await;
    store.delete_webhook(organizer, created.id).await.unwrap();
    let once_deleted = replayed(&store, "webhook").await;

    assert_eq!(while_it_exists, Effect::WebhookCreated(created.clone(), Some(secret)));
    assert_eq!(once_deleted, Effect::WebhookCreated(created, None), "the key kept no secret of its own");
}

pub async fn an_effect_whose_attempt_lost_its_key_is_not_made<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 5).await;
    let lost = fresh(&store, request("book", 1), LAPSED).await;
    let retry = fresh(&store, request("book", 1), LEASE).await;

    let late = store.book(book(organizer, event), Some(lost.clone())).await;
    let nothing_written = bookings(&store, event).await.is_empty();
    let late_account = store.create_user(new_user("late"), Some(lost)).await;
    let made = store.book(book(organizer, event), Some(retry)).await;

    assert!(matches!(late, Err(BookError::Repo(RepoError::Unavailable(_)))), "{late:?}");
    assert!(nothing_written, "the late attempt's booking was rolled back");
    assert!(late_account.is_err(), "{late_account:?}");
    assert!(store.credentials(new_user("late").email).await.unwrap().is_none(), "no account was made");
    let made = made.unwrap();
    assert_eq!(replayed(&store, "book").await, Effect::Booked(made));
}

/// Keys are forgotten by age, so the check makes an age gap: `a` and `b` a second older than
/// `c`, and a cut-off half a second past `c`'s age, which holds however slowly the calls run
/// unless the last one alone takes half a second.
pub async fn old_keys_are_forgotten<A: Adapter>() {
    const GAP: Duration = Duration::from_secs(1);
    let (store, _keep) = A::setup().await;
    let first = fresh(&store, request("a", 1), LEASE).await;
    store.finish(first, Some(answer("done"))).await.unwrap();
    fresh(&store, request("b", 1), LEASE).await;
    tokio::time::sleep(GAP).await;
    let before_c = std::time::Instant::now();
    fresh(&store, request("c", 1), LEASE).await;

    let forgotten = store.forget_older_than(before_c.elapsed() + GAP / 2).await.unwrap();

    assert_eq!(forgotten, 2);
    assert!(matches!(store.claim(request("a", 1), LEASE).await.unwrap(), Claim::Fresh(_)));
    assert_eq!(store.claim(request("c", 1), LEASE).await.unwrap(), Claim::InFlight);
}
