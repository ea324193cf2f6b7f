use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, web};
use domain::UserId;
use domain::session::IssuedToken;

use super::Authenticator;
use crate::http::error::ApiError;

/// The authenticated user making the request. Taking it as a handler argument makes the
/// endpoint protected.
///
/// Accepts `Authorization: <token>` (the original service's form) and `Authorization: Bearer
/// <token>`. The token must be valid, not revoked, and name a user who exists
/// ([`Authenticator`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller(IssuedToken);

impl Caller {
    #[must_use]
    pub const fn id(self) -> UserId {
        self.0.user
    }

    /// The token the request presented (what a logout revokes).
    #[must_use]
    pub const fn token(self) -> IssuedToken {
        self.0
    }
}

/// A token a middleware already verified and admitted for this request (the rate limiter does,
/// to key on its user), so that the extractor does not check it again.
#[derive(Debug, Clone, Copy)]
pub struct Admitted(pub IssuedToken);

/// The token in an `Authorization` header value, with or without the `Bearer` scheme.
pub fn bearer_token(header: &str) -> Option<&str> {
    let header = header.trim();
    let token = match header.split_once(char::is_whitespace) {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
        Some(_) => return None,
        None if header.eq_ignore_ascii_case("bearer") => return None,
        None => header,
    };
    (!token.is_empty()).then_some(token)
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let auth = req.app_data::<web::Data<Authenticator>>().cloned();
        let admitted = req.extensions().get::<Admitted>().copied();
        let token = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .map(str::to_owned);
        Box::pin(async move {
            let auth = auth.ok_or_else(|| ApiError::Internal("authentication is not configured".into()))?;
            if let Some(Admitted(token)) = admitted {
                return Ok(Self(token));
            }
            let token = token.ok_or(ApiError::Unauthenticated)?;
            auth.authenticate(&token).await.map(Self)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn both_header_forms_yield_the_token() {
        assert_eq!(bearer_token("abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("Bearer abc.def.ghi"), Some("abc.def.ghi"));
        assert_eq!(bearer_token("bearer  abc.def.ghi "), Some("abc.def.ghi"));
    }

    #[test]
    fn other_schemes_and_empty_values_yield_nothing() {
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token(""), None);
    }
}
