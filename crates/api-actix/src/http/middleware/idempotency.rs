//! Middleware: safe retries of `POST` and `PATCH` with an `Idempotency-Key` (docs/API.md, "Safe
//! retries"; `domain::idempotency` for the design). Requests without the header pass straight
//! through, untouched.
//!
//! A keyed request claims its key first. A key already answered is answered again from what
//! the store kept (`Idempotent-Replayed: true`), one used for another request is refused (422),
//! one whose attempt is still running is refused for now (409 with `Retry-After`). A fresh
//! attempt is put in the request's extensions; the handler takes it with the [`Keyed`]
//! extractor and hands it, as an argument, to the port method that makes its effect, which
//! stores the effect with it in one transaction. An attempt that made no effect stores its
//! answer afterwards, unless it is one a retry should not see again (401, 409, 429, 5xx): then
//! the key is given back.
//!
//! Keys belong to the user a token that *acts* names; on the public writes (register, login),
//! to the client address. A write that needs a token and has none that authenticates is not
//! keyed at all: its handler answers 401, whatever the key. So a token revoked by the request
//! itself (a logout, a password change) no longer reaches that user's keys, its retry is a 401,
//! and nobody holding an old token can replay the answer of a password change, which carries
//! the new one.

use std::cell::Cell;
use std::future::{Ready, ready};
use std::rc::Rc;
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{AUTHORIZATION, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage as _, HttpRequest, ResponseError as _, web};
use domain::UserId;
use domain::idempotency::{Attempt, Claim, Fingerprint, IdempotencyKey, IdempotentRequest, Requester};
use domain::ports::Store;
use sha2::{Digest, Sha256};

use crate::http::answers::verbatim;
use crate::http::auth::bearer_token;
use crate::http::client_address::TrustedProxies;
use crate::http::endpoints::KeyedWrites;
use crate::http::error::ApiError;
use crate::http::limits::JSON_LIMIT;
use crate::http::state::AppState;

/// The request header.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

/// Set on a replayed answer.
const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// How long a claimed key waits for its attempt's answer before another attempt may take it
/// over: longer than a request runs (a second's wait for a connection, then statements bounded
/// by the five-second statement and three-second lock timeouts), short enough that the
/// retries of a client whose instance died mid-request get an answer within seconds. Taking
/// over too early is safe all the same: an attempt that lost its key rolls its effect back.
pub const LEASE: Duration = Duration::from_secs(15);

/// How long answered keys are kept (docs/API.md, "Safe retries": at least 24 hours).
pub const KEPT: Duration = Duration::from_secs(24 * 3600);

/// Marks an answer that must not be kept for replays although it is a success: it carries a
/// secret made for this request alone (a sign-in's token) and changed nothing, so the key is
/// given back and a retry runs again (and gets a token of its own) rather than a copy of this
/// one being kept at rest.
#[derive(Debug, Clone, Copy)]
pub struct Unkept;

/// The claimed attempt of a keyed request, for the handler (see [`Keyed`]).
#[derive(Debug, Clone)]
struct Claimed {
    attempt: Attempt,
    /// Set when the handler hands the attempt to an effect: a success then means the effect
    /// was stored with it.
    handed: Rc<Cell<bool>>,
}

/// The request's claimed attempt, if it is a keyed request: what the handler hands to the port
/// method that makes its effect. Without a key (or on an endpoint that takes none) it holds
/// nothing, and the effect is made unkeyed.
#[derive(Debug, Default)]
pub struct Keyed(Option<Claimed>);

impl Keyed {
    /// The attempt to hand to the effect, marking that it was.
    #[must_use]
    pub fn attempt(&self) -> Option<Attempt> {
        self.0.as_ref().map(|claimed| {
            claimed.handed.set(true);
            claimed.attempt.clone()
        })
    }
}

impl FromRequest for Keyed {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.extensions().get::<Claimed>().cloned())))
    }
}

