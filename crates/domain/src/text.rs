//! Free text that a record cannot do without (an event's name, a user's first name).

use std::fmt;

/// Trimmed text with at least one character and at most [`NonEmptyText::MAX_CHARS`], and no
/// NUL character (which no PostgreSQL `text` can hold, and no person types).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NonEmptyText(String);

/// Why text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing but white space.
    #[error("must not be empty")]
    Empty,
    /// Longer than [`NonEmptyText::MAX_CHARS`] characters.
    #[error("must be at most {} characters", NonEmptyText::MAX_CHARS)]
    TooLong,
    /// Holds the NUL character.
    #[error("must not contain the NUL character")]
    Nul,
}

impl NonEmptyText {
    /// Generous for a description, small enough that no row grows without bound.
    pub const MAX_CHARS: usize = 5_000;

    /// Trims `raw` and checks its length.
    ///
    /// # Errors
    /// [`TextError::Empty`], [`TextError::TooLong`] or [`TextError::Nul`].
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            Err(TextError::Empty)
        } else if trimmed.chars().count() > Self::MAX_CHARS {
            Err(TextError::TooLong)
        } else if trimmed.contains('\0') {
            Err(TextError::Nul)
        } else {
            Ok(Self(trimmed.to_owned()))
        }
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text, consuming the value.
    #[must_use]
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for NonEmptyText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed() {
        assert_eq!(
            NonEmptyText::parse("  Colombo \n").map(NonEmptyText::into_inner),
            Ok("Colombo".to_owned())
        );
    }

    #[test]
    fn blank_text_is_rejected() {
        assert_eq!(NonEmptyText::parse(" \t "), Err(TextError::Empty));
    }

    #[test]
    fn text_with_a_nul_character_is_rejected() {
        assert_eq!(NonEmptyText::parse("Ja\0ne"), Err(TextError::Nul));
    }

    #[test]
    fn text_longer_than_the_limit_is_rejected() {
        let long = "é".repeat(NonEmptyText::MAX_CHARS + 1);
        assert_eq!(NonEmptyText::parse(&long), Err(TextError::TooLong));
        let longest = "é".repeat(NonEmptyText::MAX_CHARS);
        assert!(NonEmptyText::parse(&longest).is_ok());
    }
}
