use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::audit;

use crate::http::auth::Caller;
use crate::http::dto::{IntegrityResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Proves the caller's event adds up: its history replayed in commit order against its
/// counters and bookings, all read in one snapshot. `ok` is false, naming the checks that
/// failed and the bookings that break them, when they do not.
#[utoipa::path(get, path = "/events/{id}/integrity", tag = "events", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "Every check, and whether each held", body = IntegrityResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event", body = ErrorBody),
))]
pub async fn event_integrity<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let report = audit::integrity(&state.store, caller.id(), event).await?;
    Ok(HttpResponse::Ok().json(IntegrityResponse::from(report)))
}
