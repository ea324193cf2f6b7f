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
