use crate::ports::{PasswordHasher, Users};
use crate::user::{EmailAddress, LoginError, NewUser, PasswordAttempt, RegisterError, Registration, User};

/// Registration and login: the hashing and the store, in the order that keeps a password out
/// of storage and makes unknown addresses cost as much as known ones.
#[derive(Debug)]
pub struct AccountService<U, H> {
    users: U,
    hasher: H,
}

impl<U: Users, H: PasswordHasher> AccountService<U, H> {
    pub const fn new(users: U, hasher: H) -> Self {
        Self { users, hasher }
    }

    /// Creates an account; only the password's hash is stored.
    ///
    /// # Errors
    /// [`RegisterError::EmailTaken`], or a hashing or store failure.
    pub async fn register(&self, registration: Registration) -> Result<User, RegisterError> {
        let Registration { email, password, first_name, last_name } = registration;
        let password_hash = self.hasher.hash(password).await?;
        self.users.create_user(NewUser { email, password_hash, first_name, last_name }).await
    }

    /// Checks an e-mail and password. An unknown address costs the same hashing work as a
    /// wrong password and gets the same answer.
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for an unknown address or a wrong password, or a
    /// hashing or store failure.
    pub async fn login(&self, email: EmailAddress, attempt: PasswordAttempt) -> Result<User, LoginError> {
        let found = self.users.credentials(email).await?;
        let (user, hash) = found.map(|c| (c.user, c.password_hash)).unzip();
        let matches = self.hasher.verify(attempt, hash).await?;
        match user {
            Some(user) if matches => Ok(user),
            _ => Err(LoginError::InvalidCredentials),
        }
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::*;
    use crate::error::RepoError;
    use crate::ids::UserId;
    use crate::ports::{MockPasswordHasher, MockUsers};
    use crate::text::NonEmptyText;
    use crate::user::{Password, PasswordHash, UserCredentials};

    fn jane() -> User {
        User {
            id: UserId::new(3).unwrap(),
            email: EmailAddress::parse("jane@doe.com").unwrap(),
            first_name: NonEmptyText::parse("Jane").unwrap(),
            last_name: NonEmptyText::parse("Doe").unwrap(),
        }
    }

    fn stored_hash() -> PasswordHash {
        PasswordHash::new("$argon2id$stored".to_owned())
    }

    fn attempt(text: &str) -> PasswordAttempt {
        PasswordAttempt::new(text.to_owned()).unwrap()
    }

    fn users_knowing_jane() -> MockUsers {
        let mut users = MockUsers::new();
        users.expect_credentials().returning(|email| {
            let found = (email.as_str() == "jane@doe.com")
                .then(|| UserCredentials { user: jane(), password_hash: stored_hash() });
            Box::pin(async move { Ok(found) })
        });
        users
    }

    #[tokio::test]
    async fn registering_stores_the_hash_and_never_the_password() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_hash()
            .withf(|p| p.expose() == "abcd@1234")
            .times(1)
            .returning(|_| Box::pin(async { Ok(stored_hash()) }));
        let mut users = MockUsers::new();
        users
            .expect_create_user()
            .withf(|new| new.password_hash == stored_hash() && new.email.as_str() == "jane@doe.com")
            .times(1)
            .returning(|_| Box::pin(async { Ok(jane()) }));
        let registration = Registration {
            email: EmailAddress::parse("Jane@Doe.com").unwrap(),
            password: Password::new("abcd@1234".to_owned()).unwrap(),
            first_name: NonEmptyText::parse("Jane").unwrap(),
            last_name: NonEmptyText::parse("Doe").unwrap(),
        };

        let user = AccountService::new(users, hasher).register(registration).await.unwrap();

        assert_eq!(user, jane());
    }

    #[tokio::test]
    async fn the_right_password_logs_the_user_in() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .withf(|a, h| a.expose() == "abcd@123" && h.as_ref() == Some(&stored_hash()))
            .returning(|_, _| Box::pin(async { Ok(true) }));

        let user = AccountService::new(users_knowing_jane(), hasher)
            .login(EmailAddress::parse("jane@doe.com").unwrap(), attempt("abcd@123"))
            .await
            .unwrap();

        assert_eq!(user.id, jane().id);
    }

    #[tokio::test]
    async fn a_wrong_password_is_refused_as_invalid_credentials() {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Box::pin(async { Ok(false) }));

        let refused = AccountService::new(users_knowing_jane(), hasher)
            .login(EmailAddress::parse("jane@doe.com").unwrap(), attempt("wrong"))
            .await;

        assert!(matches!(refused, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn an_unknown_address_still_pays_for_a_hash_check_and_gets_the_same_answer() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .with(eq(attempt("abcd@123")), eq(None))
            .times(1)
            .returning(|_, _| Box::pin(async { Ok(false) }));

        let refused = AccountService::new(users_knowing_jane(), hasher)
            .login(EmailAddress::parse("nobody@doe.com").unwrap(), attempt("abcd@123"))
            .await;

        assert!(matches!(refused, Err(LoginError::InvalidCredentials)));
    }

    #[tokio::test]
    async fn a_store_failure_during_login_is_not_disguised_as_bad_credentials() {
        let mut users = MockUsers::new();
        users
            .expect_credentials()
            .returning(|_| Box::pin(async { Err(RepoError::Unavailable("connection refused".into())) }));
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().times(0);

        let failed = AccountService::new(users, hasher)
            .login(EmailAddress::parse("jane@doe.com").unwrap(), attempt("abcd@123"))
            .await;

        assert!(matches!(failed, Err(LoginError::Repo(RepoError::Unavailable(_)))));
    }
}
