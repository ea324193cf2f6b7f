use std::fmt;

/// An e-mail address, trimmed and lower-cased so that `John@Doe.com` and `john@doe.com` are one
/// account.
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
    /// space and at most [`EmailAddress::MAX_LEN`] bytes.
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let normalised = raw.trim().to_lowercase();
        let valid = normalised.len() <= Self::MAX_LEN
            && !normalised.chars().any(|c| c.is_whitespace() || c.is_control())
            && normalised.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && domain.split('.').all(|label| !label.is_empty())
            });
        if valid { Ok(Self(normalised)) } else { Err(EmailError(raw.to_owned())) }
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
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
    fn an_overlong_address_is_rejected() {
        let raw = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(EmailAddress::parse(&raw).is_err());
    }
}
