//! Keys of retried writes. A port method that makes an effect is handed the request's attempt
//! and stores the effect with it in the effect's own transaction ([`answered_transaction!`],
//! [`store_effects`]), refusing — and so rolling the effect back — when the attempt no longer
//! holds its key. Without an attempt nothing changes: the booking fast path stays one
//! statement.

use std::time::Duration;

use diesel_async::AsyncPgConnection;
use domain::RepoError;
use domain::idempotency::{Attempt, Claim, Effect, IdempotentRequest, KeyTakenOver, Recorded};
use domain::ports::Idempotency;
use domain::webhook::WebhookSecret;

use super::PgStore;
use crate::error::{corrupt_row, from_diesel};
use crate::queries::idempotency::{self as keys, KeptEffect, KeyName};
use crate::queries::webhooks;
use crate::rows::{decode_effect, encode_effect};

/// A transaction on `$conn` (error type `TxError<$error>`) that makes an effect — `$work`, an
/// expression over the transaction's connection `$c` — and, when `$key` (an
/// `Option<&Attempt>`) holds an attempt, stores `$effect` (a function from the effect's value
/// to its [`Effect`]) under it in the same transaction. Evaluates to `Result<value, $error>`.
/// A macro rather than a function: a helper generic over the async closure would need
/// diesel-async's unexported `AsyncFunc` bound to prove the transaction's future `Send`.
macro_rules! answered_transaction {
    ($conn:expr, $error:ty, $key:expr, |$c:ident| $work:expr, $effect:expr) => {
        $conn
            .transaction(async |$c| -> Result<_, $crate::error::TxError<$error>> {
                let value = $work;
                if let Some(attempt) = $key {
                    $crate::store::idempotency::store_effect($c, attempt, &($effect)(value.clone()))
                        .await
                        .map_err($crate::error::TxError::stored)?;
                }
                Ok(value)
            })
            .await
            .map_err($crate::error::TxError::settle)
    };
}
pub(crate) use answered_transaction;

/// Inside an effect's transaction: stores `effect` under `attempt`.
///
/// # Errors
/// [`RepoError::Unavailable`] ([`KeyTakenOver`]) when the attempt no longer holds its key (its
/// lease ran out and a retry took over): the caller rolls the effect back, the retry makes it.
/// A database error as such.
pub(crate) async fn store_effect(
    conn: &mut AsyncPgConnection,
    attempt: &Attempt,
    effect: &Effect,
) -> Result<(), RepoError> {
    match store_effects(conn, &[(attempt, effect)]).await?.as_slice() {
        [true] => Ok(()),
        _ => Err(RepoError::Unavailable(Box::new(KeyTakenOver))),
    }
}

/// [`store_effect`] for many attempts, in one statement (a batch stores for the requests in
/// it); for each, whether its attempt still held the key.
///
/// # Errors
/// A database error.
pub(crate) async fn store_effects(
    conn: &mut AsyncPgConnection,
    effects: &[(&Attempt, &Effect)],
) -> Result<Vec<bool>, RepoError> {
    if effects.is_empty() {
        return Ok(Vec::new());
    }
    let rows = effects
        .iter()
        .map(|(attempt, effect)| {
            Ok(KeptEffect {
                name: name(attempt),
                attempt: attempt_id(attempt),
                effect: encode_effect(effect)?,
            })
        })
        .collect::<Result<Vec<_>, RepoError>>()?;
    keys::store_effects(conn, &rows).await.map_err(from_diesel)
}

fn name(attempt: &Attempt) -> KeyName<'_> {
    KeyName { requester: attempt.requester.as_str(), key: attempt.key.as_str() }
}

fn attempt_id(attempt: &Attempt) -> String {
    format!("{:032x}", attempt.id)
}

impl Idempotency for PgStore {
    async fn claim(&self, request: IdempotentRequest, lease: Duration) -> Result<Claim, RepoError> {
        let attempt = Attempt { requester: request.requester, key: request.key, id: random_bits()? };
        let fingerprint = request.fingerprint.bytes().as_slice();
        let (name, id) = (name(&attempt), attempt_id(&attempt));
        let (claimed, held) = self
            .write(async |conn| {
                if keys::claim(conn, &name, fingerprint, &id, lease).await.map_err(from_diesel)? {
                    return Ok((true, None));
                }
                Ok::<_, RepoError>((false, keys::held(conn, &name, fingerprint).await.map_err(from_diesel)?))
            })
            .await?;
        if claimed {
            return Ok(Claim::Fresh(attempt));
        }
        // Released between the two statements: the retry that comes next will find it free.
        let Some(held) = held else { return Ok(Claim::InFlight) };
        Ok(match held {
            _ if !held.same_request => Claim::Reused,
            keys::HeldRow { effect: Some(effect), .. } => {
                Claim::Replay(Recorded::Effect(self.with_secret(decode_effect(&effect)?).await?))
            }
            keys::HeldRow { verbatim: Some(answer), .. } => Claim::Replay(Recorded::Verbatim(answer)),
            _ => Claim::InFlight,
        })
    }

    async fn finish(&self, attempt: Attempt, answer: Option<Vec<u8>>) -> Result<(), RepoError> {
        let id = attempt_id(&attempt);
        let name = name(&attempt);
        self.write(async |conn| {
            match &answer {
                Some(answer) => keys::keep_verbatim(conn, &name, &id, answer).await.map(drop),
                None => keys::release(conn, &name, &id).await.map(drop),
            }
            .map_err(from_diesel)
        })
        .await?;
        Ok(())
    }

    async fn forget_older_than(&self, kept: Duration) -> Result<u64, RepoError> {
        let forgotten =
            self.write(async |conn| keys::forget_older_than(conn, kept).await.map_err(from_diesel)).await?;
        Ok(u64::try_from(forgotten).unwrap_or(u64::MAX))
    }
}

impl PgStore {
    /// A replayed webhook creation with the secret its webhook holds now, none once it is
    /// deleted: the key keeps no secret, only the webhooks table does (it must, to sign).
    async fn with_secret(&self, effect: Effect) -> Result<Effect, RepoError> {
        let Effect::WebhookCreated(webhook, _) = effect else { return Ok(effect) };
        let (id, organizer) = (webhook.id, webhook.organizer);
        let secret =
            self.write(async |conn| webhooks::secret(conn, id, organizer).await.map_err(from_diesel)).await?;
        let secret = secret.map(WebhookSecret::new).transpose().map_err(corrupt_row)?;
        Ok(Effect::WebhookCreated(webhook, secret))
    }
}

/// 128 random bits for an attempt's id.
fn random_bits() -> Result<u128, RepoError> {
    let mut bytes = [0_u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| RepoError::Internal(Box::new(e)))?;
    Ok(u128::from_le_bytes(bytes))
}
