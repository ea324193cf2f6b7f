//! Text that must not appear in logs or `Debug` output (database passwords, signing keys, the
//! metrics token).

use std::fmt;

/// A secret value; `Debug` prints a placeholder, and the value is read only through
/// [`Secret::expose`], so every use is a visible choice.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    #[must_use]
    pub const fn new(value: String) -> Self {
        Self(value)
    }

    /// The value itself, for the one place that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}
