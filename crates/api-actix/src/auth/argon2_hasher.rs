use argon2::password_hash::Error as PhcError;
use argon2::{Argon2, PasswordHasher as _, PasswordVerifier as _};
use domain::ports::PasswordHasher;
use domain::{HashError, Password, PasswordAttempt, PasswordHash};

/// Argon2id with the crate's default cost (19 MiB, 2 passes), the OWASP baseline. Each hash
/// takes tens of milliseconds of CPU, so it runs on tokio's blocking pool, never on a thread
/// that serves requests.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    /// A real hash of a random password: unknown accounts are checked against it, so they
    /// cost the same time as known ones.
    decoy: String,
}

impl Argon2Hasher {
    /// Computes the decoy hash (one hash's worth of CPU, once).
    ///
    /// # Errors
    /// [`HashError`] when the hasher cannot produce a hash.
    pub fn new() -> Result<Self, HashError> {
        let random = uuid::Uuid::new_v4().to_string();
        let decoy = Argon2::default().hash_password(random.as_bytes()).map_err(boxed)?.to_string();
        Ok(Self { decoy })
    }
}

fn boxed(error: PhcError) -> HashError {
    HashError(Box::new(error))
}

async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
) -> Result<T, HashError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| HashError(Box::new(e)))?
}

impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        off_runtime(move || {
            let phc = Argon2::default().hash_password(password.expose().as_bytes()).map_err(boxed)?;
            Ok(PasswordHash::new(phc.to_string()))
        })
        .await
    }

    async fn verify(&self, attempt: PasswordAttempt, hash: Option<PasswordHash>) -> Result<bool, HashError> {
        let (stored, known) = match hash {
            Some(hash) => (hash.as_str().to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        off_runtime(move || {
            match Argon2::default().verify_password(attempt.expose().as_bytes(), stored.as_str()) {
                Ok(()) => Ok(known),
                Err(PhcError::PasswordInvalid) => Ok(false),
                Err(other) => Err(boxed(other)),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = Argon2Hasher::new().unwrap();
        let hash = hasher.hash(Password::new("abcd@123".to_owned()).unwrap()).await.unwrap();

        assert!(hash.as_str().starts_with("$argon2id$"), "{}", hash.as_str());
        let right = PasswordAttempt::new("abcd@123".to_owned()).unwrap();
        let wrong = PasswordAttempt::new("abcd@124".to_owned()).unwrap();
        assert!(hasher.verify(right, Some(hash.clone())).await.unwrap());
        assert!(!hasher.verify(wrong, Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn the_same_password_hashes_differently_each_time() {
        let hasher = Argon2Hasher::new().unwrap();
        let a = hasher.hash(Password::new("abcd@123".to_owned()).unwrap()).await.unwrap();
        let b = hasher.hash(Password::new("abcd@123".to_owned()).unwrap()).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies_even_with_the_decoys_password() {
        let hasher = Argon2Hasher::new().unwrap();
        let attempt = PasswordAttempt::new("anything".to_owned()).unwrap();
        assert!(!hasher.verify(attempt, None).await.unwrap());
    }

    #[tokio::test]
    async fn an_unreadable_stored_hash_is_an_error_not_a_wrong_password() {
        let hasher = Argon2Hasher::new().unwrap();
        let attempt = PasswordAttempt::new("abcd@123".to_owned()).unwrap();
        assert!(hasher.verify(attempt, Some(PasswordHash::new("plaintext".to_owned()))).await.is_err());
    }
}
