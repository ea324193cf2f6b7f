//! Who signs tokens, how long they live, and how much password hashing an instance does.

use std::time::Duration;

use base64::Engine as _;
use infra_argon2::HashingLimits;

use super::ConfigError;
use super::vars::{Vars, invalid};
use crate::secret::Secret;

/// The authentication settings.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// `JWT_SECRET`: required to serve with `DATABASE_URL`; the embedded default keeps one in
    /// its data directory.
    pub jwt_secret: Option<Secret>,
    /// `JWT_PREVIOUS_SECRETS`, comma-separated: keys that no longer sign but still verify the
    /// tokens they signed, so that `JWT_SECRET` can be rotated without signing everyone out.
    pub jwt_previous_secrets: Vec<Secret>,
    /// `JWT_TTL`, seconds (or `30m`, `1h`), default one hour.
    pub jwt_ttl: Duration,
    /// `HASHING_SLOTS`, `HASHING_QUEUE`, `HASHING_WAIT_MS`: password hashes computed at once
    /// (default: one per core), requests that may wait for one (default 32 per slot), and how
    /// long (default 3000 ms); beyond either, 503 with `Retry-After`.
    pub hashing: HashingLimits,
    /// `ADMISSION_SIGNING_KEY`: the waiting room's admission tokens' Ed25519 private key, 32
    /// bytes in base64. Unset, it is derived from the signing secret (which every instance on
    /// one database shares); set it to publish a key that outlives a `JWT_SECRET` rotation.
    pub admission_key: Option<AdmissionSeed>,
}

/// An Ed25519 private key's 32 bytes; `Debug` prints a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct AdmissionSeed(pub [u8; 32]);

impl std::fmt::Debug for AdmissionSeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdmissionSeed(<redacted>)")
    }
}

impl AuthConfig {
    pub(super) fn read(vars: &Vars<'_>) -> Result<Self, ConfigError> {
        let jwt_secret = vars.secret("JWT_SECRET");
        if jwt_secret.as_ref().is_some_and(|s| s.expose().len() < 16) {
            return Err(invalid("JWT_SECRET", "<redacted>", "use at least 16 characters"));
        }
        let jwt_previous_secrets: Vec<Secret> = vars
            .get("JWT_PREVIOUS_SECRETS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Secret::new(s.to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if jwt_previous_secrets.iter().any(|s| s.expose().len() < 16) {
            return Err(invalid("JWT_PREVIOUS_SECRETS", "<redacted>", "use at least 16 characters for each"));
        }
        let admission_key = vars
            .secret("ADMISSION_SIGNING_KEY")
            .map(|key| {
                base64::engine::general_purpose::STANDARD
                    .decode(key.expose().trim())
                    .ok()
                    .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                    .map(AdmissionSeed)
                    .ok_or_else(|| {
                        invalid("ADMISSION_SIGNING_KEY", "<redacted>", "use 32 bytes, base64-encoded")
                    })
            })
            .transpose()?;
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let slots = vars.at_least_one("HASHING_SLOTS", cores)?;
        Ok(Self {
            jwt_secret,
            jwt_previous_secrets,
            jwt_ttl: vars.duration("JWT_TTL", Duration::from_secs(3600))?,
            hashing: HashingLimits {
                slots,
                queue: vars.parsed("HASHING_QUEUE", slots * 32)?,
                wait: vars.positive_millis("HASHING_WAIT_MS", 3000)?,
            },
            admission_key,
        })
    }

    /// The key to sign tokens with: `JWT_SECRET` when set, else the embedded database's own.
    ///
    /// # Errors
    /// [`ConfigError::Missing`] with `DATABASE_URL` but no `JWT_SECRET`: every instance on a
    /// shared database must sign with the same key, and a default would let anyone forge
    /// tokens.
    pub fn signing_secret(&self, embedded: Option<&Secret>) -> Result<Secret, ConfigError> {
        self.jwt_secret.as_ref().or(embedded).cloned().ok_or(ConfigError::Missing {
            var: "JWT_SECRET",
            reason: "to serve with DATABASE_URL (at least 16 characters)",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;
    use super::*;

    #[test]
    fn previous_secrets_are_a_comma_separated_list_of_long_enough_keys() {
        let c = config(&[("JWT_PREVIOUS_SECRETS", "first-old-secret-xx, second-old-secret-y,")]).unwrap();
        let listed: Vec<&str> = c.auth.jwt_previous_secrets.iter().map(Secret::expose).collect();
        assert_eq!(listed, ["first-old-secret-xx", "second-old-secret-y"]);
        let err = config(&[("JWT_PREVIOUS_SECRETS", "first-old-secret-xx,short")]).unwrap_err().to_string();
        assert!(err.starts_with("JWT_PREVIOUS_SECRETS is invalid") && !err.contains("short"), "{err}");
        assert!(config(&[]).unwrap().auth.jwt_previous_secrets.is_empty());
    }

    #[test]
    fn an_admission_key_is_32_bytes_of_base64() {
        let key =
            config(&[("ADMISSION_SIGNING_KEY", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")]).unwrap();
        assert_eq!(key.auth.admission_key, Some(AdmissionSeed([1; 32])));
        let err = config(&[("ADMISSION_SIGNING_KEY", "c2hvcnQ=")]).unwrap_err().to_string();
        assert!(err.starts_with("ADMISSION_SIGNING_KEY is invalid") && !err.contains("c2hvcnQ"), "{err}");
        assert_eq!(config(&[]).unwrap().auth.admission_key, None);
    }

    #[test]
    fn a_short_jwt_secret_is_refused() {
        let err = config(&[("JWT_SECRET", "short")]).unwrap_err();
        assert!(err.to_string().starts_with("JWT_SECRET is invalid"), "{err}");
        assert!(config(&[("JWT_SECRET", "a-long-enough-secret")]).is_ok());
    }

    #[test]
    fn token_lifetimes_accept_units() {
        let ttl = |v: &str| config(&[("JWT_TTL", v)]).map(|c| c.auth.jwt_ttl);
        assert_eq!(ttl("90").unwrap(), Duration::from_secs(90));
        assert_eq!(ttl("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(ttl("2h").unwrap(), Duration::from_secs(7200));
        assert!(ttl("0").is_err());
    }

    #[test]
    fn serving_an_external_database_needs_a_jwt_secret_of_its_own() {
        let without = config(&[("DATABASE_URL", "postgres://x/y")]).unwrap().auth;
        let with = config(&[("DATABASE_URL", "postgres://x/y"), ("JWT_SECRET", "a-long-enough-secret")])
            .unwrap()
            .auth;
        let embedded = Secret::new("the-embedded-databases-own-key".to_owned());

        assert!(matches!(without.signing_secret(None), Err(ConfigError::Missing { var: "JWT_SECRET", .. })));
        assert_eq!(with.signing_secret(None).unwrap().expose(), "a-long-enough-secret");
        assert_eq!(with.signing_secret(Some(&embedded)).unwrap().expose(), "a-long-enough-secret");
        assert_eq!(config(&[]).unwrap().auth.signing_secret(Some(&embedded)).unwrap(), embedded);
    }
}
