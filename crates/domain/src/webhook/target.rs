use std::fmt;

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory as _};

/// Where a webhook posts: an absolute `http` or `https` URL with a host and, if it names one, a
/// port from 1 to 65535, at most [`WebhookUrl::MAX_LEN`] bytes, with no white space, control or
/// format characters (bidirectional overrides and zero-width characters would make the URL an
/// organizer reads in a listing differ from the one posted to). Whether its host may be reached
/// (not a private address) is decided where names are resolved, at creation and again at each
/// delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
/// Why a webhook URL was refused.
pub enum WebhookUrlError {
    #[error("a webhook URL is http or https")]
    /// Neither http nor https.
    Scheme,
    #[error("a webhook URL is at most {max} bytes", max = WebhookUrl::MAX_LEN)]
    /// Longer than [`WebhookUrl::MAX_LEN`].
    TooLong,
    #[error("a webhook URL names a host and has no spaces, control or formatting characters")]
    /// No host, or spaces, control or format characters.
    Malformed,
    #[error("a webhook URL's port is a number from 1 to 65535")]
    /// A port of 0 (which no server listens on: the connection would go wherever the system
    /// sends it), above 65535, or not a number.
    Port,
}

impl WebhookUrl {
    /// The longest URL accepted, in bytes.
    pub const MAX_LEN: usize = 2048;

    /// # Errors
    /// [`WebhookUrlError`] for another scheme, an over-long text, one without a host, with a
    /// port outside 1 to 65535, or with white space, control or format characters.
    pub fn parse(raw: &str) -> Result<Self, WebhookUrlError> {
        if raw.len() > Self::MAX_LEN {
            return Err(WebhookUrlError::TooLong);
        }
        if raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c.general_category() == GeneralCategory::Format)
        {
            return Err(WebhookUrlError::Malformed);
        }
        let lower = raw.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"))
            .ok_or(WebhookUrlError::Scheme)?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        if host.is_empty() || host.starts_with(':') {
            return Err(WebhookUrlError::Malformed);
        }
        // After an IPv6 literal's `]`, or after the last `:` of a name or an IPv4 address.
        let port = match host.rsplit_once(']') {
            Some((_, after)) => after.strip_prefix(':'),
            None => host.rsplit_once(':').map(|(_, port)| port),
        };
        if let Some(port) = port.filter(|p| !p.is_empty()) {
            let valid = port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0);
            if !valid {
                return Err(WebhookUrlError::Port);
            }
        }
        Ok(Self(raw.to_owned()))
    }

    #[must_use]
    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The key deliveries are signed with: [`WebhookSecret::MIN_LEN`] to
/// [`WebhookSecret::MAX_LEN`] random bytes. Its `Debug` shows no byte of it, so it cannot reach
/// a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(Vec<u8>);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a webhook secret is {min} to {max} bytes, got {0}", min = WebhookSecret::MIN_LEN, max = WebhookSecret::MAX_LEN)]
/// A secret whose length, given here, is outside the bounds.
pub struct WebhookSecretError(pub usize);

impl WebhookSecret {
    /// The shortest secret, in bytes.
    pub const MIN_LEN: usize = 24;
    /// The longest secret, in bytes.
    pub const MAX_LEN: usize = 64;

    /// # Errors
    /// [`WebhookSecretError`] for a key of the wrong length.
    pub fn new(bytes: Vec<u8>) -> Result<Self, WebhookSecretError> {
        if (Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            Ok(Self(bytes))
        } else {
            Err(WebhookSecretError(bytes.len()))
        }
    }

    #[must_use]
    /// The secret's bytes, to sign with.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_with_a_host_are_accepted() {
        for url in [
            "https://example.com/hooks",
            "http://127.0.0.1:8080/x?y=1",
            "HTTPS://A.B",
            "https://[2001:db8::1]:443/",
            "https://example.com:/default-port",
            "https://example.com:65535/",
        ] {
            assert_eq!(WebhookUrl::parse(url).map(|u| u.to_string()), Ok(url.to_owned()));
        }
    }

    #[test]
    fn other_schemes_hostless_or_spaced_urls_are_refused() {
        assert_eq!(WebhookUrl::parse("ftp://example.com"), Err(WebhookUrlError::Scheme));
        assert_eq!(WebhookUrl::parse("example.com/hook"), Err(WebhookUrlError::Scheme));
        assert_eq!(WebhookUrl::parse("https:///path"), Err(WebhookUrlError::Malformed));
        assert_eq!(WebhookUrl::parse("https://user@/path"), Err(WebhookUrlError::Malformed));
        assert_eq!(WebhookUrl::parse("https://a b.com"), Err(WebhookUrlError::Malformed));
        assert_eq!(WebhookUrl::parse("https://a.com/\u{0}"), Err(WebhookUrlError::Malformed));
        for formatting in ["\u{202e}", "\u{2066}", "\u{200b}", "\u{feff}", "\u{61c}"] {
            let url = format!("https://a.com/{formatting}gnp.exe");
            assert_eq!(WebhookUrl::parse(&url), Err(WebhookUrlError::Malformed), "{formatting:?}");
        }
        let long = format!("https://a.com/{}", "x".repeat(WebhookUrl::MAX_LEN));
        assert_eq!(WebhookUrl::parse(&long), Err(WebhookUrlError::TooLong));
    }

    #[test]
    fn a_port_is_one_to_65535() {
        for url in [
            "http://example.com:0/",
            "http://example.com:00/",
            "http://user:pw@example.com:0",
            "http://[::1]:0/",
            "http://1.2.3.4:65536/",
            "http://example.com:8o/",
            "http://example.com:-1/",
        ] {
            assert_eq!(WebhookUrl::parse(url), Err(WebhookUrlError::Port), "{url}");
        }
    }

    #[test]
    fn a_secret_has_a_bounded_length_and_never_shows_in_debug() {
        assert_eq!(WebhookSecret::new(vec![1; 10]), Err(WebhookSecretError(10)));
        let secret = WebhookSecret::new(vec![0x41; 32]).unwrap();
        assert_eq!(format!("{secret:?}"), "WebhookSecret(..)");
    }
}
