//! Webhooks: an organizer's subscription to the notifications of their events, delivered by
//! signed HTTP requests that are retried until the receiver takes them.
//!
//! The store decides which webhooks a notice goes to, in the transaction that writes it (so a
//! delivery exists exactly when its notice does). Workers on any instance claim due deliveries,
//! post them, and record the answer; [`RetryPolicy`] decides when a failed one is tried again.

mod breaker;
mod retry;
mod target;

pub use breaker::{BreakerPolicy, BreakerState};
pub use retry::RetryPolicy;
pub use target::{WebhookSecret, WebhookSecretError, WebhookUrl, WebhookUrlError};

use std::num::NonZeroU32;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::error::RepoError;
use crate::ids::{EventId, NotificationId, UserId, WebhookId};
use crate::notice::{NoticeKind, Notification};

/// A subscription to create: valid by construction of its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebhook {
    /// Who subscribes: the organizer whose events' notices are sent.
    pub organizer: UserId,
    /// Where deliveries are posted.
    pub url: WebhookUrl,
    /// `None`: every kind.
    pub kinds: Option<Vec<NoticeKind>>,
    /// `None`: every event the organizer has or will have.
    pub event: Option<EventId>,
}

/// The most webhooks one organizer may have (`WEBHOOKS_PER_USER`). Every notification of an
/// organizer's events becomes one delivery per matching webhook, each retried and logged: with
/// no cap, one account multiplies the queue, the log and the posts the service makes at will.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookCap(NonZeroU32);

impl WebhookCap {
    /// A cap of `most` webhooks; `None` for 0.
    #[must_use]
    pub const fn new(most: u32) -> Option<Self> {
        match NonZeroU32::new(most) {
            Some(most) => Some(Self(most)),
            None => None,
        }
    }

    /// How many.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0.get()
    }
}

impl std::fmt::Display for WebhookCap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// How much of the delivery workers one webhook, and one organizer, may hold at once: the most
/// deliveries in flight (claimed, lease running) on every instance together. A target that
/// answers slowly, or never, then delays its own deliveries and nobody else's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimBounds {
    /// In flight for one webhook — one only while its last attempt failed (a probe: a receiver
    /// that fails is not sent a burst).
    pub per_webhook: u32,
    /// In flight for all of one organizer's webhooks.
    pub per_organizer: u32,
}

/// A subscription as stored (never with its secret, which is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Names it in the API.
    pub id: WebhookId,
    /// Whose it is.
    pub organizer: UserId,
    /// Where deliveries are posted.
    pub url: WebhookUrl,
    /// The kinds it wants; `None`: every kind.
    pub kinds: Option<Vec<NoticeKind>>,
    /// The one event it wants; `None`: every event of the organizer.
    pub event: Option<EventId>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Set when the receiver answered 410 Gone: nothing more is sent.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Its attempts that failed in a row since the last one delivered.
    pub failures: u32,
    /// While its receiver keeps failing, until when its deliveries are held back (see
    /// [`BreakerPolicy`]); a past time once the pause is over and before the next attempt.
    pub paused_until: Option<DateTime<Utc>>,
}

/// One try at delivering a notification, as the deliveries log shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    /// Orders the log (newest first) and pages it.
    pub seq: i64,
    /// The notification tried.
    pub notification: NotificationId,
    /// When.
    pub attempted_at: DateTime<Utc>,
    /// The receiver's status code, when it answered.
    pub status_code: Option<u16>,
    /// Why it failed, when it did: a class, never the transport's own words.
    pub error: Option<DeliveryError>,
    /// When it is tried again; `None` when delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// A delivery a worker has claimed: what to send, where, signed with what. The claim is a
/// lease; [`Delivery::attempt`] tells a late worker's result from the current one's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The webhook it goes to.
    pub webhook: WebhookId,
    /// Where to post it.
    pub url: WebhookUrl,
    /// What to sign it with.
    pub secret: WebhookSecret,
    /// What to send.
    pub notification: Notification,
    /// 1 for the first try.
    pub attempt: u32,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// A 2xx answer within the timeout.
    Delivered {
        /// The receiver's status code.
        status: u16,
    },
    /// 410 Gone: the receiver wants nothing more; the webhook is disabled.
    Gone,
    /// Anything else: retried per the [`RetryPolicy`], unless it gave up.
    Failed {
        /// What the deliveries log shows.
        error: DeliveryError,
        /// The receiver's status code, when it answered.
        status: Option<u16>,
        /// The transport's own account (the system's error, the certificate's fault), for the
        /// service's log only: it says which ports answer and what they serve.
        detail: String,
    },
}

