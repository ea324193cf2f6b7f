use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::dto::{InitializeRequest, InitializeResponse};
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /initialize`: a new event, organised by the caller.
pub async fn initialize(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<InitializeRequest>,
) -> Result<HttpResponse, ApiError> {
    let new_event = body.into_inner().into_new_event(caller.id())?;
    let event = state.events.create(new_event).await?;
    Ok(HttpResponse::Created()
        .json(InitializeResponse { message: "Event created successfully", event: event.try_into()? }))
}
