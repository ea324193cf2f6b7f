use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;

use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{BookingResponse, CancelRequest, CancelTargetBody};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Cancel a booking. A freed seat goes to the first in line in the same transaction.
#[utoipa::path(post, path = "/cancel", tag = "bookings", security(("bearer" = [])), request_body = CancelTargetBody, responses(
    (status = 200, description = "The booking, now `CANCELLED` (\"Booking cancelled successfully\")", body = BookingResponse),
    (status = 400, description = "`already_cancelled`, or `invalid_request`", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: neither the booking's owner nor the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or no live booking of yours for the event", body = ErrorBody),
))]
pub async fn cancel<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    body: web::Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.into_inner().into_command(caller.id())?;
    let result = tag.scope(&state.store).cancel(cmd, key.attempt()).await;
    metrics::record_cancellation(&result);
    state.answers.render(Effect::Cancelled(result?))
}
