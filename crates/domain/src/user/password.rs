use std::collections::HashSet;
use std::fmt;
use std::sync::LazyLock;

use super::EmailAddress;
use crate::error::BoxError;

/// The passwords people choose most often, lower-cased, 8 characters or more (shorter ones are
/// refused by length): the 20 000-entry list Django's `CommonPasswordValidator` ships (BSD
/// licence; compiled by Royce Williams from breach corpora), cut to those lengths. A list
/// rather than an estimator such as zxcvbn: it refuses exactly what attackers try first, costs
/// one hash lookup, and says plainly why a password was refused.
static COMMON: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("common-passwords.txt").lines().collect());

/// A local part shorter than this is too likely to occur in a password by chance.
const LOCAL_PART_MIN_CHARS: usize = 3;

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
    /// Fewer than [`Password::MIN_CHARS`] characters.
    TooShort,
    /// Over [`Password::MAX_CHARS`] characters for a new password, over [`Password::MAX_BYTES`]
    /// bytes for an attempt.
    #[error("password is too long")]
    TooLong,
    /// Among the passwords attackers try first, compared case-insensitively.
    #[error("password is one of the most commonly used")]
    Common,
    /// Contains the name part of the account's e-mail address.
    #[error("password contains the e-mail address's name")]
    ContainsEmail,
}

/// The password hasher did not answer (not: the password was wrong).
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// Every hashing slot is taken and the queue for them is full, or the wait for one ran
    /// out: retrying in a moment may work. Hashing is bounded so that a login storm costs a
    /// known amount of memory and CPU and is answered, rather than starving everything else.
    #[error("every password hashing slot is busy")]
    Busy,
    /// The hasher failed: a stored hash it cannot read, or its backend broke.
    #[error("password hashing failed")]
    Failed(#[source] BoxError),
}

impl Password {
    /// The shortest password accepted.
    pub const MIN_CHARS: usize = 8;
    /// Nobody types more; counted in characters, as a client's schema (`maxLength`) counts
    /// them, and at four bytes a character at most, never more than [`Password::MAX_BYTES`].
    pub const MAX_CHARS: usize = 256;
    /// Hashing cost grows with input: what a login attempt may send.
    pub const MAX_BYTES: usize = 1024;

    /// A password for the account at `email`.
    ///
    /// # Errors
    /// [`PasswordError`] when shorter than [`Password::MIN_CHARS`] or longer than
    /// [`Password::MAX_CHARS`] characters, among the most common passwords, or containing the
    /// address's local part (of three characters or more), ignoring case.
    pub fn new(raw: String, email: &EmailAddress) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > Self::MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        let folded = raw.to_lowercase();
        if COMMON.contains(folded.as_str()) {
            return Err(PasswordError::Common);
        }
        let local = email.local_part();
        if local.chars().count() >= LOCAL_PART_MIN_CHARS && folded.contains(local) {
            return Err(PasswordError::ContainsEmail);
        }
        Ok(Self(raw))
    }

    #[must_use]
    /// The password, for the hasher only.
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
    /// The attempt, for the hasher only.
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
    /// The hash in PHC string form.
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

    fn for_jane(raw: &str) -> Result<Password, PasswordError> {
        Password::new(raw.to_owned(), &EmailAddress::parse("jane.doe@example.com").unwrap())
    }

    #[test]
    fn a_password_of_eight_characters_is_accepted() {
        assert!(for_jane("abcd@123").is_ok());
        assert!(for_jane("ééééééé€").is_ok());
    }

    #[test]
    fn a_shorter_password_is_rejected() {
        assert_eq!(for_jane("abc@123"), Err(PasswordError::TooShort));
    }

    #[test]
    fn an_enormous_password_is_rejected() {
        assert_eq!(for_jane(&"x".repeat(257)), Err(PasswordError::TooLong));
        assert!(for_jane(&"\u{1f600}".repeat(256)).is_ok(), "256 characters of four bytes each");
        assert_eq!(PasswordAttempt::new("x".repeat(1025)), Err(PasswordError::TooLong));
    }

    #[test]
    fn the_most_common_passwords_are_refused_in_any_case() {
        for common in ["password", "12345678", "PassWord", "qwertyuiop", "iloveyou"] {
            assert_eq!(for_jane(common), Err(PasswordError::Common), "{common}");
        }
        assert!(for_jane("correct horse battery").is_ok());
    }

    #[test]
    fn a_password_containing_the_addresss_name_is_refused() {
        assert_eq!(for_jane("Jane.Doe1984"), Err(PasswordError::ContainsEmail));
        assert!(for_jane("jane-d0e-1984").is_ok(), "not the whole local part");
        let short = EmailAddress::parse("jo@example.com").unwrap();
        assert!(
            Password::new("jolly-roger-42".to_owned(), &short).is_ok(),
            "a two-letter name is too short to judge"
        );
    }

    #[test]
    fn a_login_attempt_may_be_short() {
        assert!(PasswordAttempt::new("abc".to_owned()).is_ok());
    }

    #[test]
    fn debug_output_never_contains_the_secret() {
        let password = for_jane("hunter2hunter2").map(|p| format!("{p:?}"));
        let attempt = PasswordAttempt::new("hunter2hunter2".to_owned()).map(|p| format!("{p:?}"));
        let hash = format!("{:?}", PasswordHash::new("$argon2id$secret".to_owned()));
        for shown in [password.unwrap_or_default(), attempt.unwrap_or_default(), hash] {
            assert!(!shown.contains("hunter2") && !shown.contains("secret"), "{shown}");
            assert!(shown.contains("redacted"));
        }
    }
}
