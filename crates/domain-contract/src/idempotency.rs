//! [`domain::ports::Idempotency`], and the answers the effect-making ports store with their
//! effects under an [`IdempotencyScope`].

use std::sync::Arc;
use std::time::Duration;

use domain::idempotency::{
    Answerer, Attempt, Claim, Effect, Fingerprint, IdempotencyKey, IdempotencyScope, IdempotentRequest,
    Requester, StoredAnswer,
};
use domain::ports::{Catalog as _, Idempotency as _, Sales as _};
use domain::{BookError, BoxError, RepoError, UserId};

use crate::fixtures::{book, bookings, event, new_event, user};
use domain::ports::Store;

use crate::Adapter;

const LEASE: Duration = Duration::from_secs(15);

fn request(key: &str, body: u8) -> IdempotentRequest {
    IdempotentRequest {
        requester: Requester::user(UserId::new(1).unwrap()),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: Fingerprint::new([body; 32]),
    }
}

fn answer(text: &str) -> StoredAnswer {
    StoredAnswer { status: 201, body: text.as_bytes().to_vec() }
}

/// Answers an effect with its debug text, so that answers to different effects differ.
struct Echo;

impl Answerer for Echo {
    fn answer(&self, effect: Effect<'_>) -> Result<StoredAnswer, BoxError> {
        Ok(answer(&format!("{effect:?}")))
    }
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

    assert_eq!(store.claim(request("k", 1), LEASE).await.unwrap(), Claim::Replay(answer("done")));
    assert_eq!(store.claim(request("k", 2), LEASE).await.unwrap(), Claim::Reused, "another body");
    assert!(matches!(store.claim(request("other", 1), LEASE).await.unwrap(), Claim::Fresh(_)));
}

pub async fn a_key_whose_lease_ran_out_is_claimed_again<A: Adapter>() {
    let (store, _keep) = A::setup().await;

    let first = fresh(&store, request("k", 1), Duration::from_millis(50)).await;
    let meanwhile = store.claim(request("k", 1), LEASE).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let second = fresh(&store, request("k", 1), LEASE).await;
    store.finish(first.clone(), Some(answer("late"))).await.unwrap();
    store.finish(second.clone(), Some(answer("done"))).await.unwrap();

    assert_eq!(meanwhile, Claim::InFlight);
    assert_ne!(first.id, second.id);
    assert_eq!(store.claim(request("k", 1), LEASE).await.unwrap(), Claim::Replay(answer("done")));
}

pub async fn an_effect_stores_its_answer_with_it<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let attempt = fresh(&store, request("create", 1), LEASE).await;
    let scope = Arc::new(IdempotencyScope::new(attempt, Arc::new(Echo)));

    let created =
        A::within(Arc::clone(&scope), store.create_event(new_event(organizer, 1, "2027-05-20", "Keyed")))
            .await
            .unwrap();
    let booking_attempt = fresh(&store, request("book", 1), LEASE).await;
    let booking_scope = Arc::new(IdempotencyScope::new(booking_attempt, Arc::new(Echo)));
    let booked =
        A::within(Arc::clone(&booking_scope), store.book(book(organizer, created.id))).await.unwrap();

    let stored = scope.stored().expect("the answer was stored with the event");
    assert_eq!(stored, answer(&format!("{:?}", Effect::EventCreated(&created))));
    assert_eq!(store.claim(request("create", 1), LEASE).await.unwrap(), Claim::Replay(stored));
    let stored = booking_scope.stored().expect("the answer was stored with the booking");
    assert_eq!(stored, answer(&format!("{:?}", Effect::Booked(&booked))));
    assert_eq!(store.claim(request("book", 1), LEASE).await.unwrap(), Claim::Replay(stored));
}

pub async fn an_effect_whose_attempt_lost_its_key_is_not_made<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 5).await;
    let lost = fresh(&store, request("book", 1), Duration::from_millis(50)).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let retry = fresh(&store, request("book", 1), LEASE).await;

    let late =
        A::within(Arc::new(IdempotencyScope::new(lost, Arc::new(Echo))), store.book(book(organizer, event)))
            .await;
    let nothing_written = bookings(&store, event).await.is_empty();
    let scope = Arc::new(IdempotencyScope::new(retry, Arc::new(Echo)));
    let made = A::within(Arc::clone(&scope), store.book(book(organizer, event))).await;

    assert!(matches!(late, Err(BookError::Repo(RepoError::Unavailable(_)))), "{late:?}");
    assert!(nothing_written, "the late attempt's booking was rolled back");
    assert!(made.is_ok(), "{made:?}");
    assert!(scope.stored().is_some());
}

pub async fn old_keys_are_forgotten<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let first = fresh(&store, request("a", 1), LEASE).await;
    store.finish(first, Some(answer("done"))).await.unwrap();
    fresh(&store, request("b", 1), LEASE).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    fresh(&store, request("c", 1), LEASE).await;

    let forgotten = store.forget_older_than(Duration::from_millis(50)).await.unwrap();

    assert_eq!(forgotten, 2);
    assert!(matches!(store.claim(request("a", 1), LEASE).await.unwrap(), Claim::Fresh(_)));
    assert_eq!(store.claim(request("c", 1), LEASE).await.unwrap(), Claim::InFlight);
}
