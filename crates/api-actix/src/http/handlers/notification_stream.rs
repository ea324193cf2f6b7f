use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::after_id;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::feed::SubscribeError;
use crate::http::feed::stream::{self, Session};
use crate::http::state::AppState;

/// The caller's notifications as Server-Sent Events (`id:`, `event:` the type, `data:` the
/// notification), live from any instance's commits; a comment line every 15 s. Reconnect with
/// `Last-Event-ID` to resume right after the last event seen; without it, the stream starts
/// with what happens next (read the past with `GET /me/notifications`). The stream ends, after
/// an event `session.ended` with its `reason`, when its token expires (`expired`), is logged
/// out or outdated by a password change (`revoked`), or when its user opens a ninth stream on
/// this instance (`superseded`: the oldest ends).
#[utoipa::path(get, path = "/me/notifications/stream", tag = "notifications", security(("bearer" = [])), params(
    ("Last-Event-ID" = Option<i64>, Header, minimum = 0, description = "Resume after this notification id"),
), responses(
    (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = String),
    (status = 400, description = "`invalid_request`: Last-Event-ID is not a notification id", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
))]
pub async fn notification_stream<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    request: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let last_seen = match request.headers().get("last-event-id") {
        None => None,
        Some(value) => {
            let text = value.to_str().map_err(|_| ApiError::Invalid(LAST_EVENT_ID.to_owned()))?;
            after_id(text).map_err(|_| ApiError::Invalid(LAST_EVENT_ID.to_owned()))?
        }
    };
    let subscription = state.feed.subscribe(caller.id()).map_err(|e| match e {
        SubscribeError::Closed => ApiError::ShuttingDown,
    })?;
    let session = Session { token: caller.token(), revocations: Arc::clone(&state.revocations) };
    let body =
        stream::events(state.store.clone(), session, subscription, last_seen, state.settings.heartbeat);
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, HeaderValue::from_static("no-cache")))
        .insert_header(("x-accel-buffering", HeaderValue::from_static("no")))
        .streaming(body))
}

const LAST_EVENT_ID: &str = "\"Last-Event-ID\" must be a notification id (an integer of 0 or more)";
