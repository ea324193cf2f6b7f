//! Webhooks: the subscription request, the subscription, its secret (shown once) and its log.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::SecondsFormat;
use domain::notice::NoticeKind;
use domain::webhook::{DeliveryAttempt, DeliveryError, NewWebhook, Webhook, WebhookSecret, WebhookUrl};
use domain::{EventId, Limit, UserId};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::fields::{id, present, refuse_unknown, required, string};
use super::listing::{limit, parse_attempt_cursor};
use crate::http::error::ApiError;
use crate::http::error::field_error;

/// `POST /webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateWebhookRequest {
    /// Where to post: `http` or `https`, a host that does not resolve to a loopback, private or
    /// link-local address.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, max_length = 2048, example = "https://example.com/hooks/ticketing")]
    url: Option<Value>,
    /// Only these notification types (default: all).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>, example = json!(["booking.promoted"]))]
    types: Option<Value>,
    /// Only this event's notifications (default: every event of the caller's).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1)]
    event_id: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl CreateWebhookRequest {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad or unknown field.
    pub fn into_new_webhook(self, organizer: UserId) -> Result<NewWebhook, ApiError> {
        let url = string("url", required("url", self.url.as_ref())?)?;
        let url = WebhookUrl::parse(url).map_err(|e| field_error("url", &format!("is invalid: {e}")))?;
        let kinds = match self.types {
            None | Some(Value::Null) => None,
            Some(value) => Some(kinds(&value)?),
        };
        let event = match self.event_id {
            None | Some(Value::Null) => None,
            Some(value) => Some(id("eventId", &value, EventId::new)?),
        };
        refuse_unknown(self.unknown.keys())?;
        Ok(NewWebhook { organizer, url, kinds, event })
    }
}

fn kinds(value: &Value) -> Result<Vec<NoticeKind>, ApiError> {
    let allowed = NoticeKind::ALL.map(NoticeKind::as_str).join(", ");
    let bad = || field_error("types", &format!("must be a non-empty list of [{allowed}]"));
    let items = value.as_array().filter(|items| !items.is_empty()).ok_or_else(bad)?;
    let mut kinds = Vec::with_capacity(items.len());
    for item in items {
        let kind = item.as_str().and_then(|s| s.parse::<NoticeKind>().ok()).ok_or_else(bad)?;
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    Ok(kinds)
}

/// A webhook as listed (never with its secret).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    pub id: i64,
    pub url: String,
    /// `null`: every type.
    #[schema(example = json!(["booking.promoted"]))]
    pub types: Option<Vec<&'static str>>,
    pub event_id: Option<i64>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Set when its receiver answered `410 Gone`: nothing more is sent to it.
    #[schema(format = DateTime)]
    pub disabled_at: Option<String>,
    /// Its attempts that failed in a row since the last one delivered.
    pub consecutive_failures: u32,
    /// While its receiver keeps failing (`WEBHOOK_BREAKER_FAILURES` in a row), until when its
    /// deliveries are held back; then one delivery probes the receiver, and each pause whose
    /// probe fails is twice as long. A delivered attempt clears it. A past time: the pause is
    /// over and no attempt was made since.
    #[schema(format = DateTime)]
    pub paused_until: Option<String>,
}

impl From<Webhook> for WebhookBody {
    fn from(webhook: Webhook) -> Self {
        Self {
            id: webhook.id.get(),
            url: webhook.url.as_str().to_owned(),
            types: webhook.kinds.map(|kinds| kinds.into_iter().map(NoticeKind::as_str).collect()),
            event_id: webhook.event.map(EventId::get),
            created_at: webhook.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            disabled_at: webhook.disabled_at.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
            consecutive_failures: webhook.failures,
            paused_until: webhook.paused_until.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }
}

/// `POST /webhooks`'s answer: the only time the secret is shown (and its replays, under the
/// same `Idempotency-Key`, while the webhook exists).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreateWebhookResponse {
    pub webhook: WebhookBody,
    /// `whsec_` and the base64 of the signing key, as Standard Webhooks libraries take it;
    /// `null` only in a replay after the webhook was deleted.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
}

