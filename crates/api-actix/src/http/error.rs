//! The only place an error's HTTP status is chosen (a success's is its effect's, in
//! `answers`). Every domain error maps here exhaustively (no catch-all arm), so a new failure
//! case does not compile until it has an answer.
//!
//! Bodies are `{"error": "<message>", "code": "<code>"}`: `error` is what the original
//! service's clients read (its messages are kept word for word), `code` is stable and
//! machine-readable. 5xx bodies never carry internals; the cause chain goes to the log.
//!
//! It is also where an error's log level is chosen: a fault (a 5xx the service owes its
//! operators an explanation for) is an ERROR; overload — a 503 because the clients asked for
//! more at once than the service was sized for (the password hashing queue full, the
//! database pool's queue full) — is a WARN and a count (`overload_refusals_total`), so that a
//! storm of clients cannot fill the error log.

use std::borrow::Cow;
use std::fmt::Write as _;

use actix_web::error::{JsonPayloadError, PathError, PayloadError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, ResponseError};
use domain::history::HistoryError;
use domain::room::{AdmissionError, RoomError};
use domain::user::PasswordError;
use domain::webhook::{CreateWebhookError, WebhookError};
use domain::{
    AnswerOfferError, BookError, BookingId, BoxError, CancelError, CancelEventError, ChangeEventError,
    ChangeQuantityError, CreateEventError, EventId, FindBookingError, FindEventError, HashError,
    ListAttendeesError, LoginError, Overloaded, PasswordChangeError, RegisterError, RepoError, UserId,
};
use serde::Serialize;
use utoipa::ToSchema;

/// The "field problem" error, in the original's Joi wording: `"eventId" is required`.
pub fn field_error(field: &str, problem: &str) -> ApiError {
    ApiError::Invalid(format!("\"{field}\" {problem}"))
}

/// What a client reads when a new password is refused, after the field's name.
pub const fn password_problem(error: PasswordError) -> &'static str {
    match error {
        PasswordError::TooShort => "length must be at least 8 characters long",
        PasswordError::TooLong => "length must be less than or equal to 256 characters long",
        PasswordError::Common => "is one of the most commonly used passwords; choose another",
        PasswordError::ContainsEmail => "must not contain the name part of the email address",
    }
}

/// A body that ended early or whose chunks do not parse.
const MALFORMED_BODY: &str = "The request body is incomplete or its chunked encoding is malformed";

/// Seconds a client should wait after a 503 before trying again.
const RETRY_AFTER_UNAVAILABLE: u64 = 1;

