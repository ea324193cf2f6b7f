use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;

use domain::ports::Sales as _;

use crate::adapters::Adapters;
use crate::auth::Caller;
use crate::dto::{BookingResponse, CancelRequest, CancelTargetBody};
use crate::error::{ApiError, ErrorBody};
use crate::metrics;
use crate::state::AppState;

/// Cancel a booking. A freed seat goes to the first in line in the same transaction.
#[utoipa::path(post, path = "/cancel", tag = "bookings", security(("bearer" = [])), request_body = CancelTargetBody, responses(
    (status = 200, description = "The booking, now `CANCELLED` (\"Booking cancelled successfully\")", body = BookingResponse),
    (status = 400, description = "`already_cancelled`, or `invalid_request`", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: neither the booking's owner nor the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or no live booking of yours for the event", body = ErrorBody),
))]
pub async fn cancel<A: Adapters>(
    state: web::Data<AppState<A>>,
    caller: Caller,
    body: web::Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.into_inner().into_command(caller.id())?;
    let result = state.sales.cancel(cmd).await;
    metrics::record_cancellation(&result);
    state.answers.respond(Effect::Cancelled(&result?))
}
