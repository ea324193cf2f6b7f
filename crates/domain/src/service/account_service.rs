use crate::idempotency::Attempt;
use crate::ids::UserId;
use crate::ports::{PasswordHasher, Users, Verdict};
use crate::user::{
    EmailAddress, LoginError, NewUser, Password, PasswordAttempt, PasswordChangeError, RegisterError,
    Registration, SignedIn, User,
};

/// Registration, login and password changes: the hashing and the store, in the order that
/// keeps a password out of storage and makes unknown addresses cost as much as known ones.
#[derive(Debug)]
pub struct AccountService<U, H> {
    users: U,
    hasher: H,
}

impl<U: Users, H: PasswordHasher> AccountService<U, H> {
    /// The service over a store of users and a password hasher.
    pub const fn new(users: U, hasher: H) -> Self {
        Self { users, hasher }
    }

    /// Creates an account; only the password's hash is stored (and, with `key`, the effect
    /// under that attempt).
    ///
    /// # Errors
    /// [`RegisterError::EmailTaken`], or a hashing or store failure.
    pub async fn register(
        &self,
        registration: Registration,
        key: Option<Attempt>,
    ) -> Result<User, RegisterError> {
        let Registration { email, password, first_name, last_name } = registration;
        let password_hash = self.hasher.hash(password).await?;
        self.users.create_user(NewUser { email, password_hash, first_name, last_name }, key).await
    }

    /// Checks an e-mail and password. An unknown address costs the same hashing work as a
    /// wrong password and gets the same answer. A hash made with outdated parameters is
    /// replaced by one with today's on the way (best effort: a failure to store it leaves the
    /// old one, and the next sign-in tries again).
    ///
    /// # Errors
    /// [`LoginError::InvalidCredentials`] for an unknown address or a wrong password, or a
    /// hashing or store failure.
    pub async fn login(&self, email: EmailAddress, attempt: PasswordAttempt) -> Result<SignedIn, LoginError> {
        let found = self.users.credentials(email).await?;
        let stored = found.as_ref().map(|c| c.password_hash.clone());
        let verdict = self.hasher.verify(attempt, stored).await?;
        let Some(credentials) = found else { return Err(LoginError::InvalidCredentials) };
        match verdict {
            Verdict::Refused => return Err(LoginError::InvalidCredentials),
            Verdict::Accepted => {}
            Verdict::AcceptedWithNewHash(new) => {
                let id = credentials.user.id;
                let _kept_old_hash = self.users.upgrade_hash(id, credentials.password_hash, new).await;
            }
        }
        Ok(SignedIn { user: credentials.user, token_generation: credentials.token_generation })
    }

    /// Changes a signed-in user's password, given the current one, and ends every session
    /// issued before (the store moves the user's token generation on), storing the effect
    /// under `key` when given. Returns what a new token for the caller is issued from.
    ///
    /// # Errors
    /// [`PasswordChangeError::WrongPassword`] when `current` is not the password;
    /// [`PasswordChangeError::Weak`] when `new` breaks the password policy for the account's
    /// address; [`PasswordChangeError::UnknownUser`]; or a hashing or store failure.
    pub async fn change_password(
        &self,
        user: UserId,
        current: PasswordAttempt,
        new: String,
        key: Option<Attempt>,
    ) -> Result<SignedIn, PasswordChangeError> {
        let credentials = self.users.credentials_of(user).await?.ok_or(PasswordChangeError::UnknownUser)?;
        let new = Password::new(new, &credentials.user.email).map_err(PasswordChangeError::Weak)?;
        if self.hasher.verify(current, Some(credentials.password_hash)).await? == Verdict::Refused {
            return Err(PasswordChangeError::WrongPassword);
        }
        let hash = self.hasher.hash(new).await?;
        self.users.change_password(user, hash, key).await?.ok_or(PasswordChangeError::UnknownUser)
    }
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::*;
    use crate::error::RepoError;
    use crate::ports::{MockPasswordHasher, MockUsers};
    use crate::session::TokenGeneration;
    use crate::text::NonEmptyText;
    use crate::user::{PasswordError, PasswordHash, UserCredentials};

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

    fn janes_credentials() -> UserCredentials {
        UserCredentials {
            user: jane(),
            password_hash: stored_hash(),
            token_generation: TokenGeneration::new(4),
        }
    }

    fn users_knowing_jane() -> MockUsers {
        let mut users = MockUsers::new();
        users.expect_credentials().returning(|email| {
            let found = (email.as_str() == "jane@doe.com").then(janes_credentials);
            Box::pin(async move { Ok(found) })
        });
        users.expect_credentials_of().returning(|id| {
            let found = (id == jane().id).then(janes_credentials);
            Box::pin(async move { Ok(found) })
        });
        users
    }

