use std::time::{Duration, SystemTime, UNIX_EPOCH};

use domain::{User, UserId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// What a token says. `id` (a number) and `email` are what the original service put in its
/// tokens; `sub`, `iat` and `exp` are the registered claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub id: i64,
    pub sub: String,
    pub email: String,
    pub iat: u64,
    pub exp: u64,
}

/// Issues and checks HS256 tokens. Only HS256 is accepted, so `alg: none` and algorithm
/// confusion are refused by construction.
pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

impl TokenService {
    #[must_use]
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        // Clocks of several instances may differ a little; not by more than this.
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    /// A token for `user`, valid for the configured lifetime.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if signing fails.
    pub fn issue(&self, user: &User) -> Result<String, ApiError> {
        let iat = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| ApiError::Internal(Box::new(e)))?
            .as_secs();
        let claims = Claims {
            id: user.id.get(),
            sub: user.id.to_string(),
            email: user.email.to_string(),
            iat,
            exp: iat + self.ttl.as_secs(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(Box::new(e)))
    }

    /// The user a valid token names. Whether that user still exists is the caller's check.
    ///
    /// # Errors
    /// [`ApiError::Unauthenticated`] for anything but an unexpired HS256 token signed with
    /// our secret whose `id` and `sub` agree.
    pub fn verify(&self, token: &str) -> Result<UserId, ApiError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthenticated)?
            .claims;
        if claims.sub != claims.id.to_string() {
            return Err(ApiError::Unauthenticated);
        }
        UserId::new(claims.id).map_err(|_| ApiError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use domain::{EmailAddress, NonEmptyText};

    use super::*;

    fn jane() -> User {
        User {
            id: UserId::new(3).unwrap(),
            email: EmailAddress::parse("jane@doe.com").unwrap(),
            first_name: NonEmptyText::parse("Jane").unwrap(),
            last_name: NonEmptyText::parse("Doe").unwrap(),
        }
    }

    fn service() -> TokenService {
        TokenService::new(b"a-test-secret-of-some-length", Duration::from_secs(3600))
    }

    #[test]
    fn an_issued_token_names_its_user() {
        let tokens = service();
        let token = tokens.issue(&jane()).unwrap();
        assert_eq!(tokens.verify(&token).unwrap(), jane().id);
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token =
            TokenService::new(b"another-secret-entirely", Duration::from_secs(60)).issue(&jane()).unwrap();
        assert!(matches!(service().verify(&token), Err(ApiError::Unauthenticated)));
    }

    #[test]
    fn garbage_is_refused() {
        for token in ["", "abc", "a.b.c", "Bearer"] {
            assert!(matches!(service().verify(token), Err(ApiError::Unauthenticated)), "{token:?}");
        }
    }
}
