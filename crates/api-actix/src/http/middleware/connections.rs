//! What one client may hold of the server: connections per address, and time to send a body.
//!
//! actix-http cuts a slow request *head* (with a 408, made JSON by `bare_answers`), but not a
//! slow *body*: a client that sends `Content-Length: 1000` and then a byte now and then keeps
//! its connection, and its file descriptor, for ever; enough of them and nobody else is served.
//! So every body must arrive within a deadline (with the JSON limit, that is also a minimum
//! rate), and the connections one address holds are counted when they open: the request of a
//! connection beyond the cap is answered at once with a 429 and the connection closed, before
//! its body is waited for.
//!
//! A body the app does not read — a `/health` with a body, a 404, a 401 before the JSON is
//! parsed, the 429 above — must not keep its connection either. actix-http closes the
//! connection after such an answer only while the request body is still alive when the answer
//! goes out; a body already dropped it drains instead, and a chunked one that never ends it
//! drains for ever, with no timer. So every answer holds its request's body until it is
//! written ([`WithRequestBody`]): an unread body then always ends its connection (after the
//! one-second linger actix-http gives a closing client to read its answer).

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage as _, ResponseError as _};
use futures_util::StreamExt as _;

use crate::http::error::ApiError;

/// When the app was built without a [`BodyTimeout`].
const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(10);

/// The open connections of every client address of one instance.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCounts {
    by_address: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's place in the count, kept with the connection and given back when it
/// closes.
#[derive(Debug)]
pub struct ConnectionSlot {
    counts: ConnectionCounts,
    address: IpAddr,
    /// The address held more than its share when this connection opened.
    pub over_limit: bool,
}

impl ConnectionCounts {
    /// The state is plain counters every critical section leaves consistent.
    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.by_address.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts a new connection from `address`, which may hold at most `limit` (`0`: no cap).
    #[must_use]
    pub fn open(&self, address: IpAddr, limit: usize) -> ConnectionSlot {
        let mut counts = self.lock();
        let held = counts.entry(address).or_default();
        *held += 1;
        ConnectionSlot { counts: self.clone(), address, over_limit: limit > 0 && *held > limit }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.lock();
        if let Some(held) = counts.get_mut(&self.address) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

/// The per-connection hook: counts the connection under its peer's address.
pub fn on_connect(
    counts: &ConnectionCounts,
    limit: usize,
    peer: Option<std::net::SocketAddr>,
    data: &mut actix_web::dev::Extensions,
) {
    if let Some(peer) = peer {
        data.insert(counts.open(peer.ip(), limit));
    }
}

/// How long a request body may take to arrive, from the moment its head was read.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeout(pub Duration);

/// A request's body, shared by the stream the app reads and the answer that holds it.
type SharedBody = Rc<RefCell<Payload>>;

/// Middleware: refuses the requests of a connection over its address's cap, gives every
/// request body the app's [`BodyTimeout`] to arrive, and makes every answer hold its request's
/// body until it is written.
pub async fn enforce(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody, WithRequestBody>>, Error> {
    // Most requests (every GET) have no body: nothing to wait for, nothing to hold.
    let body = has_body(&req).then(|| {
        let timeout = req.app_data::<BodyTimeout>().map_or(DEFAULT_BODY_TIMEOUT, |t| t.0);
        let deadline = tokio::time::Instant::now() + timeout;
        let body: SharedBody = Rc::new(RefCell::new(req.take_payload()));
        req.set_payload(Payload::Stream { payload: Box::pin(within(deadline, body.clone())) });
        body
    });
    if req.conn_data::<ConnectionSlot>().is_some_and(|slot| slot.over_limit) {
        let mut response = ApiError::TooManyConnections.error_response();
        response.head_mut().set_connection_type(ConnectionType::Close);
        let response = req.into_response(response);
        return Ok(response
            .map_body(|_, answer| WithRequestBody { answer, request: body })
            .map_into_right_body());
    }
    let response = next.call(req).await?;
    Ok(match body {
        None => response.map_into_left_body(),
        Some(request) => response
            .map_into_boxed_body()
            .map_body(|_, answer| WithRequestBody { answer, request: Some(request) })
            .map_into_right_body(),
    })
}

/// An answer that keeps its request's body alive until the answer has been written: actix-http
/// then sees the body unread (if it is) and closes the connection after the answer, rather than
/// draining it with no deadline.
pub struct WithRequestBody {
    answer: BoxBody,
    #[expect(dead_code, reason = "held until the answer is written, never read")]
    request: Option<SharedBody>,
}

impl std::fmt::Debug for WithRequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithRequestBody").field("answer", &self.answer).finish_non_exhaustive()
    }
}

impl MessageBody for WithRequestBody {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.answer.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.answer).poll_next(cx)
    }
}