/// What went wrong with a request, as the HTTP layer answers it. The `#[error]` texts are what
/// clients read; where the original service had a message, it is kept word for word.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A body, path, query or field the client must fix. The message says which and why.
    #[error("{0}")]
    Invalid(String),
    /// No usable token: missing, malformed, tampered, expired, or naming no user.
    #[error("Access denied")]
    Unauthenticated,
    #[error("Invalid email or password")]
    InvalidCredentials,
    /// Authenticated, but not allowed to act on this resource.
    #[error("Access denied")]
    Forbidden,
    /// Raw ids: the original answered 404, not 400, for an id below 1 on `/status` and
    /// `/cancel`.
    #[error("Event with ID {0} not found")]
    EventNotFound(i64),
    #[error("User with ID {0} not found")]
    UserNotFound(UserId),
    #[error("Booking with ID {0} not found")]
    BookingNotFound(i64),
    #[error("Webhook with ID {0} not found")]
    WebhookNotFound(i64),
    /// Cancelling by event, when the caller has no live booking there.
    #[error("No active booking found for event with ID {0}")]
    NoLiveBooking(EventId),
    #[error("User already has a booking")]
    AlreadyBooked,
    #[error("User is already on wait list")]
    AlreadyWaitlisted,
    #[error("Booking with ID {0} has already been cancelled")]
    AlreadyCancelled(BookingId),
    /// The organizer called the event off: nothing about it can change any more.
    #[error("Event with ID {0} has been cancelled")]
    EventCancelled(EventId),
    /// A lower ticket limit than the seats already confirmed; nothing changed.
    #[error("\"ticketLimit\" must be at least {taken}, the seats already taken")]
    LimitBelowTaken { taken: u32 },
    /// More seats than the event has: such a booking could never be served (until the
    /// organizer raises the limit, hence a conflict rather than a malformed request).
    #[error("\"quantity\" must be less than or equal to {limit}, the event's ticketLimit")]
    QuantityOverLimit { limit: u32 },
    /// Only a waiting booking changes its quantity.
    #[error("Booking with ID {0} is not waiting")]
    BookingNotWaiting(BookingId),
    /// Only an offered booking is accepted or declined.
    #[error("Booking with ID {0} holds no offer")]
    NotOffered(BookingId),
    /// The offer's deadline passed, by the database clock; its seats have gone (or are going)
    /// to the next in line.
    #[error("The offer to booking with ID {0} has expired")]
    OfferExpired(BookingId),
    #[error("A user with this email already exists")]
    EmailTaken,
    #[error("Event with ID {0} has no waiting room")]
    RoomNotFound(EventId),
    /// Joins before the room opens are refused, not queued: arriving early buys nothing.
    #[error("The waiting room opens at {0}")]
    RoomNotOpen(String),
    #[error("You have no place in the waiting room of event {0}")]
    NotInQueue(EventId),
    /// A room's settings are fixed once its sale starts; the rate, a pause or a batch let in
    /// change through `PATCH`.
    #[error("The sale has started: change the rate, pause or admit with PATCH instead")]
    RoomStarted,
    #[error("People have joined: whether early arrivals are shuffled can no longer change")]
    RoomInUse,
    /// Reached and unused past its validity (or its token's life): the place is gone.
    #[error("Your place was reached and expired unused")]
    PlaceExpired,
    #[error("This event sells through its waiting room: send your admission token in X-Admission-Token")]
    AdmissionRequired,
    #[error("The admission token is not valid for this user and event, or has expired")]
    AdmissionInvalid,
    /// The organizer has as many webhooks as `WEBHOOKS_PER_USER` allows; deleting one makes
    /// room (so the key of a keyed request is given back: a retry after that runs again).
    #[error("An organizer may have at most {cap} webhooks; delete one to add another")]
    WebhookCapReached { cap: u32 },
    #[error("Request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    #[error("No route for {0}")]
    RouteNotFound(String),
    /// The path exists, not with this method; `allow` lists the methods it has (RFC 9110).
    #[error("Method not allowed")]
    MethodNotAllowed { allow: String },
    /// The client's address holds more connections than its share.
    #[error("Too many open connections from this address")]
    TooManyConnections,
    /// The request body did not arrive within the body timeout.
    #[error("The request body did not arrive in time")]
    BodyTimeout,
    /// The request head did not arrive within the head timeout (answered by actix-http).
    #[error("The request head did not arrive in time")]
    HeadTimeout,
    /// Bytes that are not an HTTP/1.1 request head (answered by actix-http).
    #[error("The request is not well-formed HTTP/1.1")]
    MalformedRequest,
    /// A request head over the server's buffer (answered by actix-http).
    #[error("The request head is too large")]
    HeadTooLarge,
    /// The client's rate limit is spent; it may try again after `retry_after` seconds.
    #[error("Too many requests")]
    RateLimited { retry_after: u64 },
    /// Readiness: the store does not answer in time. Take the instance out of the balancer.
    #[error("The database is not reachable")]
    StoreUnreachable,
    /// Readiness: the instance is draining before it stops.
    #[error("The service is shutting down")]
    ShuttingDown,
    /// An `Idempotency-Key` sent again with another request (method, path or body).
    #[error("This Idempotency-Key was used with another request")]
    IdempotencyKeyReused,
    /// An `Idempotency-Key` whose first request is still running.
    #[error("A request with this Idempotency-Key is still running, retry shortly")]
    IdempotencyKeyInFlight,
    /// Every password hashing slot is busy and the wait for one is over. Retrying later may work.
    #[error("Too many sign-ins at once, retry shortly")]
    HashingBusy,
    /// The database could not be reached in time. Retrying later may work.
    #[error("Service temporarily unavailable, retry later")]
    Unavailable(#[source] BoxError),
    /// A bug or a broken invariant; details only in the log.
    #[error("An unknown error occurred")]
    Internal(#[source] BoxError),
}

/// The answer for one [`ApiError`]: its status and stable code.
const fn status_and_code(error: &ApiError) -> (StatusCode, &'static str) {
    match error {
        ApiError::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
        ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        ApiError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        ApiError::EventNotFound(_)
        | ApiError::UserNotFound(_)
        | ApiError::BookingNotFound(_)
        | ApiError::WebhookNotFound(_)
        | ApiError::NoLiveBooking(_) => (StatusCode::NOT_FOUND, "not_found"),
        ApiError::AlreadyBooked => (StatusCode::BAD_REQUEST, "already_booked"),
        ApiError::AlreadyWaitlisted => (StatusCode::BAD_REQUEST, "already_waitlisted"),
        ApiError::AlreadyCancelled(_) => (StatusCode::BAD_REQUEST, "already_cancelled"),
        ApiError::EventCancelled(_) => (StatusCode::CONFLICT, "event_cancelled"),
        ApiError::LimitBelowTaken { .. } => (StatusCode::CONFLICT, "ticket_limit_below_taken"),
        ApiError::QuantityOverLimit { .. } => (StatusCode::CONFLICT, "quantity_over_limit"),
        ApiError::BookingNotWaiting(_) => (StatusCode::CONFLICT, "booking_not_waiting"),
        ApiError::NotOffered(_) => (StatusCode::CONFLICT, "not_offered"),
        ApiError::OfferExpired(_) => (StatusCode::CONFLICT, "offer_expired"),
        ApiError::EmailTaken => (StatusCode::CONFLICT, "email_taken"),
        ApiError::RoomNotFound(_) => (StatusCode::NOT_FOUND, "room_not_found"),
        ApiError::RoomNotOpen(_) => (StatusCode::CONFLICT, "room_not_open"),
        ApiError::NotInQueue(_) => (StatusCode::NOT_FOUND, "not_in_queue"),
        ApiError::RoomStarted => (StatusCode::CONFLICT, "room_started"),
        ApiError::RoomInUse => (StatusCode::CONFLICT, "room_in_use"),
        ApiError::PlaceExpired => (StatusCode::GONE, "place_expired"),
        ApiError::AdmissionRequired => (StatusCode::FORBIDDEN, "admission_required"),
        ApiError::AdmissionInvalid => (StatusCode::FORBIDDEN, "admission_invalid"),
        ApiError::WebhookCapReached { .. } => (StatusCode::CONFLICT, "webhook_limit_reached"),
        ApiError::IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"),
        ApiError::IdempotencyKeyInFlight => (StatusCode::CONFLICT, "idempotency_key_in_flight"),
        ApiError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        ApiError::RouteNotFound(_) => (StatusCode::NOT_FOUND, "route_not_found"),
        ApiError::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        ApiError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        ApiError::TooManyConnections => (StatusCode::TOO_MANY_REQUESTS, "too_many_connections"),
        ApiError::BodyTimeout | ApiError::HeadTimeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
        ApiError::MalformedRequest => (StatusCode::BAD_REQUEST, "invalid_request"),
        ApiError::HeadTooLarge => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large"),
        ApiError::StoreUnreachable
        | ApiError::ShuttingDown
        | ApiError::HashingBusy
        | ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
        ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
    }
}

impl ApiError {
    /// Seconds the client should wait before retrying: the rate limiter's own figure for a 429,
    /// and [`RETRY_AFTER_UNAVAILABLE`] for every 503 (docs/API.md, "Errors": a 503 always carries one).
    fn retry_after(&self) -> Option<u64> {
        match self {
            Self::RateLimited { retry_after } => return Some(*retry_after),
            Self::TooManyConnections | Self::IdempotencyKeyInFlight => return Some(1),
            _ => {}
        }
        (status_and_code(self).0 == StatusCode::SERVICE_UNAVAILABLE).then_some(RETRY_AFTER_UNAVAILABLE)
    }

    /// Which resource ran out when this is a refusal for overload, not a fault:
    /// `password_hashing` or `database_pool`.
    fn overloaded(&self) -> Option<&'static str> {
        match self {
            Self::HashingBusy => Some("password_hashing"),
            Self::Unavailable(cause) => {
                let mut source: Option<&(dyn std::error::Error + 'static)> = Some(cause.as_ref());
                while let Some(error) = source {
                    if error.is::<Overloaded>() {
                        return Some("database_pool");
                    }
                    source = error.source();
                }
                None
            }
            _ => None,
        }
    }

    /// The error behind an answer actix-http gives on its own, with no body, before any route
    /// runs (see `bare_answers`); `None` for a status it does not give that way.
    #[must_use]
    pub fn answered_bare(status: u16) -> Option<Self> {
        match status {
            400 => Some(Self::MalformedRequest),
            408 => Some(Self::HeadTimeout),
            431 => Some(Self::HeadTooLarge),
            500 => Some(Self::Internal("actix-http answered 500 by itself".into())),
            _ => None,
        }
    }

    /// The JSON body of this error's answer.
    #[must_use]
    pub fn json_body(&self) -> String {
        body_text(&self.to_string(), status_and_code(self).1)
    }

    /// A JSON body that could not be read, with the size limit its reader had.
    #[must_use]
    pub fn from_json(error: JsonPayloadError, limit: usize) -> Self {
        match error {
            JsonPayloadError::Overflow { limit } | JsonPayloadError::OverflowKnownLength { limit, .. } => {
                Self::PayloadTooLarge { limit }
            }
            JsonPayloadError::Payload(PayloadError::Overflow) => Self::PayloadTooLarge { limit },
            JsonPayloadError::ContentType => Self::UnsupportedMediaType,
            JsonPayloadError::Payload(PayloadError::Io(e)) if e.kind() == std::io::ErrorKind::TimedOut => {
                Self::BodyTimeout
            }
            // Well-formed JSON of the wrong shape: with every field read as any JSON value, only
            // a body that is not an object gets here. The original's validator said this.
            JsonPayloadError::Deserialize(e) if e.is_data() => {
                Self::Invalid("\"value\" must be of type object".to_owned())
            }
            JsonPayloadError::Deserialize(e) => Self::Invalid(format!("Request body is not valid JSON: {e}")),
            // actix-http ends a body whose chunk framing does not parse as if the client had
            // gone (an incomplete payload); its own words name its internals.
            JsonPayloadError::Payload(PayloadError::Incomplete(_) | PayloadError::EncodingCorrupted) => {
                Self::Invalid(MALFORMED_BODY.to_owned())
            }
            // The enums are non-exhaustive: anything new is a body we could not read.
            _ => Self::Invalid("Could not read the request body".to_owned()),
        }
    }
}

/// The JSON error body every endpoint uses.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// A message for people; the original service's wording where it had one.
    #[schema(value_type = String, example = "Event with ID 7 not found")]
    pub error: Cow<'a, str>,
    /// Stable, for programs: invalid_request, unauthenticated, invalid_credentials, forbidden,
    /// not_found, already_booked, already_waitlisted, already_cancelled, event_cancelled,
    /// ticket_limit_below_taken, quantity_over_limit, booking_not_waiting, not_offered,
    /// offer_expired, email_taken, room_not_found, room_not_open, not_in_queue, room_started,
    /// room_in_use, place_expired, admission_required, admission_invalid,
    /// webhook_limit_reached, idempotency_key_reused, idempotency_key_in_flight,
    /// payload_too_large, unsupported_media_type,
    /// route_not_found, method_not_allowed, rate_limited, too_many_connections, request_timeout,
    /// headers_too_large,
    /// service_unavailable, internal_error.
    #[schema(value_type = String, example = "not_found")]
    pub code: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_and_code(self).0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code) = status_and_code(self);
        if let Some(resource) = self.overloaded() {
            crate::telemetry::metrics::overload_refused(resource);
            tracing::warn!(code, resource, cause = %cause_chain(self), "request refused: overloaded");
        } else if status.is_server_error() {
            tracing::error!(code, cause = %cause_chain(self), "request failed");
        }
        let mut response = json_error(status, &self.to_string(), code);
        if let Some(seconds) = self.retry_after() {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if let Self::MethodNotAllowed { allow } = self
            && let Ok(value) = HeaderValue::from_str(allow)
        {
            response.headers_mut().insert(ALLOW, value);
        }
        response
    }
}

