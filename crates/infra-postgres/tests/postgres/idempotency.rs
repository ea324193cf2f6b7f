//! What the group-commit tests need to run keyed bookings (the idempotency port's own
//! promises are the contract's, `contract.rs`).

use std::time::Duration;

use domain::idempotency::{
    Answerer, Attempt, Claim, Effect, Fingerprint, IdempotencyKey, IdempotentRequest, Requester, StoredAnswer,
};
use domain::ports::Idempotency;
use domain::{BoxError, UserId};

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
