use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::DateTime;
use domain::SignedIn;
use domain::UserId;
use domain::session::{IssuedToken, TokenGeneration, TokenId};
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{AdmissionKeys, InvalidAdmissionKey};
use crate::http::error::ApiError;

/// What a token says. `id` (a number) and `email` are what the original service put in its
/// tokens; `sub`, `iat`, `exp` and `jti` are the registered claims; `gen` is the user's token
/// generation when it was issued (a password change moves it on, ending older tokens).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub id: i64,
    pub sub: String,
    pub email: String,
    pub iat: u64,
    pub exp: u64,
    /// 32 hex digits, drawn at random: what a logout revokes.
    pub jti: String,
    pub r#gen: u32,
}

/// How far the clocks of several instances may disagree.
const LEEWAY_SECONDS: u64 = 5;

/// One HMAC key and the id tokens signed with it carry in their `kid` header.
struct Key {
    id: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Key {
    /// The id is derived from the secret (an HMAC of a fixed label, cut to 64 bits), so every
    /// instance given the same secret names it alike, and the id tells nothing about the secret.
    fn new(secret: &[u8]) -> Self {
        let id = Hmac::<Sha256>::new_from_slice(secret).map_or_else(
            |_| String::new(),
            |mut mac| {
                mac.update(b"ticketing token key id");
                mac.finalize().into_bytes().iter().take(8).map(|b| format!("{b:02x}")).collect()
            },
        );
        Self { id, encoding: EncodingKey::from_secret(secret), decoding: DecodingKey::from_secret(secret) }
    }
}

/// Issues and checks HS256 tokens. Only HS256 is accepted, so `alg: none` and algorithm
/// confusion are refused by construction.
///
/// One key signs (`JWT_SECRET`); earlier ones (`JWT_PREVIOUS_SECRETS`) still verify what they
/// signed until it expires, so a key can be rotated without signing everyone out. A token's
/// `kid` picks its key: one signature check per token, however many keys are kept.
pub struct TokenService {
    signing: Key,
    previous: Vec<Key>,
    validation: Validation,
    ttl: Duration,
    /// The admission tokens' key when none is configured, derived from the signing secret.
    admission_seed: [u8; 32],
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("ttl", &self.ttl)
            .field("key_ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

fn seconds_now() -> Result<u64, ApiError> {
    Ok(SystemTime::now().duration_since(UNIX_EPOCH).map_err(|e| ApiError::Internal(Box::new(e)))?.as_secs())
}

impl TokenService {
    /// Signs with `secret`; also verifies tokens signed with any of `previous`.
    #[must_use]
    pub fn new(secret: &[u8], previous: &[&[u8]], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "iat", "sub", "jti"]);
        validation.validate_nbf = true;
        // Clocks of several instances may differ a little; not by more than this.
        validation.leeway = LEEWAY_SECONDS;
        let signing = Key::new(secret);
        let previous =
            previous.iter().map(|secret| Key::new(secret)).filter(|key| key.id != signing.id).collect();
        Self { signing, previous, validation, ttl, admission_seed: super::seed_from(secret) }
    }

    /// The admission tokens' keys derived from the signing secret (`crate::http::auth::AdmissionKeys`).
    ///
    /// # Errors
    /// [`InvalidAdmissionKey`] if the derived key cannot be used.
    pub fn admission_keys(&self) -> Result<AdmissionKeys, InvalidAdmissionKey> {
        AdmissionKeys::from_seed(&self.admission_seed)
    }

    /// The ids of the keys that verify, the signing key's first (for the start-up log).
    #[must_use]
    pub fn key_ids(&self) -> Vec<&str> {
        std::iter::once(&self.signing).chain(&self.previous).map(|key| key.id.as_str()).collect()
    }