/// The middleware; see the module's documentation.
pub async fn keyed_writes<S: Store>(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some((raw, signed_in)) = keyed(&req) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(key) = IdempotencyKey::parse(&raw) else {
        let refused = ApiError::Invalid(format!(
            "\"Idempotency-Key\" must be 1 to {} visible ASCII characters",
            IdempotencyKey::MAX_LEN
        ));
        return Ok(req.into_response(refused.error_response()));
    };
    let Some(state) = req.app_data::<web::Data<AppState<S>>>().cloned() else {
        return Ok(req.into_response(ApiError::Internal("the app has no state".into()).error_response()));
    };
    let requester = match signed_in_user(&req, &state).await {
        Some(user) => Requester::user(user),
        // Its handler answers 401: nothing to keep, nothing to replay, no key to hold.
        None if signed_in => return Ok(next.call(req).await?.map_into_boxed_body()),
        None => {
            let address = req.app_data::<TrustedProxies>().cloned().unwrap_or_default().of(req.request());
            Requester::address(&address.to_string())
        }
    };
    let body = match read_body(&mut req).await {
        Ok(body) => body,
        Err(refused) => return Ok(req.into_response(refused.error_response())),
    };
    let fingerprint = fingerprint(req.method(), req.path(), &body);
    req.set_payload(Payload::from(body));
    let request = IdempotentRequest { requester, key, fingerprint };
    let attempt = match state.store.claim(request, LEASE).await {
        Ok(Claim::Fresh(attempt)) => attempt,
        Ok(Claim::Replay(recorded)) => {
            let mut replay = match state.answers.replay(recorded) {
                Ok(replay) => replay,
                Err(e) => return Ok(req.into_response(e.error_response())),
            };
            replay.headers_mut().insert(REPLAYED, HeaderValue::from_static("true"));
            return Ok(req.into_response(replay));
        }
        Ok(Claim::Reused) => return Ok(req.into_response(ApiError::IdempotencyKeyReused.error_response())),
        Ok(Claim::InFlight) => {
            return Ok(req.into_response(ApiError::IdempotencyKeyInFlight.error_response()));
        }
        Err(e) => return Ok(req.into_response(ApiError::from(e).error_response())),
    };
    let handed = Rc::new(Cell::new(false));
    req.extensions_mut().insert(Claimed { attempt: attempt.clone(), handed: Rc::clone(&handed) });
    let res = match next.call(req).await {
        Ok(res) => res,
        Err(e) => {
            finish(&state, attempt, None).await;
            return Err(e);
        }
    };
    let status = res.status();
    if handed.get() && status.is_success() {
        // The effect was stored with the attempt, in its own transaction.
        return Ok(res.map_into_boxed_body());
    }
    if !kept(status) || res.response().extensions().contains::<Unkept>() {
        finish(&state, attempt, None).await;
        return Ok(res.map_into_boxed_body());
    }
    let (request, response) = res.into_parts();
    let (head, body) = response.into_parts();
    let bytes = match to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(_) => {
            finish(&state, attempt, None).await;
            let failed = ApiError::Internal("an answer's body could not be read".into()).error_response();
            return Ok(ServiceResponse::new(request, failed));
        }
    };
    finish(&state, attempt, Some(verbatim(status, &bytes))).await;
    Ok(ServiceResponse::new(request, head.set_body(bytes).map_into_boxed_body()))
}

/// Whether an answer without an effect is kept for replays. Not a 401 (the request was not
/// let in: a retry with a token that acts runs), 409 (a conflict that may clear), 429 or 5xx
/// (try again later).
fn kept(status: StatusCode) -> bool {
    !(status == StatusCode::UNAUTHORIZED
        || status == StatusCode::CONFLICT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error())
}

/// The key of a request to a keyed write that carries one (as sent; parsed by the caller).
fn keyed(req: &ServiceRequest) -> Option<(String, bool)> {
    let value = req.headers().get(IDEMPOTENCY_KEY)?;
    let write = req.app_data::<KeyedWrites>()?.find(req.method(), &req.match_pattern()?)?;
    Some((value.to_str().map_or_else(|_| String::from("\u{0}"), str::to_owned), write.signed_in))
}

/// The user the request's token authenticates, if it carries one that does.
async fn signed_in_user<S: Store>(req: &ServiceRequest, state: &AppState<S>) -> Option<UserId> {
    let token = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer_token)?;
    state.auth.authenticate(token).await.ok().map(|session| session.user)
}

/// The whole body, at most what a handler would read.
async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut payload).await {
        let chunk = chunk
            .map_err(|e| ApiError::from_json(actix_web::error::JsonPayloadError::Payload(e), JSON_LIMIT))?;
        if body.len() + chunk.len() > JSON_LIMIT {
            return Err(ApiError::PayloadTooLarge { limit: JSON_LIMIT });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// What the request asks: its method, path and body.
fn fingerprint(method: &Method, path: &str, body: &[u8]) -> Fingerprint {
    let mut digest = Sha256::new();
    digest.update(method.as_str().as_bytes());
    digest.update(b" ");
    digest.update(path.as_bytes());
    digest.update(b"\n");
    digest.update(body);
    Fingerprint::new(digest.finalize().into())
}

/// Stores a refusal's answer, or gives the key back; a failure here costs a retry only a wait
/// for the lease, so it is logged, not answered.
async fn finish<S: Store>(state: &AppState<S>, attempt: Attempt, answer: Option<Vec<u8>>) {
    if let Err(e) = state.store.finish(attempt, answer).await {
        tracing::warn!(error = %e, "could not settle an idempotency key; it frees itself when its lease ends");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_kept_and_answers_worth_retrying_are_not() {
        for status in [StatusCode::BAD_REQUEST, StatusCode::FORBIDDEN, StatusCode::NOT_FOUND, StatusCode::OK]
        {
            assert!(kept(status), "{status}");
        }
        for status in [
            StatusCode::UNAUTHORIZED,
            StatusCode::CONFLICT,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            assert!(!kept(status), "{status}");
        }
    }

    #[test]
    fn the_fingerprint_tells_method_path_and_body_apart() {
        let base = fingerprint(&Method::POST, "/book", b"{\"eventId\":1}");
        assert_eq!(base, fingerprint(&Method::POST, "/book", b"{\"eventId\":1}"));
        assert_ne!(base, fingerprint(&Method::PATCH, "/book", b"{\"eventId\":1}"));
        assert_ne!(base, fingerprint(&Method::POST, "/cancel", b"{\"eventId\":1}"));
        assert_ne!(base, fingerprint(&Method::POST, "/book", b"{\"eventId\":2}"));
    }
}
