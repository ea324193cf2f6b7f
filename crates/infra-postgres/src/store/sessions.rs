//! Revocations in PostgreSQL: logouts in `revoked_tokens`, password changes as the users' token
//! generations, and every one announced on the `ticketing_sessions` channel by the transaction
//! that writes it (PostgreSQL delivers a NOTIFY only when, and only if, its transaction commits).
//!
//! The announcement carries the revocation itself, so a listener needs no read to apply it:
//! `token <jti> <expires, Unix seconds>` or `generation <user> <generation> <changed, Unix
//! seconds>`.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection as _, AsyncPgConnection};
use domain::idempotency::{Attempt, Effect};
use domain::ports::{RevocationListener, Sessions};
use domain::session::{IssuedToken, Revocation, TokenGeneration, TokenId};
use domain::{RepoError, UserId};
use futures_util::StreamExt;

use super::PgStore;
use super::idempotency::store_effect;
use crate::error::{Inconsistent, TxError, corrupt_row, from_diesel};
use crate::queries::sessions::{self, RevocationRow};

impl Sessions for PgStore {
    type Listener = PgRevocationListener;

    async fn revoke(&self, token: IssuedToken, key: Option<Attempt>) -> Result<(), RepoError> {
        let mut conn = self.writer().await?;
        let fact = Revocation::Token { id: token.id, expires_at: token.expires_at };
        let jti = token.id.to_string();
        conn.transaction(async |conn| -> Result<_, TxError<RepoError>> {
            sessions::revoke(conn, &jti, token.user.get(), token.expires_at).await?;
            sessions::announce(conn, &announcement(&fact)).await?;
            if let Some(attempt) = &key {
                store_effect(conn, attempt, &Effect::LoggedOut).await.map_err(TxError::stored)?;
            }
            Ok(())
        })
        .await
        .map_err(TxError::settle)
    }

    async fn revocations(&self, changed_since: DateTime<Utc>) -> Result<Vec<Revocation>, RepoError> {
        let rows = self
            .write(async |conn| sessions::revocations(conn, changed_since).await.map_err(from_diesel))
            .await?;
        rows.into_iter().map(revocation).collect()
    }

    async fn admits(&self, token: IssuedToken) -> Result<bool, RepoError> {
        let generation = i32::try_from(token.generation.get()).unwrap_or(i32::MAX);
        let jti = token.id.to_string();
        self.write(async |conn| {
            sessions::admits(conn, token.user.get(), generation, &jti).await.map_err(from_diesel)
        })
        .await
    }

    /// A connection of its own (`PgStore::listening_connection`), listening on the channel.
    async fn listen(&self) -> Result<PgRevocationListener, RepoError> {
        let mut conn = self.listening_connection().await?;
        sessions::listen(&mut conn).await.map_err(from_diesel)?;
        Ok(PgRevocationListener { conn })
    }

    async fn forget_expired(&self) -> Result<u64, RepoError> {
        let forgotten =
            self.write(async |conn| sessions::forget_expired(conn).await.map_err(from_diesel)).await?;
        Ok(u64::try_from(forgotten).unwrap_or(u64::MAX))
    }
}

/// A changed password's announcement, sent by [`crate::store::users`] in its transaction.
pub(super) fn generation_announcement(
    user: UserId,
    generation: TokenGeneration,
    changed_at: DateTime<Utc>,
) -> String {
    announcement(&Revocation::Generation { user, generation, changed_at })
}

fn announcement(fact: &Revocation) -> String {
    match fact {
        Revocation::Token { id, expires_at } => format!("token {id} {}", expires_at.timestamp()),
        Revocation::Generation { user, generation, changed_at } => {
            format!("generation {user} {} {}", generation.get(), changed_at.timestamp())
        }
    }
}

fn parse_announcement(payload: &str) -> Option<Revocation> {
    let at = |seconds: &str| seconds.parse().ok().and_then(|s| DateTime::from_timestamp(s, 0));
    let parts: Vec<&str> = payload.split(' ').collect();
    match parts.as_slice() {
        ["token", id, expires] => Some(Revocation::Token { id: id.parse().ok()?, expires_at: at(expires)? }),
        ["generation", user, generation, changed] => Some(Revocation::Generation {
            user: UserId::new(user.parse().ok()?).ok()?,
            generation: TokenGeneration::new(generation.parse().ok()?),
            changed_at: at(changed)?,
        }),
        _ => None,
    }
}

fn revocation(row: RevocationRow) -> Result<Revocation, RepoError> {
    match row {
        RevocationRow { jti: Some(jti), at, .. } => {
            Ok(Revocation::Token { id: jti.parse::<TokenId>().map_err(corrupt_row)?, expires_at: at })
        }
        RevocationRow { user_id: Some(user), token_generation: Some(generation), at, .. } => {
            Ok(Revocation::Generation {
                user: UserId::new(user).map_err(corrupt_row)?,
                generation: TokenGeneration::new(u32::try_from(generation).map_err(corrupt_row)?),
                changed_at: at,
            })
        }
        _ => Err(corrupt_row(Inconsistent("a revocation row with neither a token nor a user"))),
    }
}

/// A connection subscribed to the revocations channel.
pub struct PgRevocationListener {
    conn: AsyncPgConnection,
}

impl std::fmt::Debug for PgRevocationListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRevocationListener").finish_non_exhaustive()
    }
}

impl RevocationListener for PgRevocationListener {
    async fn next(&mut self) -> Result<Revocation, RepoError> {
        let mut announcements = std::pin::pin!(self.conn.notifications_stream());
        let lost = || RepoError::Unavailable(Box::new(Inconsistent("the listening connection closed")));
        let notification =
            announcements.next().await.ok_or_else(lost)?.map_err(|e| RepoError::Unavailable(Box::new(e)))?;
        parse_announcement(&notification.payload).ok_or_else(|| {
            corrupt_row(Inconsistent("an announcement on the sessions channel that does not parse"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_reads_back_as_the_revocation_it_announced() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        for fact in [
            Revocation::Token { id: TokenId::from_bits(u128::MAX - 7), expires_at: at },
            Revocation::Generation {
                user: UserId::new(42).unwrap(),
                generation: TokenGeneration::new(3),
                changed_at: at,
            },
        ] {
            assert_eq!(parse_announcement(&announcement(&fact)), Some(fact));
        }
        for garbage in ["", "token", "token abc 1", "generation 0 1 1", "generation 1 -1 1", "other 1 2"] {
            assert_eq!(parse_announcement(garbage), None, "{garbage:?}");
        }
    }
}
