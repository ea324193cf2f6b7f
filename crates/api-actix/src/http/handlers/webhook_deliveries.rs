use actix_web::{HttpResponse, web};
use domain::WebhookId;
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{
    DeliveryAttemptBody, DeliveryListParams, DeliveryListResponse, attempt_cursor, parse_path_id,
};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// A webhook's delivery attempts, newest first: the receiver's status code or the error, when,
/// and when it is tried next.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Webhook id"), DeliveryListParams), responses(
    (status = 200, description = "A page of attempts", body = DeliveryListResponse),
    (status = 400, description = "`invalid_request`: a parameter is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such webhook of the caller's", body = ErrorBody),
))]
pub async fn webhook_deliveries<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
    params: web::Query<DeliveryListParams>,
) -> Result<HttpResponse, ApiError> {
    let webhook = parse_path_id("id", &id, WebhookId::new)?;
    let (before, limit) = params.into_inner().into_parts()?;
    let attempts = state.store.attempts(caller.id(), webhook, before, limit).await?;
    let next_cursor = (attempts.len() >= usize::from(limit.get()))
        .then(|| attempts.last().map(|a| attempt_cursor(a.seq)))
        .flatten();
    Ok(HttpResponse::Ok().json(DeliveryListResponse {
        deliveries: attempts.into_iter().map(DeliveryAttemptBody::from).collect(),
        next_cursor,
    }))
}
