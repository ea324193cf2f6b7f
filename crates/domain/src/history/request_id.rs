use std::fmt;
use std::sync::Arc;

/// The id of the request that made a change, as its `x-request-id` says: 1 to 128 letters,
/// digits and `-`, `_`, `.`, `:`, `~` (what UUIDs and trace ids are made of), so that a history
/// entry can be found in the logs and a log line in the history — and no e-mail address or
/// other text a client might put there is kept in history, which nothing may delete. Cheap to
/// clone.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

/// A request id that is empty, too long, or has a character other than those allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a request id is 1 to 128 letters, digits and - _ . : ~")]
pub struct InvalidRequestId;

impl RequestId {
    /// The longest id kept.
    pub const MAX_LEN: usize = 128;

    /// Checks `raw`.
    ///
    /// # Errors
    /// [`InvalidRequestId`] unless it is 1 to 128 of the characters allowed.
    pub fn parse(raw: &str) -> Result<Self, InvalidRequestId> {
        let visible = raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:~".contains(&b));
        if raw.is_empty() || raw.len() > Self::MAX_LEN || !visible {
            return Err(InvalidRequestId);
        }
        Ok(Self(raw.into()))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_is_short_visible_ascii() {
        assert_eq!(RequestId::parse("abc-123_x.y").map(|r| r.to_string()), Ok("abc-123_x.y".to_owned()));
        assert!(RequestId::parse(&"x".repeat(128)).is_ok());
        for bad in ["", "two words", "tab\t", "é", "ann@example.com", "a/b", &"x".repeat(129)] {
            assert_eq!(RequestId::parse(bad), Err(InvalidRequestId), "{bad:?}");
        }
    }
}
