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

/// How far the clocks of several instances may disagree.
const LEEWAY_SECONDS: u64 = 5;

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
        validation.validate_nbf = true;
        // Clocks of several instances may differ a little; not by more than this.
        validation.leeway = LEEWAY_SECONDS;
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
    /// Beyond the signature and expiry, a token must look like one this service issued (defence
    /// in depth, should the key ever leak): issued no later than now, living no longer than the
    /// configured lifetime, not valid only from a later time, and with no `crit` header (no
    /// extension this service would have to understand).
    ///
    /// # Errors
    /// [`ApiError::Unauthenticated`] for anything but such an HS256 token signed with our
    /// secret whose `id` and `sub` agree.
    pub fn verify(&self, token: &str) -> Result<UserId, ApiError> {
        let token = decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthenticated)?;
        // jsonwebtoken parses `crit` (RFC 7515 4.1.11) but leaves it to us: a verifier that does
        // not understand the extensions named must refuse the token, and this one knows none.
        if token.header.crit.is_some() {
            return Err(ApiError::Unauthenticated);
        }
        let claims = token.claims;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| ApiError::Internal(Box::new(e)))?
            .as_secs();
        let issued_in_the_future = claims.iat > now + LEEWAY_SECONDS;
        let lives_too_long = claims.exp.saturating_sub(claims.iat) > self.ttl.as_secs();
        if issued_in_the_future || lives_too_long || claims.sub != claims.id.to_string() {
            return Err(ApiError::Unauthenticated);
        }
        UserId::new(claims.id).map_err(|_| ApiError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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

    fn signed(header: &serde_json::Value, claims: &serde_json::Value) -> String {
        let encode_part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let message = format!("{}.{}", encode_part(header), encode_part(claims));
        let key = EncodingKey::from_secret(b"a-test-secret-of-some-length");
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
        format!("{message}.{signature}")
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    #[test]
    fn a_hand_signed_token_like_ours_is_accepted() {
        let claims = serde_json::json!({"id": 3, "sub": "3", "email": "jane@doe.com", "iat": now(), "exp": now() + 600});
        let token = signed(&serde_json::json!({"alg": "HS256", "typ": "JWT"}), &claims);
        assert_eq!(service().verify(&token).unwrap(), jane().id);
    }

    #[test]
    fn tokens_from_the_future_living_too_long_or_with_critical_extensions_are_refused() {
        let header = serde_json::json!({"alg": "HS256", "typ": "JWT"});
        let claims = |iat: u64, exp: u64| serde_json::json!({"id": 3, "sub": "3", "email": "j@d.co", "iat": iat, "exp": exp});
        let future = signed(&header, &claims(now() + 600, now() + 1200));
        let eternal = signed(&header, &claims(now(), 253_402_300_799));
        let mut not_yet = claims(now(), now() + 600);
        not_yet["nbf"] = serde_json::json!(now() + 300);
        let not_yet = signed(&header, &not_yet);
        let critical =
            signed(&serde_json::json!({"alg": "HS256", "crit": ["exp"]}), &claims(now(), now() + 600));
        for (what, token) in
            [("future iat", future), ("9999 exp", eternal), ("future nbf", not_yet), ("crit", critical)]
        {
            assert!(matches!(service().verify(&token), Err(ApiError::Unauthenticated)), "{what}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        for token in ["", "abc", "a.b.c", "Bearer"] {
            assert!(matches!(service().verify(token), Err(ApiError::Unauthenticated)), "{token:?}");
        }
    }
}
