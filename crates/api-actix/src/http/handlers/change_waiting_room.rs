use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::rooms;

use crate::http::auth::Caller;
use crate::http::dto::{ChangeWaitingRoomRequest, RoomBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Change the room's rate, pause or resume it, or let a batch in at once: the serving number
/// moves on from where it is, never back. Organizer only.
#[utoipa::path(patch, path = "/events/{id}/waiting-room", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), request_body = ChangeWaitingRoomRequest, responses(
    (status = 200, description = "The room", body = RoomBody),
    (status = 400, description = "`invalid_request`: a field is malformed or unknown, or none is given", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event; `room_not_found`: it has no room", body = ErrorBody),
))]
pub async fn change_waiting_room<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Json<ChangeWaitingRoomRequest>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let change = body.into_inner().into_change()?;
    let room = rooms::change_room(&state.store, caller.id(), event, change).await?;
    metrics::record_serving(&room);
    Ok(HttpResponse::Ok().json(RoomBody::from(&room)))
}
