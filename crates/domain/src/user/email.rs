use std::fmt;

use unicode_normalization::UnicodeNormalization as _;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};
use unicode_security::MixedScript as _;

/// An e-mail address as one person reads it: trimmed, NFKC-normalised and lower-cased, so that
/// `John@Doe.com`, `john@doe.com` and the full-width `ｊｏｈｎ@doe.com` are one account; with no
/// invisible characters (zero-width spaces, bidirectional overrides) and a local part in one
/// script, so that `јohn@doe.com` with a Cyrillic `ј` cannot pass for John's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Text that does not look like `local@domain.tld`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid email address")]
pub struct EmailError(pub String);

impl EmailAddress {
    /// RFC 5321's limit on a forward path.
    pub const MAX_LEN: usize = 254;

    /// Checks the shape that matters for delivery and uniqueness; not a full RFC 5322 parser.
    ///
    /// # Errors
    /// [`EmailError`] unless the text is one `local@domain` with a dotted domain, no white
    /// space, control or format character, a local part in one script, and at most
    /// [`EmailAddress::MAX_LEN`] bytes once normalised.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        // Lower-casing can undo a normal form (`İ` becomes `i` and a combining dot): normalise
        // on both sides of it.
        let normalised: String = raw.trim().nfkc().collect::<String>().to_lowercase().nfkc().collect();
        let valid = normalised.len() <= Self::MAX_LEN
            && !normalised.chars().any(|c| {
                c.is_whitespace() || c.is_control() || c.general_category() == GeneralCategory::Format
            })
            && normalised.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && local.is_single_script()
                    && !domain.contains('@')
                    && domain.contains('.')
                    && domain.split('.').all(|label| !label.is_empty())
            });
        if valid { Ok(Self(normalised)) } else { Err(EmailError(raw.to_owned())) }
    }

    /// An address as an earlier version stored it: checked for its shape only (one
    /// `local@domain`, no white space or control character), not for the rules added since
    /// (normal form, invisible characters, one script), so that an account made before a rule
    /// stays readable. Input from a client always goes through [`EmailAddress::parse`].
    ///
    /// # Errors
    /// [`EmailError`] when the text is not an address at all.
    pub fn from_stored(stored: &str) -> Result<Self, EmailError> {
        let shaped = !stored.is_empty()
            && stored.len() <= Self::MAX_LEN * 4
            && !stored.chars().any(|c| c.is_whitespace() || c.is_control())
            && stored.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
        if shaped { Ok(Self(stored.to_owned())) } else { Err(EmailError(stored.to_owned())) }
    }

    #[must_use]
    /// The normalised address, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@` (lower-case, as the whole address is).
    #[must_use]
    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or(self.0.as_str(), |(local, _)| local)
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_trimmed_and_lower_cased() {
        assert_eq!(
            EmailAddress::parse(" KaneelDias@Gmail.com ").map(|e| e.as_str().to_owned()),
            Ok("kaneeldias@gmail.com".to_owned())
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for raw in [
            "",
            "john",
            "john@",
            "@doe.com",
            "john@doe",
            "john@@doe.com",
            "jo hn@doe.com",
            "john@doe..com",
            "john@.com",
        ] {
            assert!(EmailAddress::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn compatibility_forms_are_the_address_they_look_like() {
        for raw in ["ｊｏｈｎ@doe.com", "JOHN@DOE.COM", "ｊｏｈｎ@ｄｏｅ.ｃｏｍ"] {
            assert_eq!(EmailAddress::parse(raw).map(|e| e.0), Ok("john@doe.com".to_owned()), "{raw:?}");
        }
    }

    #[test]
    fn invisible_characters_and_mixed_scripts_are_refused() {
        for raw in [
            "john\u{200b}@doe.com",
            "\u{202e}john@doe.com",
            "jo\u{2060}hn@doe.com",
            "jo\u{feff}hn@doe.com",
            "j\u{0441}hn@doe.com",
            "\u{0458}ohn@doe.com",
        ] {
            assert!(EmailAddress::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn an_address_in_one_other_script_is_welcome() {
        for raw in ["иван@пример.рф", "δοκιμή@example.com", "用户@例子.广告", "jörg@müller.de"]
        {
            assert!(EmailAddress::parse(raw).is_ok(), "{raw:?} was refused");
        }
    }

    #[test]
    fn a_stored_address_made_before_a_rule_stays_readable_but_garbage_does_not() {
        let stored = "j\u{0441}hn@doe.com";
        assert!(EmailAddress::parse(stored).is_err());
        assert_eq!(EmailAddress::from_stored(stored).map(|e| e.0), Ok(stored.to_owned()));
        for garbage in ["", "no-at-sign", "@doe.com", "john@", "jo hn@doe.com"] {
            assert!(EmailAddress::from_stored(garbage).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn an_overlong_address_is_rejected() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(EmailAddress::parse(&raw).is_err());
    }
}