/// Why an attempt failed, as the deliveries log keeps and shows it. Coarse on purpose: the
/// transport's own messages (`Connection refused (os error 111)`, `No route to host`, which
/// certificate was refused and why) would make webhooks a port and TLS scanner of whatever a
/// target points at; they go to the service's log, with the webhook's id, instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryError {
    /// No answer within the timeout.
    Timeout,
    /// No connection: refused, unreachable, a name that does not resolve, or an address
    /// deliveries may not go to — one class, so that none of them can be told apart.
    Unreachable,
    /// The TLS handshake failed (the certificate, or the protocol).
    Tls,
    /// The receiver answered with a status that is neither 2xx nor 410 (the attempt's
    /// `status_code`).
    HttpStatus,
    /// The service could not prepare the request (render or sign it): no fault of the
    /// receiver's.
    Internal,
}

impl DeliveryError {
    /// Every class, in the order the documentation lists them.
    pub const ALL: [Self; 5] =
        [Self::Timeout, Self::Unreachable, Self::Tls, Self::HttpStatus, Self::Internal];

    /// The class as the deliveries log shows and stores it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::Unreachable => "unreachable",
            Self::Tls => "tls",
            Self::HttpStatus => "http_status",
            Self::Internal => "internal",
        }
    }
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that names no [`DeliveryError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not a delivery error class")]
pub struct UnknownDeliveryError;

impl std::str::FromStr for DeliveryError {
    type Err = UnknownDeliveryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|class| class.as_str() == s).ok_or(UnknownDeliveryError)
    }
}

/// A finished attempt, to record: how it ended and, for a failure, when to try again (`None`:
/// give up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempted {
    /// The delivery tried.
    pub delivery: Delivery,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// When to try again after a failure; `None`: give up.
    pub retry_in: Option<Duration>,
}

/// What waits to be delivered, for metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    /// Deliveries not yet taken by their receiver (due, leased or waiting for a retry).
    pub undelivered: u64,
    /// Seconds since the oldest of them was written; 0 when there is none.
    pub oldest_age_seconds: u64,
}

/// Why a webhook could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateWebhookError {
    #[error("event {0} does not exist")]
    /// No such event to filter by.
    EventNotFound(EventId),
    /// A webhook filtered by event is only for that event's organizer.
    #[error("the caller does not organise event {0}")]
    NotOrganizer(EventId),
    /// Deliveries may not go to its URL.
    #[error("the URL {0}")]
    Target(#[from] TargetRefused),
    /// The organizer already has as many webhooks as the cap allows.
    #[error("the organizer already has {0} webhooks, the most allowed")]
    CapReached(WebhookCap),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

/// Why deliveries may not go to a URL ([`crate::ports::WebhookSender::admits`]). The wording
/// completes "the URL …". A name that does not resolve and one that resolves inside the
/// operator's network read the same: told apart, they would let anyone who can register a
/// webhook learn which internal names exist. The variants stay apart for the service's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TargetRefused {
    /// Not a URL a client can post to (its syntax alone says so).
    #[error("is not a valid URL")]
    Unparsable,
    /// Its host does not resolve.
    #[error("does not resolve to a public address")]
    Unresolvable,
    /// Its host is, or resolves to, an address inside the operator's network.
    #[error("does not resolve to a public address")]
    Internal,
}

/// Why a webhook could not be read or removed.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No such webhook, or another organizer's: one answer, so ids are not revealed.
    #[error("webhook {0} does not exist or is not the caller's")]
    NotFound(WebhookId),
    #[error(transparent)]
    /// The store failed.
    Repo(#[from] RepoError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_error_is_stored_and_read_back_by_its_class_alone() {
        for class in DeliveryError::ALL {
            assert_eq!(class.as_str().parse(), Ok(class));
        }
        assert_eq!("Connection refused (os error 111)".parse::<DeliveryError>(), Err(UnknownDeliveryError));
    }

    #[test]
    fn an_unresolvable_target_reads_as_an_internal_one() {
        assert_eq!(TargetRefused::Unresolvable.to_string(), TargetRefused::Internal.to_string());
    }
}
