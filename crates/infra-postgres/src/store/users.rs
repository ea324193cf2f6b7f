use diesel_async::AsyncConnection as _;
use domain::idempotency::{Attempt, Effect};
use domain::ports::Users;
use domain::session::TokenGeneration;
use domain::{
    EmailAddress, NewUser, PasswordHash, RegisterError, RepoError, SignedIn, User, UserCredentials, UserId,
};

use super::PgStore;
use super::idempotency::{answered_transaction, store_effect};
use super::sessions::generation_announcement;
use crate::constraints::USERS_EMAIL_UNIQUE;
use crate::error::{TxError, corrupt_row, from_diesel, violated_constraint};
use crate::queries::users::CredentialsRow;
use crate::queries::{sessions, users};

impl Users for PgStore {
    async fn create_user(&self, user: NewUser, key: Option<Attempt>) -> Result<User, RegisterError> {
        let mut conn = self.writer().await?;
        answered_transaction!(
            conn,
            RegisterError,
            key.as_ref(),
            |conn| {
                let row = users::insert(conn, &user).await.map_err(|e| match violated_constraint(&e) {
                    Some(USERS_EMAIL_UNIQUE) => TxError::Rule(RegisterError::EmailTaken),
                    _ => TxError::Db(e),
                })?;
                User::try_from(row).map_err(TxError::stored)?
            },
            Effect::Registered
        )
    }

    async fn credentials(&self, email: EmailAddress) -> Result<Option<UserCredentials>, RepoError> {
        self.write(async |conn| users::with_hash_by_email(conn, &email).await.map_err(from_diesel))
            .await?
            .map(credentials)
            .transpose()
    }

    async fn credentials_of(&self, id: UserId) -> Result<Option<UserCredentials>, RepoError> {
        self.write(async |conn| users::with_hash_by_id(conn, id).await.map_err(from_diesel))
            .await?
            .map(credentials)
            .transpose()
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        key: Option<Attempt>,
    ) -> Result<Option<SignedIn>, RepoError> {
        let mut conn = self.writer().await?;
        conn.transaction(async |conn| -> Result<_, TxError<RepoError>> {
            let Some(changed) = sessions::change_password(conn, id.get(), hash.as_str()).await? else {
                return Ok(None);
            };
            let signed_in = SignedIn {
                user: User::try_from(changed.user).map_err(TxError::stored)?,
                token_generation: generation(changed.token_generation).map_err(TxError::stored)?,
            };
            let announcement = generation_announcement(id, signed_in.token_generation, changed.changed_at);
            sessions::announce(conn, &announcement).await?;
            if let Some(attempt) = &key {
                let effect = Effect::PasswordChanged(signed_in.clone());
                store_effect(conn, attempt, &effect).await.map_err(TxError::stored)?;
            }
            Ok(Some(signed_in))
        })
        .await
        .map_err(TxError::settle)
    }

    async fn upgrade_hash(&self, id: UserId, old: PasswordHash, new: PasswordHash) -> Result<(), RepoError> {
        self.write(async |conn| {
            sessions::upgrade_hash(conn, id.get(), old.as_str(), new.as_str()).await.map_err(from_diesel)
        })
        .await?;
        Ok(())
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, RepoError> {
        self.write(async |conn| users::by_id(conn, id).await.map_err(from_diesel))
            .await?
            .map(User::try_from)
            .transpose()
    }
}

fn credentials((row, hash, token_generation): CredentialsRow) -> Result<UserCredentials, RepoError> {
    Ok(UserCredentials {
        user: User::try_from(row)?,
        password_hash: PasswordHash::new(hash),
        token_generation: generation(token_generation)?,
    })
}

fn generation(stored: i32) -> Result<TokenGeneration, RepoError> {
    u32::try_from(stored).map(TokenGeneration::new).map_err(corrupt_row)
}

/// What [`PgStore::normalise_emails`] found, by account id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EmailNormalisation {
    /// Rewritten to the address's normal form, by which its owner now logs in.
    pub rewritten: Vec<i64>,
    /// Refused by today's rules (invisible characters, mixed scripts): readable, but its owner
    /// cannot log in until an operator changes it.
    pub refused: Vec<i64>,
    /// Its normal form is another account's address: left as it is, for an operator.
    pub colliding: Vec<i64>,
}

impl PgStore {
    /// Brings the addresses stored before the current rules to their normal form where that
    /// is safe, and says which accounts need a person.
    ///
    /// # Errors
    /// [`RepoError`] when the database fails.
    pub async fn normalise_emails(&self) -> Result<EmailNormalisation, RepoError> {
        let mut conn = self.writer().await?;
        let mut found = EmailNormalisation::default();
        let stored_addresses =
            self.pinned(&mut conn, async |conn| users::beyond_ascii(conn).await.map_err(from_diesel)).await?;
        for (id, stored) in stored_addresses {
            match EmailAddress::parse(&stored) {
                // Each rewrite by itself (a collision fails only its own statement).
                Ok(normal) if normal.as_str() != stored => {
                    let rewritten = self
                        .pinned(&mut conn, async |conn| Ok(users::set_email(conn, id, &normal).await))
                        .await?;
                    match rewritten {
                        Ok(_) => found.rewritten.push(id),
                        Err(e) if violated_constraint(&e) == Some(USERS_EMAIL_UNIQUE) => {
                            found.colliding.push(id)
                        }
                        Err(e) => return Err(from_diesel(e)),
                    }
                }
                Ok(_) => {}
                Err(_) => found.refused.push(id),
            }
        }
        Ok(found)
    }
}
