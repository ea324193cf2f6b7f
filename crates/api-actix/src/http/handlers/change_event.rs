use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::idempotency::Effect;
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{ChangeEventRequest, ChangeEventResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Change an event. The waiting line is served again under the new `ticketLimit` and
/// `overtakeLimit`, in the same transaction (a raised limit confirms whoever now fits).
/// Organizer only.
#[utoipa::path(patch, path = "/events/{id}", tag = "events", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), request_body = ChangeEventRequest, responses(
    (status = 200, description = "\"Event updated successfully\", the event, and the bookings promoted", body = ChangeEventResponse),
    (status = 400, description = "`invalid_request`: a field is malformed or unknown, or none is given", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event", body = ErrorBody),
    (status = 409, description = "`ticket_limit_below_taken`: fewer seats than already taken; `event_cancelled`", body = ErrorBody),
))]
pub async fn change_event<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    id: web::Path<String>,
    body: web::Json<ChangeEventRequest>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let cmd = body.into_inner().into_command(caller.id(), event)?;
    let result = tag.scope(&state.store).change_event(cmd, key.attempt()).await;
    metrics::record_event_change(&result);
    state.answers.render(Effect::EventChanged(result?))
}
