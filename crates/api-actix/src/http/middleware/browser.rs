//! What web browsers need from the API: CORS for pages on the origins the operator lists, and
//! the headers that keep a browser from misreading, caching, framing or leaking what it gets.

use actix_cors::{Cors, CorsError};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_ORIGIN, AUTHORIZATION, CACHE_CONTROL,
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderName, HeaderValue, REFERRER_POLICY, RETRY_AFTER,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError as _};

use crate::http::error::ApiError;

/// Which web origins may call the API from a browser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CorsOrigins {
    /// None: browsers keep other origins' pages from reading any answer.
    #[default]
    None,
    /// Any origin (`*`): for a public API called without credentials.
    Any,
    /// Exactly these, each `scheme://host[:port]`.
    Listed(Vec<String>),
}

/// What pages on other origins may do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsPolicy {
    /// Who may call.
    pub origins: CorsOrigins,
    /// Whether their pages may send cookies and client certificates (never with
    /// [`CorsOrigins::Any`]).
    pub allow_credentials: bool,
}

/// How long a browser may reuse a preflight answer.
const PREFLIGHT_MAX_AGE_SECONDS: usize = 3600;

/// Every answer but the documentation's: JSON that no browser should render, frame or cache.
const API_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// The Swagger UI at `/docs`: its own scripts, styles and images only (it sets inline styles
/// and draws icons from `data:` URIs), calls to this origin only, never framed.
const DOCS_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The queue page (`GET /events/{id}/queue` in a browser) and its assets: its own script and
/// style sheet only, calls to this origin only, never framed; no inline script or style.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A year, with subdomains: what `HSTS=true` asks browsers to remember.
const HSTS_VALUE: &str = "max-age=31536000; includeSubDomains";

/// The CORS middleware for `policy`. With no origins configured it is built but switched off
/// (see [`cors_enabled`]), so that a same-origin page such as `/docs` is never refused.
///
/// A page on an origin not listed gets no CORS headers (its browser then withholds the
/// answer); only its preflight is answered with a JSON 400.
pub fn cors(policy: &CorsPolicy) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allowed_headers([
            AUTHORIZATION,
            CONTENT_TYPE,
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
            HeaderName::from_static(crate::http::auth::ADMISSION_TOKEN),
        ])
        .expose_headers([
            RETRY_AFTER,
            HeaderName::from_static("ratelimit-limit"),
            HeaderName::from_static("ratelimit-remaining"),
            HeaderName::from_static("ratelimit-reset"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(PREFLIGHT_MAX_AGE_SECONDS)
        .block_on_origin_mismatch(false);
    match &policy.origins {
        CorsOrigins::None => {}
        CorsOrigins::Any => cors = cors.allow_any_origin().send_wildcard(),
        CorsOrigins::Listed(origins) => {
            for origin in origins {
                cors = cors.allowed_origin(origin);
            }
        }
    }
    if policy.allow_credentials {
        cors = cors.supports_credentials();
    }
    cors
}

/// Whether [`cors`] is worth running.
#[must_use]
pub fn cors_enabled(policy: &CorsPolicy) -> bool {
    policy.origins != CorsOrigins::None
}

/// Middleware, just outside the CORS one: its refusals (a preflight from an origin, with a
/// method or with headers not allowed) in the JSON error shape rather than as plain text, and
/// `Access-Control-Allow-Credentials` only beside an `Access-Control-Allow-Origin` — actix-cors
/// adds it to every answer, so a page on an origin not listed was told it may send credentials.
pub async fn cors_answers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let mut res = next.call(req).await?;
    let refusal = res.response().error().and_then(|e| e.as_error::<CorsError>()).map(ToString::to_string);
    if let Some(reason) = refusal {
        let answer = ApiError::Invalid(format!("CORS: {reason}")).error_response();
        return Ok(res.into_response(answer).map_into_right_body());
    }
    let headers = res.headers_mut();
    if !headers.contains_key(ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(ACCESS_CONTROL_ALLOW_CREDENTIALS);
    }
    Ok(res.map_into_left_body())
}

/// Whether answers carry `Strict-Transport-Security`.
#[derive(Debug, Clone, Copy)]
pub struct Hsts(pub bool);

/// Middleware, outermost but for telemetry: the security headers on every answer, errors and
/// refusals included. A handler that set one of them keeps its own.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let docs = req.path() == "/docs" || req.path().starts_with("/docs/");
    let hsts = req.app_data::<Hsts>().is_some_and(|h| h.0);
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    let page =
        headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let policy = if docs {
        DOCS_POLICY
    } else if page {
        PAGE_POLICY
    } else {
        API_POLICY
    };
    for (name, value) in [
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        (X_FRAME_OPTIONS, "DENY"),
        // Answers carry tokens, bookings and other personal data, and seat counts that change
        // by the millisecond: nothing a shared or browser cache should keep.
        (CACHE_CONTROL, "no-store"),
        (CONTENT_SECURITY_POLICY, policy),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if hsts {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS_VALUE));
    }
    Ok(res)
}