/// A body follows the head: a non-zero `Content-Length`, or chunks.
fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    headers.contains_key(TRANSFER_ENCODING)
        || headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|length| length.trim() != "0")
}

/// The body's chunks until `deadline`, then a timed-out error (which the JSON reader answers
/// with a 408; the unread rest closes the connection).
fn within(
    deadline: tokio::time::Instant,
    body: SharedBody,
) -> impl futures_util::Stream<Item = Result<Bytes, PayloadError>> {
    futures_util::stream::unfold(Some(body), move |body| async move {
        let body = body?;
        // Borrowed only while polled, never across a wait.
        let chunk = std::future::poll_fn(|cx| body.borrow_mut().poll_next_unpin(cx));
        match tokio::time::timeout_at(deadline, chunk).await {
            Ok(Some(chunk)) => Some((chunk, Some(body))),
            Ok(None) => None,
            Err(_) => Some((Err(PayloadError::Io(std::io::Error::from(std::io::ErrorKind::TimedOut))), None)),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_over_its_limit_only_while_it_holds_more_than_that() {
        let counts = ConnectionCounts::default();
        let (a, b) = (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 2]));
        let first = counts.open(a, 2);
        let second = counts.open(a, 2);
        let third = counts.open(a, 2);
        assert!(!first.over_limit && !second.over_limit && third.over_limit);
        assert!(!counts.open(b, 2).over_limit, "another address has its own share");
        drop((second, third));
        assert_eq!(counts.lock().get(&a), Some(&1));
        assert!(!counts.open(a, 2).over_limit);
        assert!(!counts.open(a, 0).over_limit, "0 means no cap");
        drop(first);
        assert_eq!(counts.lock().get(&a), None, "an address with nothing open is forgotten");
    }

    #[test]
    fn only_a_request_announcing_a_body_is_given_a_deadline() {
        use actix_web::test::TestRequest;
        assert!(!has_body(&TestRequest::get().to_srv_request()));
        assert!(!has_body(&TestRequest::post().insert_header((CONTENT_LENGTH, "0")).to_srv_request()));
        assert!(has_body(&TestRequest::post().insert_header((CONTENT_LENGTH, "1000")).to_srv_request()));
        assert!(has_body(
            &TestRequest::post().insert_header((TRANSFER_ENCODING, "chunked")).to_srv_request()
        ));
    }

    #[actix_web::test]
    async fn a_body_that_does_not_arrive_in_time_ends_with_a_timeout() {
        let trickle =
            futures_util::stream::iter([Ok(Bytes::from_static(b"{"))]).chain(futures_util::stream::pending());
        let deadline = tokio::time::Instant::now() + Duration::from_millis(50);
        let trickle: actix_http::BoxedPayloadStream = Box::pin(trickle);
        let shared = Rc::new(RefCell::new(Payload::Stream { payload: trickle }));
        let mut body = std::pin::pin!(within(deadline, shared));
        assert_eq!(body.next().await.and_then(Result::ok).as_deref(), Some(&b"{"[..]));
        let late = body.next().await;
        assert!(
            matches!(late, Some(Err(PayloadError::Io(ref e))) if e.kind() == std::io::ErrorKind::TimedOut)
        );
        assert!(body.next().await.is_none());
    }
}
