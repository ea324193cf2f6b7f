use actix_web::{HttpResponse, web};
use domain::EventId;

use domain::ports::Catalog as _;

use crate::adapters::Adapters;
use crate::dto::{StatusResponse, parse_path_id};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// An event with its free seats and the length of its waiting list. Public.
#[utoipa::path(get, path = "/status/{id}", tag = "events", params(("id" = i64, Path, description = "Event id")), responses(
    (status = 200, description = "The event's status", body = StatusResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
))]
pub async fn status<A: Adapters>(
    state: web::Data<AppState<A>>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_path_id("id", &id, EventId::new)?;
    let status = state.catalog.availability(id).await?;
    Ok(HttpResponse::Ok().json(StatusResponse::try_from(status)?))
}
