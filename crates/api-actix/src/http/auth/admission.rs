//! Admission tokens: what the waiting room hands a user whose place is reached, and what `/book`
//! asks for while the event has a room. Ed25519 JWTs under a key of their own, so that other
//! services (a CDN edge, a separate checkout) can check them with the published public key
//! (`/.well-known/jwks.json`) and never hold anything that could sign one.
//!
//! The key is `ADMISSION_SIGNING_KEY` (32 bytes, base64) when set; otherwise it is derived from
//! the login tokens' signing secret (HMAC-SHA-256 under a label of its own), which every
//! instance on one database already shares. Whether a token has expired is decided by the
//! database's clock ([`domain::room::check_admission`]), not by this instance's.

use chrono::DateTime;
use domain::room::{Admission, AdmissionClaims};
use domain::{EventId, UserId};
use hmac::{Hmac, Mac};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::http::error::ApiError;

/// The header `/book` takes an admission token in.
pub const ADMISSION_TOKEN: &str = "x-admission-token";

/// Who issues admission tokens.
const ISSUER: &str = "ticketing";

/// What the admission key is derived under when it is not configured.
const DERIVATION_LABEL: &[u8] = b"ticketing admission token signing key v1";

/// PKCS#8 v1 for an Ed25519 private key, before its 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX: [u8; 16] =
    [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

/// The private key derived from the login tokens' `secret`: HMAC-SHA-256 of a label of its own.
#[must_use]
pub fn seed_from(secret: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length: the error arm cannot be taken.
    Hmac::<Sha256>::new_from_slice(secret).map_or([0; 32], |mut mac| {
        mac.update(DERIVATION_LABEL);
        mac.finalize().into_bytes().into()
    })
}

/// An admission token's claims: `aud` names the event (`event:<id>`), `sub` the user, `place`
/// the position; `nbf` is when the place was reached.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    place: u64,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// The admission key pair. Cheap to clone.
#[derive(Clone)]
pub struct AdmissionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    public: Jwk,
    validation: Validation,
}

impl std::fmt::Debug for AdmissionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdmissionKeys").field("kid", &self.public.common.key_id).finish_non_exhaustive()
    }
}

/// A configured key that is not 32 bytes of base64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an admission key is 32 bytes, base64-encoded")]
pub struct InvalidAdmissionKey;

impl AdmissionKeys {
    /// The key pair whose private key is `seed`.
    ///
    /// # Errors
    /// [`InvalidAdmissionKey`] if the key cannot be used.
    pub fn from_seed(seed: &[u8; 32]) -> Result<Self, InvalidAdmissionKey> {
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(seed);
        let encoding = EncodingKey::from_ed_der(&der);
        let mut public =
            Jwk::from_encoding_key(&encoding, Algorithm::EdDSA).map_err(|_| InvalidAdmissionKey)?;
        let decoding = DecodingKey::from_jwk(&public).map_err(|_| InvalidAdmissionKey)?;
        // The key's id: the first bytes of the public key's hash, so rotating keys changes it.
        let x = public_key(&public).ok_or(InvalidAdmissionKey)?;
        let digest = Sha256::digest(x.as_bytes());
        public.common.key_id = Some(digest.iter().take(8).map(|b| format!("{b:02x}")).collect());
        public.common.public_key_use = Some(PublicKeyUse::Signature);
        public.common.key_algorithm = Some(KeyAlgorithm::EdDSA);
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_required_spec_claims(&["iss", "aud", "sub", "exp", "nbf"]);
        validation.set_issuer(&[ISSUER]);
        // The event is checked against the request's, and expiry against the database's clock.
        validation.validate_aud = false;
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Ok(Self { encoding, decoding, public, validation })
    }

    /// The key pair derived from the login tokens' `secret`.
    ///
    /// # Errors
    /// [`InvalidAdmissionKey`] if the key cannot be used.
    pub fn derived_from(secret: &[u8]) -> Result<Self, InvalidAdmissionKey> {
        Self::from_seed(&seed_from(secret))
    }

    /// A token for `admission`.
    ///
    /// # Errors
    /// `ApiError::Internal` if signing fails.
    pub fn issue(&self, admission: &Admission) -> Result<String, ApiError> {
        let claims = &admission.claims;
        let body = Claims {
            iss: ISSUER.to_owned(),
            aud: format!("event:{}", claims.event),
            sub: claims.user.to_string(),
            place: claims.position,
            jti: format!("{}:{}", claims.event, claims.position),
            iat: admission.issued_at.timestamp(),
            nbf: admission.reached_at.timestamp(),
            exp: claims.expires_at.timestamp(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid.clone_from(&self.public.common.key_id);
        encode(&header, &body, &self.encoding).map_err(|e| ApiError::Internal(Box::new(e)))
    }

    /// What `token` says if its signature and issuer hold; `None` otherwise.
    #[must_use]
    pub fn verify(&self, token: &str) -> Option<AdmissionClaims> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation).ok()?.claims;
        let event = claims.aud.strip_prefix("event:")?.parse().ok().and_then(|id| EventId::new(id).ok())?;
        let user = claims.sub.parse().ok().and_then(|id| UserId::new(id).ok())?;
        Some(AdmissionClaims {
            event,
            user,
            position: claims.place,
            expires_at: DateTime::from_timestamp(claims.exp, 0)?,
        })
    }

    /// The public key, as a JWK set.
    #[must_use]
    pub fn jwks(&self) -> JwkSet {
        JwkSet { keys: vec![self.public.clone()] }
    }
}

/// An Ed25519 JWK's public key (`x`, base64url).
fn public_key(jwk: &Jwk) -> Option<&str> {
    match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(params) => Some(&params.x),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::*;

    fn admission(event: i64, user: i64) -> Admission {
        let now = Utc::now();
        Admission {
            claims: AdmissionClaims {
                event: EventId::new(event).unwrap(),
                user: UserId::new(user).unwrap(),
                position: 7,
                expires_at: now + Duration::minutes(10),
            },
            issued_at: now,
            reached_at: now,
            first: true,
        }
    }

    #[test]
    fn a_token_verifies_under_its_key_only_and_says_what_it_was_issued_for() {
        let keys = AdmissionKeys::derived_from(b"a-long-enough-secret").unwrap();
        let token = keys.issue(&admission(3, 4)).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!((claims.event.get(), claims.user.get(), claims.position), (3, 4, 7));
        let other = AdmissionKeys::derived_from(b"another-long-secret").unwrap();
        assert_eq!(other.verify(&token), None, "another key's signature");
        let mut tampered = token.clone();
        tampered.insert(token.rfind('.').unwrap() + 2, 'x');
        assert_eq!(keys.verify(&tampered), None);
        assert_eq!(keys.verify("not a token"), None);
    }

    #[test]
    fn the_published_key_is_ed25519_and_the_same_for_the_same_secret() {
        let keys = AdmissionKeys::derived_from(b"a-long-enough-secret").unwrap();
        let published = serde_json::to_value(keys.jwks()).unwrap();
        let key = &published["keys"][0];
        assert_eq!(
            (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        assert!(key.get("d").is_none(), "no private part");
        let again =
            serde_json::to_value(AdmissionKeys::derived_from(b"a-long-enough-secret").unwrap().jwks())
                .unwrap();
        assert_eq!(published, again);
        // A token checked only with what is published.
        let token = keys.issue(&admission(1, 2)).unwrap();
        let jwk: Jwk = serde_json::from_value(key.clone()).unwrap();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&["event:1"]);
        assert!(decode::<Claims>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &validation).is_ok());
    }
}
