//! Middleware, outermost: every request gets an id (the client's `x-request-id`, else a new
//! UUID), runs inside a span carrying it, is counted and timed by route pattern, and logs one
//! line — method, route pattern (not the raw path, which may carry ids), status, latency and
//! id; never a body, so no password or token reaches the log.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::Payload;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage as _, HttpRequest};
use domain::history::RequestId;
use domain::ports::RequestScoped;
use tracing::Instrument;

use crate::telemetry::metrics;

/// The request id's header, in and out.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A client's request id is echoed if it is a [`RequestId`] (up to 128 letters, digits and
/// `-_.:~`); anything else is replaced by a new one, so a hostile header cannot forge log lines
/// nor put an address or a name in history.
fn client_request_id(value: &HeaderValue) -> Option<HeaderValue> {
    let text = value.to_str().ok()?;
    RequestId::parse(text).ok().map(|_| value.clone())
}

/// The request's id as a handler takes it: the store the handler changes records it in the
/// history of each change (docs/ARCHITECTURE.md, "History").
#[derive(Debug, Clone)]
pub struct RequestTag(Option<RequestId>);

impl RequestTag {
    /// `store`, recording this request's id with its changes.
    pub fn scope<S: RequestScoped + Clone>(&self, store: &S) -> S {
        self.0.as_ref().map_or_else(|| store.clone(), |id| store.for_request(id.clone()))
    }
}

impl FromRequest for RequestTag {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.extensions().get::<RequestId>().cloned())))
    }
}

/// A request's method as logs and metrics show it: the standard methods by name, anything else
/// as `OTHER`. A client may send any token as a method (thousands of distinct 4 KB ones, say);
/// as a label each would be a new time series kept until restart, and in a log line text the
/// client chose.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        "CONNECT" => "CONNECT",
        _ => "OTHER",
    }
}

/// Middleware: counts and times every request by route pattern, gives it an id (the client's `x-request-id`, else a new UUID), runs
/// it inside a span carrying that id, logs its outcome, and returns the id in the response.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(client_request_id)
        .or_else(|| HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok())
        .unwrap_or_else(|| HeaderValue::from_static("unknown"));
    let method = method_label(req.method());
    let span = tracing::info_span!("request", method, request_id = request_id.to_str().unwrap_or_default());
    if let Some(id) = request_id.to_str().ok().and_then(|text| RequestId::parse(text).ok()) {
        req.extensions_mut().insert(id);
    }
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let route = response.request().match_pattern();
    let route = route.as_deref().unwrap_or("<no route>");
    let status = response.status().as_u16();
    tracing::info!(parent: &span, route, status, latency_ms = elapsed * 1000.0, "request served");
    metrics::record_request(method, route, status, elapsed);
    response.headers_mut().insert(REQUEST_ID, request_id);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_methods_keep_their_names_and_any_other_is_other() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::OPTIONS), "OPTIONS");
        let invented = Method::from_bytes("M".repeat(4000).as_bytes()).unwrap();
        assert_eq!(method_label(&invented), "OTHER");
    }

    #[test]
    fn a_reasonable_client_id_is_kept_and_a_hostile_one_replaced() {
        assert!(client_request_id(&HeaderValue::from_static("abc-123")).is_some());
        assert!(client_request_id(&HeaderValue::from_static("two words")).is_none());
        assert!(client_request_id(&HeaderValue::from_static("ann@example.com")).is_none());
        assert!(client_request_id(&HeaderValue::from_str(&"x".repeat(129)).unwrap()).is_none());
    }
}
