use actix_web::{HttpRequest, HttpResponse, web};
use domain::EventId;
use domain::ports::Store;

use crate::http::dto::{RoomStatusBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// The room's public numbers: when it opens and starts, its rate, the serving number and how
/// many have joined. No token needed.
#[utoipa::path(get, path = "/events/{id}/queue/status", tag = "waiting room", params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "The room's numbers", body = RoomStatusBody),
    (status = 400, description = "`invalid_request`: the id is malformed", body = ErrorBody),
    (status = 404, description = "`room_not_found`: no such event, or it has no room", body = ErrorBody),
))]
pub async fn queue_status<S: Store>(
    state: web::Data<AppState<S>>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let room = state.public_catalog(&req).room(event).await?.ok_or(ApiError::RoomNotFound(event))?;
    Ok(HttpResponse::Ok().json(RoomStatusBody::from(&room)))
}
