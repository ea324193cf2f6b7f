use std::sync::Arc;
use std::time::Duration;

use domain::idempotency::{
    Answerer, Attempt, Claim, Effect, Fingerprint, IdempotencyKey, IdempotencyScope, IdempotentRequest,
    Requester, StoredAnswer,
};
use domain::ports::{Idempotency, Sales};
use domain::{BookTicket, BoxError, RepoError, UserId};
use infra_postgres::idempotent_within;

use crate::helpers::Fixture;

pub const LEASE: Duration = Duration::from_secs(60);

pub fn request(user: UserId, key: &str, what: u8) -> IdempotentRequest {
    IdempotentRequest {
        requester: Requester::user(user),
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: Fingerprint::new([what; 32]),
    }
}

pub async fn fresh(fx: &Fixture, request: IdempotentRequest, lease: Duration) -> Attempt {
    match fx.store.claim(request, lease).await.unwrap() {
        Claim::Fresh(attempt) => attempt,
        other => panic!("{other:?}"),
    }
}

/// Answers a booking with its status word, as a renderer would.
pub struct Words;

impl Answerer for Words {
    fn answer(&self, effect: Effect<'_>) -> Result<StoredAnswer, BoxError> {
        match effect {
            Effect::Booked(outcome) => {
                Ok(StoredAnswer { status: 201, body: format!("{outcome:?}").into_bytes() })
            }
            _ => Err("not a booking".into()),
        }
    }
}

#[tokio::test]
async fn a_key_goes_to_one_attempt_and_is_answered_refused_or_given_back() {
    let fx = Fixture::new().await;
    let user = fx.user("jane").await;

    let attempt = fresh(&fx, request(user, "k", 1), LEASE).await;
    assert_eq!(fx.store.claim(request(user, "k", 1), LEASE).await.unwrap(), Claim::InFlight);
    assert_eq!(fx.store.claim(request(user, "k", 2), LEASE).await.unwrap(), Claim::Reused);
    let other_user = fx.user("john").await;
    fresh(&fx, request(other_user, "k", 1), LEASE).await;

    let answer = StoredAnswer { status: 404, body: b"{}".to_vec() };
    fx.store.finish(attempt, Some(answer.clone())).await.unwrap();
    assert_eq!(fx.store.claim(request(user, "k", 1), LEASE).await.unwrap(), Claim::Replay(answer));

    let given_back = fresh(&fx, request(user, "back", 1), LEASE).await;
    fx.store.finish(given_back, None).await.unwrap();
    fresh(&fx, request(user, "back", 1), LEASE).await;
}

#[tokio::test]
async fn an_attempt_past_its_lease_is_taken_over_and_can_no_longer_answer() {
    let fx = Fixture::new().await;
    let user = fx.user("jane").await;

    let first = fresh(&fx, request(user, "k", 1), Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = fresh(&fx, request(user, "k", 1), LEASE).await;
    assert_ne!(first.id, second.id);

    fx.store.finish(first, Some(StoredAnswer { status: 200, body: b"late".to_vec() })).await.unwrap();
    assert_eq!(
        fx.store.claim(request(user, "k", 1), LEASE).await.unwrap(),
        Claim::InFlight,
        "the late answer was not taken"
    );
}

#[tokio::test]
async fn a_booking_under_a_scope_stores_its_answer_in_its_own_transaction() {
    let fx = Fixture::new().await;
    let (user, organizer) = (fx.user("jane").await, fx.user("org").await);
    let event = fx.event(organizer, 3).await;
    let attempt = fresh(&fx, request(user, "book", 1), LEASE).await;
    let scope = Arc::new(IdempotencyScope::new(attempt, Arc::new(Words)));

    let booked =
        idempotent_within(Arc::clone(&scope), fx.store.book(BookTicket::new(user, event, None).unwrap()))
            .await
            .unwrap();

    let stored = scope.stored().expect("the adapter recorded what it stored");
    assert_eq!(stored.body, format!("{booked:?}").into_bytes());
    assert_eq!(fx.store.claim(request(user, "book", 1), LEASE).await.unwrap(), Claim::Replay(stored));
}

#[tokio::test]
async fn an_effect_whose_attempt_lost_its_key_is_rolled_back() {
    let fx = Fixture::new().await;
    let (user, organizer) = (fx.user("jane").await, fx.user("org").await);
    let event = fx.event(organizer, 3).await;
    let stale = fresh(&fx, request(user, "book", 1), Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    fresh(&fx, request(user, "book", 1), LEASE).await;
    let scope = Arc::new(IdempotencyScope::new(stale, Arc::new(Words)));

    let refused =
        idempotent_within(Arc::clone(&scope), fx.store.book(BookTicket::new(user, event, None).unwrap()))
            .await;

    assert!(matches!(refused, Err(domain::BookError::Repo(RepoError::Unavailable(_)))), "{refused:?}");
    assert_eq!(scope.stored(), None);
    fx.assert_invariants().await;
    let outcome = fx.book(event, user).await;
    assert!(matches!(outcome, domain::BookingOutcome::Confirmed(_)), "no seat was taken: {outcome:?}");
}

#[tokio::test]
async fn keys_past_their_keeping_time_are_forgotten() {
    let fx = Fixture::new().await;
    let user = fx.user("jane").await;
    fresh(&fx, request(user, "old", 1), LEASE).await;
    fresh(&fx, request(user, "new", 1), LEASE).await;
    let mut conn = fx.raw().await;
    diesel_async::SimpleAsyncConnection::batch_execute(
        &mut conn,
        "UPDATE idempotency_keys SET created_at = now() - interval '2 days' WHERE key = 'old'",
    )
    .await
    .unwrap();

    assert_eq!(fx.store.forget_older_than(Duration::from_secs(86_400)).await.unwrap(), 1);
    fresh(&fx, request(user, "old", 1), LEASE).await;
    assert_eq!(fx.store.claim(request(user, "new", 1), LEASE).await.unwrap(), Claim::InFlight);
}