    /// A token for a signed-in user, valid for the configured lifetime, with a fresh id.
    ///
    /// # Errors
    /// `ApiError::Internal` if signing fails.
    pub fn issue(&self, signed_in: &SignedIn) -> Result<String, ApiError> {
        let iat = seconds_now()?;
        let user = &signed_in.user;
        let claims = Claims {
            id: user.id.get(),
            sub: user.id.to_string(),
            email: user.email.to_string(),
            iat,
            exp: iat + self.ttl.as_secs(),
            jti: TokenId::from_bits(uuid::Uuid::new_v4().as_u128()).to_string(),
            r#gen: signed_in.token_generation.get(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.signing.id.clone());
        encode(&header, &claims, &self.signing.encoding).map_err(|e| ApiError::Internal(Box::new(e)))
    }

    /// What a valid token says about itself. Whether it is revoked, and whether its user still
    /// exists, is the caller's check.
    ///
    /// Beyond the signature and expiry, a token must look like one this service issued (defence
    /// in depth, should a key ever leak): a `kid` naming one of our keys, issued no later than
    /// now, living no longer than the configured lifetime, not valid only from a later time,
    /// and with no `crit` header (no extension this service would have to understand).
    ///
    /// # Errors
    /// `ApiError::Unauthenticated` for anything but such an HS256 token signed with one of
    /// our keys whose `id` and `sub` agree.
    pub fn verify(&self, token: &str) -> Result<IssuedToken, ApiError> {
        let header = decode_header(token).map_err(|_| ApiError::Unauthenticated)?;
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| std::iter::once(&self.signing).chain(&self.previous).find(|key| key.id == kid))
            .ok_or(ApiError::Unauthenticated)?;
        let token = decode::<Claims>(token, &key.decoding, &self.validation)
            .map_err(|_| ApiError::Unauthenticated)?;
        // jsonwebtoken parses `crit` (RFC 7515 4.1.11) but leaves it to us: a verifier that does
        // not understand the extensions named must refuse the token, and this one knows none.
        if token.header.crit.is_some() {
            return Err(ApiError::Unauthenticated);
        }
        let claims = token.claims;
        let now = seconds_now()?;
        let issued_in_the_future = claims.iat > now + LEEWAY_SECONDS;
        let lives_too_long = claims.exp.saturating_sub(claims.iat) > self.ttl.as_secs();
        if issued_in_the_future || lives_too_long || claims.sub != claims.id.to_string() {
            return Err(ApiError::Unauthenticated);
        }
        Ok(IssuedToken {
            id: claims.jti.parse().map_err(|_| ApiError::Unauthenticated)?,
            user: UserId::new(claims.id).map_err(|_| ApiError::Unauthenticated)?,
            generation: TokenGeneration::new(claims.r#gen),
            expires_at: i64::try_from(claims.exp)
                .ok()
                .and_then(|exp| DateTime::from_timestamp(exp, 0))
                .ok_or(ApiError::Unauthenticated)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use domain::{EmailAddress, NonEmptyText, User};

    use super::*;

    const SECRET: &[u8] = b"a-test-secret-of-some-length";

    fn jane() -> SignedIn {
        SignedIn {
            user: User {
                id: UserId::new(3).unwrap(),
                email: EmailAddress::parse("jane@doe.com").unwrap(),
                first_name: NonEmptyText::parse("Jane").unwrap(),
                last_name: NonEmptyText::parse("Doe").unwrap(),
            },
            token_generation: TokenGeneration::new(2),
        }
    }

    fn service() -> TokenService {
        TokenService::new(SECRET, &[], Duration::from_secs(3600))
    }

    #[test]
    fn an_issued_token_names_its_user_generation_and_a_fresh_id() {
        let tokens = service();
        let (first, second) = (tokens.issue(&jane()).unwrap(), tokens.issue(&jane()).unwrap());
        let (a, b) = (tokens.verify(&first).unwrap(), tokens.verify(&second).unwrap());
        assert_eq!((a.user, a.generation), (jane().user.id, TokenGeneration::new(2)));
        assert_ne!(a.id, b.id, "every token has its own id");
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = TokenService::new(b"another-secret-entirely", &[], Duration::from_secs(60))
            .issue(&jane())
            .unwrap();
        assert!(matches!(service().verify(&token), Err(ApiError::Unauthenticated)));
    }

    #[test]
    fn a_previous_key_still_verifies_and_a_retired_one_does_not() {
        let old = TokenService::new(b"the-secret-of-last-month", &[], Duration::from_secs(3600));
        let token = old.issue(&jane()).unwrap();
        let rotated = TokenService::new(SECRET, &[b"the-secret-of-last-month"], Duration::from_secs(3600));

        assert_eq!(rotated.verify(&token).unwrap().user, jane().user.id);
        assert!(matches!(service().verify(&token), Err(ApiError::Unauthenticated)));
        assert_eq!(rotated.key_ids().len(), 2);
        assert_eq!(rotated.key_ids()[0], service().key_ids()[0], "the same secret, the same id everywhere");
    }

    fn signed(header: &serde_json::Value, claims: &serde_json::Value) -> String {
        let encode_part = |v: &serde_json::Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let message = format!("{}.{}", encode_part(header), encode_part(claims));
        let key = EncodingKey::from_secret(SECRET);
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::HS256).unwrap();
        format!("{message}.{signature}")
    }

    fn now() -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
    }

    fn header() -> serde_json::Value {
        serde_json::json!({"alg": "HS256", "typ": "JWT", "kid": service().key_ids()[0]})
    }

    fn claims(iat: u64, exp: u64) -> serde_json::Value {
        serde_json::json!({"id": 3, "sub": "3", "email": "jane@doe.com", "iat": iat, "exp": exp,
                           "jti": "00112233445566778899aabbccddeeff", "gen": 0})
    }

    #[test]
    fn a_hand_signed_token_like_ours_is_accepted() {
        let token = signed(&header(), &claims(now(), now() + 600));
        assert_eq!(service().verify(&token).unwrap().user, jane().user.id);
    }

    #[test]
    fn a_token_without_our_kid_or_without_an_id_is_refused() {
        let mut no_kid = header();
        no_kid.as_object_mut().unwrap().remove("kid");
        let mut unknown_kid = header();
        unknown_kid["kid"] = serde_json::json!("0123456789abcdef");
        let mut no_jti = claims(now(), now() + 600);
        no_jti.as_object_mut().unwrap().remove("jti");
        let mut bad_jti = claims(now(), now() + 600);
        bad_jti["jti"] = serde_json::json!("not-hex");
        for (what, token) in [
            ("no kid", signed(&no_kid, &claims(now(), now() + 600))),
            ("unknown kid", signed(&unknown_kid, &claims(now(), now() + 600))),
            ("no jti", signed(&header(), &no_jti)),
            ("bad jti", signed(&header(), &bad_jti)),
        ] {
            assert!(matches!(service().verify(&token), Err(ApiError::Unauthenticated)), "{what}");
        }
    }

    #[test]
    fn tokens_from_the_future_living_too_long_or_with_critical_extensions_are_refused() {
        let future = signed(&header(), &claims(now() + 600, now() + 1200));
        let eternal = signed(&header(), &claims(now(), 253_402_300_799));
        let mut not_yet = claims(now(), now() + 600);
        not_yet["nbf"] = serde_json::json!(now() + 300);
        let not_yet = signed(&header(), &not_yet);
        let mut critical_header = header();
        critical_header["crit"] = serde_json::json!(["exp"]);
        let critical = signed(&critical_header, &claims(now(), now() + 600));
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
