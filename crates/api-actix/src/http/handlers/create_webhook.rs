use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;
use domain::ports::{Store, WebhookSender};
use domain::service::webhooks::subscribe;
use domain::webhook::{CreateWebhookError, WebhookSecret};

use crate::http::auth::Caller;
use crate::http::dto::{CreateWebhookRequest, CreateWebhookResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::state::AppState;

/// Bytes of a new webhook's signing key.
const SECRET_BYTES: usize = 24;

/// Subscribe a URL to the notifications of the caller's events. Each is posted as JSON with the
/// Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`), retried
/// with exponential back-off until a 2xx; `410 Gone` disables the webhook. The secret that
/// signs them is in this answer only.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = CreateWebhookRequest, responses(
    (status = 201, description = "The webhook and its signing secret (shown only here)", body = CreateWebhookResponse),
    (status = 400, description = "`invalid_request`: a field is invalid, or the URL does not resolve to a public address (one message whatever the reason)", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: `eventId` is another organizer's event", body = ErrorBody),
    (status = 404, description = "`not_found`: no event `eventId`", body = ErrorBody),
    (status = 409, description = "`webhook_limit_reached`: the caller has as many webhooks as `WEBHOOKS_PER_USER` allows", body = ErrorBody),
))]
pub async fn create_webhook<S: Store, W: WebhookSender>(
    state: web::Data<AppState<S>>,
    sender: web::Data<W>,
    caller: Caller,
    key: Keyed,
    body: web::Json<CreateWebhookRequest>,
) -> Result<HttpResponse, ApiError> {
    let webhook = body.into_inner().into_new_webhook(caller.id())?;
    let mut bytes = vec![0_u8; SECRET_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let secret = WebhookSecret::new(bytes).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let created =
        subscribe(&state.store, sender.get_ref(), webhook, secret.clone(), state.webhook_cap, key.attempt())
            .await
            .inspect_err(|e| {
                if let CreateWebhookError::Target(reason) = e {
                    // The answer is one sentence whatever the reason; the reason is the log's.
                    tracing::info!(organizer = %caller.id(), ?reason, "webhook target refused");
                }
            })?;
    state.answers.render(Effect::WebhookCreated(created, Some(secret)))
}
