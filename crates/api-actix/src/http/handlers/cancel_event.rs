use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;
use domain::ports::Store;
use domain::{CancelEvent, EventId};

use crate::http::auth::Caller;
use crate::http::dto::{CancelEventResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;

/// Call an event off: it and every live booking of it become cancelled, in one transaction.
/// Organizer only.
#[utoipa::path(post, path = "/events/{id}/cancel", tag = "events", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "\"Event cancelled successfully\", the event, and how many bookings ended", body = CancelEventResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event", body = ErrorBody),
    (status = 409, description = "`event_cancelled`: cancelled already", body = ErrorBody),
))]
pub async fn cancel_event<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let cmd = CancelEvent { caller: caller.id(), event };
    let cancellation = tag.scope(&state.store).cancel_event(cmd, key.attempt()).await?;
    state.answers.render(Effect::EventCalledOff(cancellation))
}
