use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::rooms;

use crate::http::auth::Caller;
use crate::http::dto::{RoomBody, WaitingRoomRequest, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Put a waiting room in front of the event's sale, or replace its settings before the sale
/// starts. While the event has a room, `/book` needs an admission token. Organizer only.
#[utoipa::path(put, path = "/events/{id}/waiting-room", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), request_body = WaitingRoomRequest, responses(
    (status = 200, description = "The room's settings replaced", body = RoomBody),
    (status = 201, description = "The room", body = RoomBody),
    (status = 400, description = "`invalid_request`: a field is malformed, missing or unknown, or the room would open after the sale starts", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event", body = ErrorBody),
    (status = 409, description = "`room_started`: the sale has started (use PATCH); `room_in_use`: `shuffle` cannot change once people joined", body = ErrorBody),
))]
pub async fn set_waiting_room<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
    body: web::Json<WaitingRoomRequest>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let settings = body.into_inner().into_settings()?;
    let (room, created) = rooms::set_room(&state.store, caller.id(), event, settings).await?;
    state.roomless.forget(event);
    let body = RoomBody::from(&room);
    Ok(if created { HttpResponse::Created().json(body) } else { HttpResponse::Ok().json(body) })
}
