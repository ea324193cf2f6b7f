use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;
use domain::ports::Store;
use domain::session::Revocation;

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::state::AppState;

/// End this session: the presented token stops acting on every instance (within a second)
/// and cannot be used again; the user's other tokens are untouched.
#[utoipa::path(post, path = "/logout", tag = "accounts", security(("bearer" = [])), responses(
    (status = 204, description = "The token is revoked"),
    (status = 401, description = "`unauthenticated`: no usable token (already revoked, expired, malformed)", body = ErrorBody),
))]
pub async fn logout<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    key: Keyed,
) -> Result<HttpResponse, ApiError> {
    let token = caller.token();
    state.store.revoke(token, key.attempt()).await?;
    state.auth.revoked(Revocation::Token { id: token.id, expires_at: token.expires_at });
    state.answers.render(Effect::LoggedOut)
}
