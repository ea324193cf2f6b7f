//! [`HttpSender`]: the domain's [`WebhookSender`] over reqwest. Each delivery is posted once,
//! signed per Standard Webhooks, with the timeout the operator set; every failure becomes an
//! outcome for the retry policy, never an error.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::BoxError;
use domain::notice::Notification;
use domain::ports::WebhookSender;
use domain::webhook::{Delivery, DeliveryError, DeliveryOutcome, TargetRefused, WebhookUrl};

use crate::signature::sign;
use crate::targets::TargetPolicy;

/// Renders a notification as the body receivers get. The shape is the public API's (the same
/// JSON a feed reader gets), which the inbound adapter owns: the composition root hands its
/// renderer in, so that one definition serves both.
pub type Payload = Arc<dyn Fn(&Notification) -> Result<Vec<u8>, BoxError> + Send + Sync>;

/// How deliveries are posted.
#[derive(Debug, Clone, Copy)]
pub struct SenderSettings {
    /// A receiver that has not answered by then has failed this attempt (10 s by default).
    pub timeout: Duration,
    /// Which targets are allowed.
    pub targets: TargetPolicy,
}

/// Posts deliveries with one shared HTTP client: redirects and proxies off, and a resolver
/// that drops internal addresses (see [`TargetPolicy`]).
#[derive(Clone)]
pub struct HttpSender {
    client: reqwest::Client,
    targets: TargetPolicy,
    payload: Payload,
}

impl std::fmt::Debug for HttpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSender").field("targets", &self.targets).finish_non_exhaustive()
    }
}

