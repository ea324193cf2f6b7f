use std::sync::Arc;

use argon2::password_hash::Error as PhcError;
use argon2::{ARGON2ID_IDENT, Argon2, Params, PasswordHasher as _, PasswordVerifier as _, Version};
use domain::ports::{PasswordHasher, Verdict};
use domain::{HashError, Password, PasswordAttempt, PasswordHash};

use crate::{HashingLimits, HashingSlots};

/// Argon2id with the crate's default cost (19 MiB, 2 passes), the OWASP baseline. Each hash
/// takes tens of milliseconds of CPU, so it runs on tokio's blocking pool, never on a thread
/// that serves requests, and only as many at once as its [`HashingSlots`] admit.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    /// A real hash of a random password: unknown accounts are checked against it, so they
    /// cost the same time as known ones.
    decoy: String,
    slots: Arc<HashingSlots>,
}

impl Argon2Hasher {
    /// Computes the decoy hash (one hash's worth of CPU, once).
    ///
    /// # Errors
    /// [`HashError`] when the hasher cannot produce a hash.
    pub fn new(limits: HashingLimits) -> Result<Self, HashError> {
        let random = uuid::Uuid::new_v4().to_string();
        let decoy = Argon2::default().hash_password(random.as_bytes()).map_err(failed)?.to_string();
        Ok(Self { decoy, slots: Arc::new(HashingSlots::new(limits)) })
    }
}

fn failed(error: PhcError) -> HashError {
    HashError::Failed(Box::new(error))
}

/// Whether a stored hash was made as [`Argon2::default`] makes one today: Argon2id, version
/// 0x13, and at least today's memory, passes and lanes. A hash that cannot be read is left to
/// the verifier to refuse.
fn is_current(stored: &argon2::PasswordHash) -> bool {
    let today = Params::DEFAULT;
    stored.algorithm == ARGON2ID_IDENT
        && stored.version == Some(u32::from(Version::V0x13))
        && Params::try_from(stored).is_ok_and(|params| {
            params.m_cost() >= today.m_cost()
                && params.t_cost() >= today.t_cost()
                && params.p_cost() >= today.p_cost()
        })
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        self.slots
            .run(move || {
                let phc = Argon2::default().hash_password(password.expose().as_bytes()).map_err(failed)?;
                Ok(PasswordHash::new(phc.to_string()))
            })
            .await
    }

    /// A right password under outdated parameters is hashed again in the same blocking task,
    /// so the upgrade costs its owner one more hash, once.
    async fn verify(
        &self,
        attempt: PasswordAttempt,
        hash: Option<PasswordHash>,
    ) -> Result<Verdict, HashError> {
        let (stored, known) = match hash {
            Some(hash) => (hash.as_str().to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        self.slots
            .run(move || {
                let parsed =
                    argon2::PasswordHash::new(&stored).map_err(|e| HashError::Failed(Box::new(e)))?;
                let argon2 = Argon2::default();
                match argon2.verify_password(attempt.expose().as_bytes(), &parsed) {
                    Ok(()) if !known => Ok(Verdict::Refused),
                    Ok(()) if is_current(&parsed) => Ok(Verdict::Accepted),
                    Ok(()) => {
                        let fresh = argon2.hash_password(attempt.expose().as_bytes()).map_err(failed)?;
                        Ok(Verdict::AcceptedWithNewHash(PasswordHash::new(fresh.to_string())))
                    }
                    Err(PhcError::PasswordInvalid) => Ok(Verdict::Refused),
                    Err(other) => Err(failed(other)),
                }
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use domain::EmailAddress;

    use super::*;

    const LIMITS: HashingLimits =
        HashingLimits { slots: 2, queue: 8, wait: std::time::Duration::from_secs(30) };

    fn password(text: &str) -> Password {
        Password::new(text.to_owned(), &EmailAddress::parse("jane@doe.com").unwrap()).unwrap()
    }

    fn attempt(text: &str) -> PasswordAttempt {
        PasswordAttempt::new(text.to_owned()).unwrap()
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = Argon2Hasher::new(LIMITS).unwrap();
        let hash = hasher.hash(password("abcd@123")).await.unwrap();

        assert!(hash.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", hash.as_str());
        assert_eq!(hasher.verify(attempt("abcd@123"), Some(hash.clone())).await.unwrap(), Verdict::Accepted);
        assert_eq!(hasher.verify(attempt("abcd@124"), Some(hash)).await.unwrap(), Verdict::Refused);
    }

    #[tokio::test]
    async fn a_hash_with_weaker_parameters_verifies_and_comes_back_stronger() {
        let weak =
            Argon2::new(argon2::Algorithm::Argon2i, Version::V0x13, Params::new(8, 1, 1, None).unwrap())
                .hash_password(b"abcd@123")
                .unwrap()
                .to_string();
        let hasher = Argon2Hasher::new(LIMITS).unwrap();

        let verdict =
            hasher.verify(attempt("abcd@123"), Some(PasswordHash::new(weak.clone()))).await.unwrap();
        let Verdict::AcceptedWithNewHash(fresh) = verdict else { panic!("{verdict:?}") };
        assert!(fresh.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", fresh.as_str());
        assert_eq!(hasher.verify(attempt("abcd@123"), Some(fresh)).await.unwrap(), Verdict::Accepted);
        let wrong = hasher.verify(attempt("abcd@124"), Some(PasswordHash::new(weak))).await.unwrap();
        assert_eq!(wrong, Verdict::Refused, "a wrong password is not upgraded");
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let hasher = Argon2Hasher::new(LIMITS).unwrap();
        let a = hasher.hash(password("abcd@123")).await.unwrap();
        let b = hasher.hash(password("abcd@123")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies_even_with_the_decoys_password() {
        let hasher = Argon2Hasher::new(LIMITS).unwrap();
        assert_eq!(hasher.verify(attempt("anything"), None).await.unwrap(), Verdict::Refused);
    }

    #[tokio::test]
    async fn an_unreadable_stored_hash_is_an_error_not_a_wrong_password() {
        let hasher = Argon2Hasher::new(LIMITS).unwrap();
        assert!(
            hasher
                .verify(attempt("abcd@123"), Some(PasswordHash::new("plaintext".to_owned())))
                .await
                .is_err()
        );
    }
}
