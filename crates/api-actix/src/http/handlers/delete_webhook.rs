use actix_web::{HttpResponse, web};
use domain::WebhookId;
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::parse_path_id;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Remove a webhook with its pending deliveries and its log.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Webhook id")), responses(
    (status = 204, description = "Removed"),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such webhook of the caller's", body = ErrorBody),
))]
pub async fn delete_webhook<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let webhook = parse_path_id("id", &id, WebhookId::new)?;
    state.store.delete_webhook(caller.id(), webhook).await?;
    Ok(HttpResponse::NoContent().finish())
}
