use actix_web::{HttpResponse, web};
use chrono::Utc;
use domain::idempotency::Effect;
use domain::ports::{PasswordHasher, Store};
use domain::service::AccountService;
use domain::session::Revocation;

use crate::http::auth::Caller;
use crate::http::dto::{ChangePasswordRequest, LoginResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::state::AppState;

/// Change your password. Every token issued before stops acting, on every instance within a
/// second — including the one that made this request; the answer carries a new one.
#[utoipa::path(post, path = "/me/password", tag = "accounts", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 200, description = "Changed; a new token for this session (the old ones are revoked)", body = LoginResponse),
    (status = 400, description = "`invalid_request`: a field missing, `currentPassword` wrong, or `newPassword` too short, too long, too common or containing the e-mail's name", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 503, description = "`service_unavailable`: every password hashing slot is busy (a sign-in storm); retry after `Retry-After` seconds", body = ErrorBody),
))]
pub async fn change_password<S: Store, H: PasswordHasher>(
    state: web::Data<AppState<S>>,
    accounts: web::Data<AccountService<S, H>>,
    caller: Caller,
    key: Keyed,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let (current, new) = body.into_inner().parse()?;
    let signed_in = accounts.change_password(caller.id(), current, new, key.attempt()).await?;
    state.auth.revoked(Revocation::Generation {
        user: caller.id(),
        generation: signed_in.token_generation,
        changed_at: Utc::now(),
    });
    state.answers.render(Effect::PasswordChanged(signed_in))
}
