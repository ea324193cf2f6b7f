//! What the group-commit tests need to run keyed bookings (the idempotency port's own
//! promises are the contract's, `contract.rs`).

use std::time::Duration;

use domain::UserId;
use domain::idempotency::{Attempt, Claim, Fingerprint, IdempotencyKey, IdempotentRequest, Requester};
use domain::ports::Idempotency;

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
