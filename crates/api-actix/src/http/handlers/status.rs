use actix_web::{HttpRequest, HttpResponse, web};
use domain::EventId;

use domain::ports::Store;

use crate::http::dto::{StatusResponse, original_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// An event with its free seats and the length of its waiting list. Public.
#[utoipa::path(get, path = "/status/{eventId}", tag = "events", params(("eventId" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "The event's status", body = StatusResponse),
    (status = 400, description = "`invalid_request`: the id is not an integer (`\"eventId\" must be a number`, `… must be an integer`)", body = ErrorBody),
    (status = 404, description = "`not_found`, also for an id below 1, as the original answered", body = ErrorBody),
))]
pub async fn status<S: Store>(
    state: web::Data<AppState<S>>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let raw = original_path_id("eventId", &id)?;
    let id = EventId::new(raw).map_err(|_| ApiError::EventNotFound(raw))?;
    let status = state.public_catalog(&req).availability(id).await?;
    Ok(HttpResponse::Ok().json(StatusResponse::try_from(status)?))
}