/// `{"error", "code"}` with the given status.
fn json_error(status: StatusCode, message: &str, code: &str) -> HttpResponse {
    let mut response = HttpResponse::with_body(status, body_text(message, code)).map_into_boxed_body();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `{"error", "code"}` as text.
fn body_text(message: &str, code: &str) -> String {
    serde_json::to_string(&ErrorBody { error: Cow::Borrowed(message), code })
        .unwrap_or_else(|_| format!(r#"{{"error":"An unknown error occurred","code":"{code}"}}"#))
}

/// "outer: middle: root" for the log.
fn cause_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(chain, ": {cause}");
        source = cause.source();
    }
    chain
}

/// A path segment that did not parse (the handlers' own parsing names the field instead).
impl From<PathError> for ApiError {
    fn from(error: PathError) -> Self {
        Self::Invalid(format!("Invalid path: {error}"))
    }
}

/// A query string that did not parse.
impl From<QueryPayloadError> for ApiError {
    fn from(error: QueryPayloadError) -> Self {
        Self::Invalid(format!("Invalid query string: {error}"))
    }
}

impl From<RepoError> for ApiError {
    fn from(error: RepoError) -> Self {
        match error {
            RepoError::Unavailable(_) => Self::Unavailable(Box::new(error)),
            RepoError::Internal(_) => Self::Internal(Box::new(error)),
        }
    }
}

impl From<BookError> for ApiError {
    fn from(error: BookError) -> Self {
        match error {
            BookError::EventNotFound(id) => Self::EventNotFound(id.get()),
            BookError::UserNotFound(id) => Self::UserNotFound(id),
            BookError::AlreadyBooked => Self::AlreadyBooked,
            BookError::AlreadyWaitlisted => Self::AlreadyWaitlisted,
            BookError::ForAnotherUser { .. } => Self::Forbidden,
            BookError::EventCancelled(id) => Self::EventCancelled(id),
            BookError::QuantityOverMax { max } => quantity_over_max(max),
            BookError::QuantityOverLimit { limit } => Self::QuantityOverLimit { limit },
            BookError::Repo(e) => e.into(),
        }
    }
}

/// More seats than one booking of the event may take: the request is malformed for this event.
fn quantity_over_max(max: u32) -> ApiError {
    field_error("quantity", &format!("must be less than or equal to {max}, the event's maxPerBooking"))
}

impl From<ChangeQuantityError> for ApiError {
    fn from(error: ChangeQuantityError) -> Self {
        match error {
            // Another user's booking is not revealed: the same 404 as an unknown one.
            ChangeQuantityError::NotFound(id) => Self::BookingNotFound(id.get()),
            ChangeQuantityError::NotWaiting(id) => Self::BookingNotWaiting(id),
            ChangeQuantityError::OverMax { max } => quantity_over_max(max),
            ChangeQuantityError::OverLimit { limit } => Self::QuantityOverLimit { limit },
            ChangeQuantityError::Repo(e) => e.into(),
        }
    }
}

impl From<AnswerOfferError> for ApiError {
    fn from(error: AnswerOfferError) -> Self {
        match error {
            // Another user's booking is not revealed: the same 404 as an unknown one.
            AnswerOfferError::NotFound(id) => Self::BookingNotFound(id.get()),
            AnswerOfferError::NotOffered(id) => Self::NotOffered(id),
            AnswerOfferError::OfferExpired(id) => Self::OfferExpired(id),
            AnswerOfferError::Repo(e) => e.into(),
        }
    }
}

impl From<CancelError> for ApiError {
    fn from(error: CancelError) -> Self {
        match error {
            CancelError::BookingNotFound(id) => Self::BookingNotFound(id.get()),
            CancelError::NoLiveBooking(event) => Self::NoLiveBooking(event),
            CancelError::AlreadyCancelled(id) => Self::AlreadyCancelled(id),
            CancelError::NotAllowed(_) => Self::Forbidden,
            CancelError::Repo(e) => e.into(),
        }
    }
}

impl From<CreateEventError> for ApiError {
    fn from(error: CreateEventError) -> Self {
        match error {
            // The organizer is the caller, whose account vanished after authentication.
            CreateEventError::OrganizerNotFound(_) => Self::Unauthenticated,
            CreateEventError::Repo(e) => e.into(),
        }
    }
}

impl From<FindEventError> for ApiError {
    fn from(error: FindEventError) -> Self {
        match error {
            FindEventError::NotFound(id) => Self::EventNotFound(id.get()),
            FindEventError::Repo(e) => e.into(),
        }
    }
}

impl From<ChangeEventError> for ApiError {
    fn from(error: ChangeEventError) -> Self {
        match error {
            ChangeEventError::EventNotFound(id) => Self::EventNotFound(id.get()),
            ChangeEventError::NotOrganizer(_) => Self::Forbidden,
            ChangeEventError::EventCancelled(id) => Self::EventCancelled(id),
            ChangeEventError::LimitBelowTaken { taken, .. } => Self::LimitBelowTaken { taken },
            ChangeEventError::Repo(e) => e.into(),
        }
    }
}

impl From<CancelEventError> for ApiError {
    fn from(error: CancelEventError) -> Self {
        match error {
            CancelEventError::EventNotFound(id) => Self::EventNotFound(id.get()),
            CancelEventError::NotOrganizer(_) => Self::Forbidden,
            CancelEventError::AlreadyCancelled(id) => Self::EventCancelled(id),
            CancelEventError::Repo(e) => e.into(),
        }
    }
}

impl From<FindBookingError> for ApiError {
    fn from(error: FindBookingError) -> Self {
        match error {
            FindBookingError::NotFound(id) => Self::BookingNotFound(id.get()),
            FindBookingError::Repo(e) => e.into(),
        }
    }
}

impl From<HistoryError> for ApiError {
    fn from(error: HistoryError) -> Self {
        match error {
            HistoryError::BookingNotFound(id) => Self::BookingNotFound(id.get()),
            HistoryError::EventNotFound(id) => Self::EventNotFound(id.get()),
            HistoryError::NotOrganizer { .. } => Self::Forbidden,
            HistoryError::Repo(e) => e.into(),
        }
    }
}

impl From<RoomError> for ApiError {
    fn from(error: RoomError) -> Self {
        match error {
            RoomError::EventNotFound(id) => Self::EventNotFound(id.get()),
            RoomError::NotOrganizer { .. } => Self::Forbidden,
            RoomError::NoRoom(id) => Self::RoomNotFound(id),
            RoomError::NotOpen(at) => {
                Self::RoomNotOpen(at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            }
            RoomError::NotInQueue(id) => Self::NotInQueue(id),
            RoomError::Started => Self::RoomStarted,
            RoomError::ShuffleFixed => Self::RoomInUse,
            RoomError::PlaceExpired => Self::PlaceExpired,
            RoomError::Repo(e) => e.into(),
        }
    }
}

impl From<AdmissionError> for ApiError {
    fn from(error: AdmissionError) -> Self {
        match error {
            AdmissionError::Required => Self::AdmissionRequired,
            AdmissionError::Invalid => Self::AdmissionInvalid,
            AdmissionError::Repo(e) => e.into(),
        }
    }
}

impl From<ListAttendeesError> for ApiError {
    fn from(error: ListAttendeesError) -> Self {
        match error {
            ListAttendeesError::EventNotFound(id) => Self::EventNotFound(id.get()),
            ListAttendeesError::NotOrganizer(_) => Self::Forbidden,
            ListAttendeesError::Repo(e) => e.into(),
        }
    }
}

impl From<CreateWebhookError> for ApiError {
    fn from(error: CreateWebhookError) -> Self {
        match error {
            CreateWebhookError::EventNotFound(id) => Self::EventNotFound(id.get()),
            CreateWebhookError::NotOrganizer(_) => Self::Forbidden,
            CreateWebhookError::Target(refused) => field_error("url", &refused.to_string()),
            CreateWebhookError::CapReached(cap) => Self::WebhookCapReached { cap: cap.get() },
            CreateWebhookError::Repo(e) => e.into(),
        }
    }
}

impl From<WebhookError> for ApiError {
    fn from(error: WebhookError) -> Self {
        match error {
            WebhookError::NotFound(id) => Self::WebhookNotFound(id.get()),
            WebhookError::Repo(e) => e.into(),
        }
    }
}

impl From<RegisterError> for ApiError {
    fn from(error: RegisterError) -> Self {
        match error {
            RegisterError::EmailTaken => Self::EmailTaken,
            RegisterError::Hash(e) => e.into(),
            RegisterError::Repo(e) => e.into(),
        }
    }
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::HashingBusy,
            HashError::Failed(_) => Self::Internal(Box::new(error)),
        }
    }
}

