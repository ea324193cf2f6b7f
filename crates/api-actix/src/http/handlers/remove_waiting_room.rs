use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::rooms;

use crate::http::auth::Caller;
use crate::http::dto::parse_path_id;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Take the event's waiting room away, with every place in it: `/book` no longer needs an
/// admission token. Organizer only.
#[utoipa::path(delete, path = "/events/{id}/waiting-room", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 204, description = "Removed"),
    (status = 400, description = "`invalid_request`: the id is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event; `room_not_found`: it has no room", body = ErrorBody),
))]
pub async fn remove_waiting_room<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    rooms::remove_room(&state.store, caller.id(), event).await?;
    Ok(HttpResponse::NoContent().finish())
}