    fn hasher_answering(verdict: Verdict) -> MockPasswordHasher {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(move |_, _| {
            let verdict = verdict.clone();
            Box::pin(async move { Ok(verdict) })
        });
        hasher
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
            .withf(|new, key| {
                new.password_hash == stored_hash() && new.email.as_str() == "jane@doe.com" && key.is_none()
            })
            .times(1)
            .returning(|_, _| Box::pin(async { Ok(jane()) }));
        let registration = Registration {
            email: EmailAddress::parse("Jane@Doe.com").unwrap(),
            password: Password::new("abcd@1234".to_owned(), &jane().email).unwrap(),
            first_name: NonEmptyText::parse("Jane").unwrap(),
            last_name: NonEmptyText::parse("Doe").unwrap(),
        };

        let user = AccountService::new(users, hasher).register(registration, None).await.unwrap();

        assert_eq!(user, jane());
    }

    #[tokio::test]
    async fn the_right_password_logs_the_user_in() {
        let mut hasher = MockPasswordHasher::new();
        hasher
            .expect_verify()
            .withf(|a, h| a.expose() == "abcd@123" && h.as_ref() == Some(&stored_hash()))
            .returning(|_, _| Box::pin(async { Ok(Verdict::Accepted) }));

        let signed_in = AccountService::new(users_knowing_jane(), hasher)
            .login(EmailAddress::parse("jane@doe.com").unwrap(), attempt("abcd@123"))
            .await
            .unwrap();

        assert_eq!(signed_in, SignedIn { user: jane(), token_generation: TokenGeneration::new(4) });
    }

    #[tokio::test]
    async fn a_hash_with_outdated_parameters_is_replaced_at_login_and_no_session_ends() {
        let fresh = PasswordHash::new("$argon2id$fresh".to_owned());
        let mut users = users_knowing_jane();
        users
            .expect_upgrade_hash()
            .with(eq(jane().id), eq(stored_hash()), eq(fresh.clone()))
            .times(1)
            .returning(|_, _, _| Box::pin(async { Ok(()) }));
        users.expect_change_password().times(0);

        let signed_in = AccountService::new(users, hasher_answering(Verdict::AcceptedWithNewHash(fresh)))
            .login(EmailAddress::parse("jane@doe.com").unwrap(), attempt("abcd@123"))
            .await
            .unwrap();

        assert_eq!(signed_in.user, jane());
    }

    #[tokio::test]
    async fn a_failure_to_store_the_upgraded_hash_does_not_fail_the_login() {
        let mut users = users_knowing_jane();
        users
            .expect_upgrade_hash()
            .returning(|_, _, _| Box::pin(async { Err(RepoError::Unavailable("gone".into())) }));
        let verdict = Verdict::AcceptedWithNewHash(PasswordHash::new("$argon2id$fresh".to_owned()));

        let signed_in = AccountService::new(users, hasher_answering(verdict))
            .login(EmailAddress::parse("jane@doe.com").unwrap(), attempt("abcd@123"))
            .await;

        assert!(signed_in.is_ok());
    }

    #[tokio::test]
    async fn changing_the_password_stores_the_new_hash_and_returns_the_new_generation() {
        let fresh = PasswordHash::new("$argon2id$fresh".to_owned());
        let mut hasher = hasher_answering(Verdict::Accepted);
        let returned = fresh.clone();
        hasher.expect_hash().withf(|p| p.expose() == "a new long secret").times(1).returning(move |_| {
            let hash = returned.clone();
            Box::pin(async move { Ok(hash) })
        });
        let mut users = users_knowing_jane();
        users.expect_change_password().with(eq(jane().id), eq(fresh), eq(None)).times(1).returning(
            |_, _, _| {
                Box::pin(async {
                    Ok(Some(SignedIn { user: jane(), token_generation: TokenGeneration::new(5) }))
                })
            },
        );

        let signed_in = AccountService::new(users, hasher)
            .change_password(jane().id, attempt("abcd@123"), "a new long secret".to_owned(), None)
            .await
            .unwrap();

        assert_eq!(signed_in.token_generation, TokenGeneration::new(5));
    }

    #[tokio::test]
    async fn a_wrong_current_password_or_a_weak_new_one_changes_nothing() {
        for (verdict, new, expected) in [
            (Verdict::Refused, "a new long secret", "wrong"),
            (Verdict::Accepted, "password", "common"),
            (Verdict::Accepted, "jane-1234-x", "email"),
        ] {
            let mut users = users_knowing_jane();
            users.expect_change_password().times(0);
            let mut hasher = hasher_answering(verdict);
            hasher.expect_hash().times(0);

            let refused = AccountService::new(users, hasher)
                .change_password(jane().id, attempt("abcd@123"), new.to_owned(), None)
                .await;

            match (expected, refused) {
                ("wrong", Err(PasswordChangeError::WrongPassword))
                | ("common", Err(PasswordChangeError::Weak(PasswordError::Common)))
                | ("email", Err(PasswordChangeError::Weak(PasswordError::ContainsEmail))) => {}
                (expected, other) => panic!("{expected}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn a_wrong_password_is_refused_as_invalid_credentials() {
        let mut hasher = MockPasswordHasher::new();
        hasher.expect_verify().returning(|_, _| Box::pin(async { Ok(Verdict::Refused) }));

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
            .returning(|_, _| Box::pin(async { Ok(Verdict::Refused) }));

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