impl From<PasswordChangeError> for ApiError {
    fn from(error: PasswordChangeError) -> Self {
        match error {
            PasswordChangeError::WrongPassword => {
                field_error("currentPassword", "is not the account's password")
            }
            PasswordChangeError::Weak(problem) => field_error("newPassword", password_problem(problem)),
            // The caller's account vanished after authentication.
            PasswordChangeError::UnknownUser => Self::Unauthenticated,
            PasswordChangeError::Hash(e) => e.into(),
            PasswordChangeError::Repo(e) => e.into(),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(error: LoginError) -> Self {
        match error {
            LoginError::InvalidCredentials => Self::InvalidCredentials,
            LoginError::Hash(e) => e.into(),
            LoginError::Repo(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use domain::{BookingId, EventId};

    use super::*;

    async fn body(error: ApiError) -> (StatusCode, serde_json::Value, Option<String>) {
        let response = error.error_response();
        let retry = response.headers().get(RETRY_AFTER).map(|v| v.to_str().unwrap().to_owned());
        let status = response.status();
        let bytes = to_bytes(response.into_body()).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap(), retry)
    }

    #[actix_web::test]
    async fn business_errors_keep_the_original_services_messages() {
        let event = EventId::new(7).unwrap();
        let (status, json, _) = body(BookError::EventNotFound(event).into()).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(json, serde_json::json!({"error": "Event with ID 7 not found", "code": "not_found"}));

        let (status, json, _) = body(CancelError::AlreadyCancelled(BookingId::new(3).unwrap()).into()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(json["error"], "Booking with ID 3 has already been cancelled");
    }

    #[actix_web::test]
    async fn quantities_over_the_events_maximum_are_malformed_and_over_its_seats_a_conflict() {
        for error in [
            ApiError::from(BookError::QuantityOverMax { max: 4 }),
            ChangeQuantityError::OverMax { max: 4 }.into(),
        ] {
            let (status, json, _) = body(error).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_eq!(
                json,
                serde_json::json!({"error": "\"quantity\" must be less than or equal to 4, the event's maxPerBooking", "code": "invalid_request"})
            );
        }
        for error in [
            ApiError::from(BookError::QuantityOverLimit { limit: 5 }),
            ChangeQuantityError::OverLimit { limit: 5 }.into(),
        ] {
            let (status, json, _) = body(error).await;
            assert_eq!(status, StatusCode::CONFLICT);
            assert_eq!(json["code"], "quantity_over_limit");
        }
        let booking = BookingId::new(3).unwrap();
        let (status, json, _) = body(ChangeQuantityError::NotWaiting(booking).into()).await;
        assert_eq!(
            (status, &json["code"]),
            (StatusCode::CONFLICT, &serde_json::json!("booking_not_waiting"))
        );
        let (status, json, _) = body(ChangeQuantityError::NotFound(booking).into()).await;
        assert_eq!(
            (status, &json["error"]),
            (StatusCode::NOT_FOUND, &serde_json::json!("Booking with ID 3 not found"))
        );
    }

    #[actix_web::test]
    async fn an_outage_is_a_503_with_retry_after_and_no_internals() {
        let outage: ApiError = RepoError::Unavailable("connection refused to 10.0.0.5:5432".into()).into();
        let (status, json, retry) = body(outage).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(retry.as_deref(), Some("1"));
        assert!(!json.to_string().contains("10.0.0.5"), "{json}");
    }

    #[actix_web::test]
    async fn a_rate_limited_client_is_told_when_to_come_back() {
        let (status, json, retry) = body(ApiError::RateLimited { retry_after: 3 }).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry.as_deref(), Some("3"));
        assert_eq!(json, serde_json::json!({"error": "Too many requests", "code": "rate_limited"}));
    }

    #[actix_web::test]
    async fn an_instance_that_is_not_ready_says_why_and_when_to_retry() {
        for (error, message) in [
            (ApiError::StoreUnreachable, "The database is not reachable"),
            (ApiError::ShuttingDown, "The service is shutting down"),
        ] {
            let (status, json, retry) = body(error).await;
            assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!((json["error"].as_str(), retry.as_deref()), (Some(message), Some("1")));
        }
    }

    #[actix_web::test]
    async fn an_internal_error_says_nothing_about_its_cause() {
        let bug: ApiError = RepoError::Internal("syntax error at or near SELECT".into()).into();
        let (status, json, _) = body(bug).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(json, serde_json::json!({"error": "An unknown error occurred", "code": "internal_error"}));
    }

    /// The levels of the events `render` logs.
    fn levels_logged(render: impl FnOnce()) -> Vec<tracing::Level> {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::layer::SubscriberExt as _;

        struct Levels(Arc<Mutex<Vec<tracing::Level>>>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Levels {
            fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
                self.0.lock().unwrap().push(*event.metadata().level());
            }
        }
        let levels = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Levels(levels.clone()));
        tracing::subscriber::with_default(subscriber, render);
        levels.lock().unwrap().clone()
    }

    #[test]
    fn overload_is_a_warning_and_a_fault_an_error() {
        use tracing::Level;
        let full_pool = || ApiError::from(RepoError::Unavailable(Box::new(Overloaded { waiting: 64 })));
        let outage = || ApiError::from(RepoError::Unavailable("connection refused".into()));

        for (error, level) in [
            (ApiError::HashingBusy, Level::WARN),
            (full_pool(), Level::WARN),
            (outage(), Level::ERROR),
            (ApiError::Internal("a bug".into()), Level::ERROR),
        ] {
            let name = format!("{error:?}");
            assert_eq!(levels_logged(|| drop(error.error_response())), [level], "{name}");
        }
        assert!(levels_logged(|| drop(ApiError::Forbidden.error_response())).is_empty(), "a 4xx is no news");
    }

    #[actix_web::test]
    async fn a_webhook_past_the_cap_is_a_conflict_with_its_own_code() {
        let cap = domain::webhook::WebhookCap::new(20).unwrap();
        let (status, json, _) = body(CreateWebhookError::CapReached(cap).into()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(
            json,
            serde_json::json!({
                "error": "An organizer may have at most 20 webhooks; delete one to add another",
                "code": "webhook_limit_reached"
            })
        );
    }

    #[test]
    fn the_cause_chain_reaches_the_log() {
        let bug: ApiError = RepoError::Internal("relation \"bookings\" does not exist".into()).into();
        assert_eq!(
            cause_chain(&bug),
            "An unknown error occurred: the database answered unexpectedly: relation \"bookings\" does not exist"
        );
    }
}
