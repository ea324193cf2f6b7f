use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{PlaceBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Take a place in the event's waiting room: one per account, however often, from however
/// many tabs, devices or instances — a repeat finds the same place. Places are numbered in
/// the order joins are answered; in a shuffled room, those who join before the start are
/// numbered by a random draw at the start.
#[utoipa::path(post, path = "/events/{id}/queue", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "The place an earlier join gave", body = PlaceBody),
    (status = 201, description = "A new place", body = PlaceBody),
    (status = 400, description = "`invalid_request`: the id is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`room_not_found`: no such event, or it has no room", body = ErrorBody),
    (status = 409, description = "`room_not_open`: the room opens later", body = ErrorBody),
))]
pub async fn join_queue<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let (found, new) = state.store.join(event, caller.id()).await?;
    let body = PlaceBody::new(&found.room, found.room.standing(&found.place));
    metrics::record_join(&found.room, new);
    Ok(if new { HttpResponse::Created().json(body) } else { HttpResponse::Ok().json(body) })
}
