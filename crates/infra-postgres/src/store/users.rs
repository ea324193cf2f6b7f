use domain::ports::Users;
use domain::{EmailAddress, NewUser, PasswordHash, RegisterError, RepoError, User, UserCredentials, UserId};

use super::PgStore;
use crate::constraints::USERS_EMAIL_UNIQUE;
use crate::error::{from_diesel, from_pool, violated_constraint};
use crate::queries::users;

impl Users for PgStore {
    async fn create_user(&self, user: NewUser) -> Result<User, RegisterError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let row = users::insert(&mut conn, &user).await.map_err(|e| match violated_constraint(&e) {
            Some(USERS_EMAIL_UNIQUE) => RegisterError::EmailTaken,
            _ => from_diesel(e).into(),
        })?;
        Ok(User::try_from(row)?)
    }

    async fn credentials(&self, email: EmailAddress) -> Result<Option<UserCredentials>, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let Some((row, hash)) = users::with_hash_by_email(&mut conn, &email).await.map_err(from_diesel)?
        else {
            return Ok(None);
        };
        Ok(Some(UserCredentials { user: User::try_from(row)?, password_hash: PasswordHash::new(hash) }))
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        users::by_id(&mut conn, id).await.map_err(from_diesel)?.map(User::try_from).transpose()
    }
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
        let mut conn = self.pool.get().await.map_err(from_pool)?;
        let mut found = EmailNormalisation::default();
        for (id, stored) in users::beyond_ascii(&mut conn).await.map_err(from_diesel)? {
            match EmailAddress::parse(&stored) {
                Ok(normal) if normal.as_str() == stored => {}
                Ok(normal) => match users::set_email(&mut conn, id, &normal).await {
                    Ok(_) => found.rewritten.push(id),
                    Err(e) if violated_constraint(&e) == Some(USERS_EMAIL_UNIQUE) => found.colliding.push(id),
                    Err(e) => return Err(from_diesel(e)),
                },
                Err(_) => found.refused.push(id),
            }
        }
        Ok(found)
    }
}
