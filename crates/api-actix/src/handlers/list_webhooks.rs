use actix_web::{HttpResponse, web};
use domain::ports::Webhooks as _;

use crate::adapters::Adapters;
use crate::auth::Caller;
use crate::dto::{WebhookBody, WebhookListResponse};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

/// The caller's webhooks, oldest first (without their secrets).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's webhooks", body = WebhookListResponse),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
))]
pub async fn list_webhooks<A: Adapters>(
    state: web::Data<AppState<A>>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let webhooks = state.webhooks.webhooks(caller.id()).await?;
    Ok(HttpResponse::Ok()
        .json(WebhookListResponse { webhooks: webhooks.into_iter().map(WebhookBody::from).collect() }))
}
