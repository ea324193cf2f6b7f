use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;

use domain::ports::Catalog as _;

use crate::adapters::Adapters;
use crate::auth::Caller;
use crate::dto::{InitializeRequest, InitializeResponse};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// Put an event on sale; the caller becomes its organizer.
#[utoipa::path(post, path = "/initialize", tag = "events", security(("bearer" = [])), request_body = InitializeRequest, responses(
    (status = 201, description = "The event", body = InitializeResponse),
    (status = 400, description = "`invalid_request`: a field is missing, empty or out of range", body = ErrorBody),
    (status = 401, description = "`unauthenticated`: no valid token", body = ErrorBody),
))]
pub async fn initialize<A: Adapters>(
    state: web::Data<AppState<A>>,
    caller: Caller,
    body: web::Json<InitializeRequest>,
) -> Result<HttpResponse, ApiError> {
    let new_event = body.into_inner().into_new_event(caller.id())?;
    let event = state.catalog.create_event(new_event).await?;
    state.answers.respond(Effect::EventCreated(&event))
}
