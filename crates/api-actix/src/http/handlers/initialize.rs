use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;

use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{InitializeRequest, InitializeResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;

/// Put an event on sale; the caller becomes its organizer.
#[utoipa::path(post, path = "/initialize", tag = "events", security(("bearer" = [])), request_body = InitializeRequest, responses(
    (status = 201, description = "The event", body = InitializeResponse),
    (status = 400, description = "`invalid_request`: a field is missing, empty or out of range", body = ErrorBody),
    (status = 401, description = "`unauthenticated`: no valid token", body = ErrorBody),
))]
pub async fn initialize<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    body: web::Json<InitializeRequest>,
) -> Result<HttpResponse, ApiError> {
    let new_event = body.into_inner().into_new_event(caller.id())?;
    let event = tag.scope(&state.store).create_event(new_event, key.attempt()).await?;
    state.answers.render(Effect::EventCreated(event))
}
