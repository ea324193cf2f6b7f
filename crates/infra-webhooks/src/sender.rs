//! [`HttpSender`]: the domain's [`WebhookSender`] over reqwest. Each delivery is posted once,
//! signed per Standard Webhooks, with the timeout the operator set; every failure becomes an
//! outcome for the retry policy, never an error.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use domain::BoxError;
use domain::notice::Notification;
use domain::ports::WebhookSender;
use domain::webhook::{Delivery, DeliveryOutcome, TargetRefused, WebhookUrl};

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
        let failed = |status: Option<u16>, error: String| DeliveryOutcome::Failed { status, error };
        let url = match reqwest::Url::parse(delivery.url.as_str()) {
            Ok(url) => url,
            Err(e) => return failed(None, format!("invalid URL: {e}")),
        };
        if let Err(e) = self.targets.check_literal(&url) {
            return failed(None, format!("refused: the URL {e}"));
        }
        let body = match (self.payload)(&delivery.notification) {
            Ok(body) => body,
            Err(e) => return failed(None, format!("could not render the notification: {e}")),
        };
        let id = format!("msg_{}_{}", delivery.notification.id, delivery.webhook);
        let timestamp = Utc::now().timestamp();
        let signature = match sign(&delivery.secret, &id, timestamp, &body) {
            Ok(signature) => signature,
            Err(e) => return failed(None, e.to_string()),
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
            Ok(answer) => failed(Some(answer.status().as_u16()), format!("HTTP {}", answer.status())),
            Err(e) if e.is_timeout() => failed(None, "no answer within the timeout".to_owned()),
            Err(e) => failed(None, transport_error(&e)),
        }
    }
}

/// The failure's causes, outermost first (reqwest's own message is only "error sending
/// request").
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
