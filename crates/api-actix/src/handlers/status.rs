use actix_web::{HttpResponse, web};
use domain::EventId;

use crate::dto::{StatusResponse, parse_path_id};
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /status/{id}`: an event with its free seats and waiting-list length. Public.
pub async fn status(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_path_id("id", &id, EventId::new)?;
    let status = state.events.status(id).await?;
    Ok(HttpResponse::Ok().json(StatusResponse::try_from(status)?))
}