/// The secret as Standard Webhooks libraries take it.
#[must_use]
pub fn presented_secret(secret: &WebhookSecret) -> String {
    format!("whsec_{}", STANDARD.encode(secret.as_bytes()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookListResponse {
    pub webhooks: Vec<WebhookBody>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryAttemptBody {
    pub notification_id: i64,
    #[schema(format = DateTime)]
    pub attempted_at: String,
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed, when it did: `timeout`, `unreachable` (refused, unreachable, a name that
    /// does not resolve or an address deliveries may not go to, alike), `tls`, `http_status`
    /// (see `statusCode`), or `internal` (the service's own fault).
    #[schema(example = "unreachable")]
    pub error: Option<&'static str>,
    /// When it is tried again; null once delivered or given up.
    #[schema(format = DateTime)]
    pub next_attempt_at: Option<String>,
}

impl From<DeliveryAttempt> for DeliveryAttemptBody {
    fn from(attempt: DeliveryAttempt) -> Self {
        Self {
            notification_id: attempt.notification.get(),
            attempted_at: attempt.attempted_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            status_code: attempt.status_code,
            error: attempt.error.map(DeliveryError::as_str),
            next_attempt_at: attempt
                .next_attempt_at
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }
}

/// `GET /webhooks/{id}/deliveries`'s answer, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryListResponse {
    pub deliveries: Vec<DeliveryAttemptBody>,
    pub next_cursor: Option<String>,
}

/// `GET /webhooks/{id}/deliveries` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page.
    after: Option<String>,
}

impl DeliveryListParams {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad parameter.
    pub fn into_parts(self) -> Result<(Option<i64>, Limit), ApiError> {
        let before = self.after.as_deref().filter(|a| !a.is_empty()).map(parse_attempt_cursor).transpose()?;
        Ok((before, limit(self.limit.as_deref())?))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(body: Value) -> Result<NewWebhook, ApiError> {
        serde_json::from_value::<CreateWebhookRequest>(body)
            .unwrap()
            .into_new_webhook(UserId::new(1).unwrap())
    }

    #[test]
    fn a_url_alone_subscribes_to_everything() {
        let webhook = parse(json!({"url": "https://example.com/h"})).unwrap();
        assert_eq!((webhook.kinds, webhook.event), (None, None));
    }

    #[test]
    fn types_and_event_narrow_it() {
        let webhook = parse(
            json!({"url": "http://a.b/", "types": ["booking.promoted", "booking.promoted"], "eventId": "7"}),
        )
        .unwrap();
        assert_eq!(webhook.kinds, Some(vec![NoticeKind::BookingPromoted]));
        assert_eq!(webhook.event.map(EventId::get), Some(7));
    }

    #[test]
    fn bad_fields_are_named() {
        for (body, field) in [
            (json!({}), "\"url\""),
            (json!({"url": "ftp://a.b/"}), "\"url\""),
            (json!({"url": "http://a.b/", "types": []}), "\"types\""),
            (json!({"url": "http://a.b/", "types": ["booking.lost"]}), "\"types\""),
            (json!({"url": "http://a.b/", "eventId": 0}), "\"eventId\""),
            (json!({"url": "http://a.b/", "secret": "x"}), "\"secret\""),
        ] {
            let message = parse(body.clone()).unwrap_err().to_string();
            assert!(message.starts_with(field), "{body}: {message}");
        }
    }

    #[test]
    fn the_secret_is_shown_as_standard_webhooks_libraries_take_it() {
        let secret = WebhookSecret::new(vec![0xfb; 24]).unwrap();
        assert_eq!(presented_secret(&secret), "whsec_+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7");
    }
}