/// The HTTP client could not be built (no TLS roots, say).
#[derive(Debug, thiserror::Error)]
#[error("building the webhook HTTP client")]
pub struct SenderError(#[from] reqwest::Error);

impl HttpSender {
    /// # Errors
    /// [`SenderError`] when the HTTP client cannot be built.
    pub fn new(settings: SenderSettings, payload: Payload) -> Result<Self, SenderError> {
        let client = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(settings.targets.resolver())
            .user_agent(concat!("ticketing-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, targets: settings.targets, payload })
    }
}

impl WebhookSender for HttpSender {
    async fn admits(&self, url: &WebhookUrl) -> Result<(), TargetRefused> {
        self.targets.check(url).await
    }

    async fn send(&self, delivery: &Delivery) -> DeliveryOutcome {
        let failed = |error: DeliveryError, status: Option<u16>, detail: String| DeliveryOutcome::Failed {
            error,
            status,
            detail,
        };
        let url = match reqwest::Url::parse(delivery.url.as_str()) {
            Ok(url) => url,
            Err(e) => return failed(DeliveryError::Unreachable, None, format!("invalid URL: {e}")),
        };
        if let Err(e) = self.targets.check_literal(&url) {
            return failed(DeliveryError::Unreachable, None, format!("refused ({e:?}): the URL {e}"));
        }
        let body = match (self.payload)(&delivery.notification) {
            Ok(body) => body,
            Err(e) => {
                return failed(
                    DeliveryError::Internal,
                    None,
                    format!("could not render the notification: {e}"),
                );
            }
        };
        let id = format!("msg_{}_{}", delivery.notification.id, delivery.webhook);
        let timestamp = Utc::now().timestamp();
        let signature = match sign(&delivery.secret, &id, timestamp, &body) {
            Ok(signature) => signature,
            Err(e) => return failed(DeliveryError::Internal, None, e.to_string()),
        };
        let sent = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => {
                DeliveryOutcome::Delivered { status: answer.status().as_u16() }
            }
            Ok(answer) if answer.status() == reqwest::StatusCode::GONE => DeliveryOutcome::Gone,
            Ok(answer) => failed(
                DeliveryError::HttpStatus,
                Some(answer.status().as_u16()),
                format!("HTTP {}", answer.status()),
            ),
            Err(e) => failed(class(&e), None, transport_error(&e)),
        }
    }
}

/// The deliveries log's class of a failure to get an answer: a timeout, a failed TLS handshake
/// (rustls's error, which tokio-rustls and hyper-rustls each wrap in an I/O error), or, for
/// everything else — a refused or reset connection, no route, a name that does not resolve or
/// that the resolver refused — unreachable.
fn class(error: &reqwest::Error) -> DeliveryError {
    if error.is_timeout() {
        return DeliveryError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if is_tls(cause) {
            return DeliveryError::Tls;
        }
        source = cause.source();
    }
    DeliveryError::Unreachable
}

/// Whether `error` is rustls's, or I/O errors around it (an I/O error's `source` skips the
/// error it wraps, so the chain alone never reaches it).
fn is_tls(error: &(dyn std::error::Error + 'static)) -> bool {
    if error.is::<rustls::Error>() {
        return true;
    }
    let mut wrapped = error.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref);
    while let Some(inner) = wrapped {
        if inner.is::<rustls::Error>() {
            return true;
        }
        wrapped = inner.downcast_ref::<std::io::Error>().and_then(std::io::Error::get_ref);
    }
    false
}

/// The failure's causes, outermost first (reqwest's own message is only "error sending
/// request"), for the service's log.
fn transport_error(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use domain::notice::{NoticeKind, NotificationData};
    use domain::webhook::WebhookSecret;
    use domain::{
        Booking, BookingId, BookingStatus, BookingView, EventId, NotificationId, UserId, WebhookId,
    };
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    fn delivery(url: &str) -> Delivery {
        let booking = Booking {
            id: BookingId::new(1).unwrap(),
            event: EventId::new(1).unwrap(),
            user: UserId::new(1).unwrap(),
            status: BookingStatus::Confirmed,
            created_at: Utc::now(),
            quantity: domain::Quantity::ONE,
            offer_expires_at: None,
        };
        Delivery {
            webhook: WebhookId::new(1).unwrap(),
            url: WebhookUrl::parse(url).unwrap(),
            secret: WebhookSecret::new(vec![7; 24]).unwrap(),
            notification: Notification {
                id: NotificationId::new(1).unwrap(),
                kind: NoticeKind::BookingConfirmed,
                created_at: Utc::now(),
                data: NotificationData::Booking(BookingView { booking, position: None, seats_ahead: None }),
            },
            attempt: 1,
        }
    }

    fn sender(allow_private: bool) -> HttpSender {
        let settings =
            SenderSettings { timeout: Duration::from_millis(500), targets: TargetPolicy { allow_private } };
        HttpSender::new(settings, Arc::new(|_: &Notification| Ok(b"{}".to_vec()))).unwrap()
    }

    /// A server on loopback that answers every connection with `reply` once it has read the
    /// request, or never answers when `reply` is empty.
    async fn server(reply: &'static [u8]) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0_u8; 4096];
                    let _ = stream.read(&mut request).await;
                    if reply.is_empty() {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    } else {
                        let _ = stream.write_all(reply).await;
                    }
                });
            }
        });
        port
    }

    fn failure(outcome: DeliveryOutcome) -> (DeliveryError, Option<u16>, String) {
        match outcome {
            DeliveryOutcome::Failed { error, status, detail } => (error, status, detail),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn each_failure_is_logged_by_its_class_and_detailed_only_for_the_service_log() {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
        let silent = server(b"").await;
        let plain = server(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await;
        let failing = server(b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\n\r\n").await;
        let open = sender(true);

        let (error, status, detail) =
            failure(open.send(&delivery(&format!("http://127.0.0.1:{closed}/"))).await);
        assert_eq!((error, status), (DeliveryError::Unreachable, None), "{detail}");
        assert!(detail.contains("refused"), "the detail is the log's: {detail}");
        let (error, _, detail) = failure(open.send(&delivery(&format!("http://127.0.0.1:{silent}/"))).await);
        assert_eq!(error, DeliveryError::Timeout, "{detail}");
        let (error, _, detail) = failure(open.send(&delivery(&format!("https://127.0.0.1:{plain}/"))).await);
        assert_eq!(error, DeliveryError::Tls, "{detail}");
        let (error, status, _) = failure(open.send(&delivery(&format!("http://127.0.0.1:{failing}/"))).await);
        assert_eq!((error, status), (DeliveryError::HttpStatus, Some(503)));
        let delivered = open.send(&delivery(&format!("http://127.0.0.1:{plain}/"))).await;
        assert_eq!(delivered, DeliveryOutcome::Delivered { status: 200 });

        let strict = sender(false);
        let (error, status, _) = failure(strict.send(&delivery(&format!("http://127.0.0.1:{plain}/"))).await);
        assert_eq!(
            (error, status),
            (DeliveryError::Unreachable, None),
            "refused by the policy, as a closed port is"
        );
        let (error, ..) = failure(strict.send(&delivery(&format!("http://localhost:{plain}/"))).await);
        assert_eq!(error, DeliveryError::Unreachable, "dropped by the resolver, as a closed port is");
    }
}
