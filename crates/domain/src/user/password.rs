use std::fmt;

use crate::error::BoxError;

/// A new password that meets the policy. Its `Debug` never shows the text.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

/// A password typed at login. No policy applies (refusing a short one would tell an attacker
/// the policy, and old accounts may predate it), only a size cap against hashing huge inputs.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordAttempt(String);

/// A password hash in PHC string format (`$argon2id$v=19$…`), as the hasher made it.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("password must be at least {} characters", Password::MIN_CHARS)]
    TooShort,
    /// Over [`Password::MAX_CHARS`] characters for a new password, over [`Password::MAX_BYTES`]
    /// bytes for an attempt.
    #[error("password is too long")]
    TooLong,
}

/// The password hasher failed (not: the password was wrong).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError(#[source] pub BoxError);

impl Password {
    pub const MIN_CHARS: usize = 8;
    /// Nobody types more; counted in characters, as a client's schema (`maxLength`) counts
    /// them, and at four bytes a character at most, never more than [`Password::MAX_BYTES`].
    pub const MAX_CHARS: usize = 256;
    /// Hashing cost grows with input: what a login attempt may send.
    pub const MAX_BYTES: usize = 1024;

    /// # Errors
    /// [`PasswordError`] when shorter than [`Password::MIN_CHARS`] or longer than
    /// [`Password::MAX_CHARS`] characters.
    pub fn new(raw: String) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(raw))
        }
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl PasswordAttempt {
    /// # Errors
    /// [`PasswordError::TooLong`] beyond [`Password::MAX_BYTES`] bytes.
    pub fn new(raw: String) -> Result<Self, PasswordError> {
        if raw.len() > Password::MAX_BYTES { Err(PasswordError::TooLong) } else { Ok(Self(raw)) }
    }

    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl PasswordHash {
    /// Wraps a stored hash; the hasher is what checks its format when verifying.
    #[must_use]
    pub const fn new(phc: String) -> Self {
        Self(phc)
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl fmt::Debug for PasswordAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordAttempt(<redacted>)")
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_of_eight_characters_is_accepted() {
        assert!(Password::new("abcd@123".to_owned()).is_ok());
        assert!(Password::new("ééééééé€".to_owned()).is_ok());
    }

    #[test]
    fn a_shorter_password_is_rejected() {
        assert_eq!(Password::new("abc@123".to_owned()), Err(PasswordError::TooShort));
    }

    #[test]
    fn an_enormous_password_is_rejected() {
        assert_eq!(Password::new("x".repeat(257)), Err(PasswordError::TooLong));
        assert!(Password::new("\u{1f600}".repeat(256)).is_ok(), "256 characters of four bytes each");
        assert_eq!(PasswordAttempt::new("x".repeat(1025)), Err(PasswordError::TooLong));
    }

    #[test]
    fn a_login_attempt_may_be_short() {
        assert!(PasswordAttempt::new("abc".to_owned()).is_ok());
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let password = Password::new("hunter2hunter2".to_owned()).map(|p| format!("{p:?}"));
        let attempt = PasswordAttempt::new("hunter2hunter2".to_owned()).map(|p| format!("{p:?}"));
        let hash = format!("{:?}", PasswordHash::new("$argon2id$secret".to_owned()));
        for shown in [password.unwrap_or_default(), attempt.unwrap_or_default(), hash] {
            assert!(!shown.contains("hunter2") && !shown.contains("secret"), "{shown}");
            assert!(shown.contains("redacted"));
        }
    }
}
