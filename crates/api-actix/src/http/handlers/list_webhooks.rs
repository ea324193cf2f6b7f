use actix_web::{HttpResponse, web};
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{WebhookBody, WebhookListResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// The caller's webhooks, oldest first (without their secrets).
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), responses(
    (status = 200, description = "The caller's webhooks", body = WebhookListResponse),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
))]
pub async fn list_webhooks<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let webhooks = state.store.webhooks(caller.id()).await?;
    Ok(HttpResponse::Ok()
        .json(WebhookListResponse { webhooks: webhooks.into_iter().map(WebhookBody::from).collect() }))
}
