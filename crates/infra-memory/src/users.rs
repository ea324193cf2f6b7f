//! Accounts. A password change moves the token generation on and is announced to the
//! revocation listeners in the same step.

use chrono::Utc;
use domain::idempotency::{Attempt, Effect};
use domain::ports::Users;
use domain::session::{Revocation, TokenGeneration};
use domain::{
    EmailAddress, NewUser, PasswordHash, RegisterError, RepoError, SignedIn, User, UserCredentials, UserId,
};

use crate::MemoryStore;
use crate::idempotency::hold;
use crate::tables::{UserRow, internal};

/// A user's token generation past `u32::MAX`.
#[derive(Debug, thiserror::Error)]
#[error("user {0}'s token generation cannot move on")]
struct GenerationsExhausted(UserId);

impl Users for MemoryStore {
    async fn create_user(&self, new: NewUser, key: Option<Attempt>) -> Result<User, RegisterError> {
        let mut tables = self.tables();
        if tables.emails.contains_key(&new.email) {
            return Err(RegisterError::EmailTaken);
        }
        let held = hold(&tables, key.as_ref())?;
        let user = User {
            id: tables.next_user_id()?,
            email: new.email,
            first_name: new.first_name,
            last_name: new.last_name,
        };
        tables.emails.insert(user.email.clone(), user.id);
        let row = UserRow {
            user: user.clone(),
            hash: new.password_hash,
            generation: TokenGeneration::default(),
            password_changed_at: None,
        };
        tables.users.insert(user.id, row);
        held.store(&mut tables, || Effect::Registered(user.clone()));
        Ok(user)
    }

    async fn credentials(&self, email: EmailAddress) -> Result<Option<UserCredentials>, RepoError> {
        let tables = self.tables();
        Ok(tables.emails.get(&email).and_then(|id| tables.users.get(id)).map(credentials))
    }

    async fn credentials_of(&self, id: UserId) -> Result<Option<UserCredentials>, RepoError> {
        Ok(self.tables().users.get(&id).map(credentials))
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: PasswordHash,
        key: Option<Attempt>,
    ) -> Result<Option<SignedIn>, RepoError> {
        let mut tables = self.tables();
        let held = hold(&tables, key.as_ref())?;
        let Some(row) = tables.users.get_mut(&id) else { return Ok(None) };
        let next = row.generation.get().checked_add(1).ok_or_else(|| internal(GenerationsExhausted(id)))?;
        let changed_at = Utc::now();
        row.generation = TokenGeneration::new(next);
        row.hash = hash;
        row.password_changed_at = Some(changed_at);
        let signed_in = SignedIn { user: row.user.clone(), token_generation: row.generation };
        held.store(&mut tables, || Effect::PasswordChanged(signed_in.clone()));
        drop(tables);
        let revocation =
            Revocation::Generation { user: id, generation: signed_in.token_generation, changed_at };
        self.announce(revocation);
        Ok(Some(signed_in))
    }

    async fn upgrade_hash(&self, id: UserId, old: PasswordHash, new: PasswordHash) -> Result<(), RepoError> {
        let mut tables = self.tables();
        if let Some(row) = tables.users.get_mut(&id).filter(|row| row.hash == old) {
            row.hash = new;
        }
        Ok(())
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, RepoError> {
        Ok(self.tables().users.get(&id).map(|row| row.user.clone()))
    }
}

fn credentials(row: &UserRow) -> UserCredentials {
    UserCredentials {
        user: row.user.clone(),
        password_hash: row.hash.clone(),
        token_generation: row.generation,
    }
}
