use actix_web::{HttpResponse, web};
use domain::Registration;
use domain::idempotency::Effect;
use domain::ports::{PasswordHasher, Store};
use domain::service::AccountService;

use crate::http::dto::{RegisterRequest, RegisterResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::state::AppState;

/// Create an account. The password is stored only as an Argon2id hash.
#[utoipa::path(post, path = "/register", tag = "accounts", request_body = RegisterRequest, responses(
    (status = 201, description = "The new account", body = RegisterResponse),
    (status = 400, description = "`invalid_request`: malformed e-mail, password under 8 characters, missing name", body = ErrorBody),
    (status = 409, description = "`email_taken`: the address has an account (compared case-insensitively)", body = ErrorBody),
    (status = 503, description = "`service_unavailable`: every password hashing slot is busy (a sign-in storm); retry after `Retry-After` seconds", body = ErrorBody),
))]
pub async fn register<S: Store, H: PasswordHasher>(
    state: web::Data<AppState<S>>,
    accounts: web::Data<AccountService<S, H>>,
    key: Keyed,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let registration = Registration::try_from(body.into_inner())?;
    let user = accounts.register(registration, key.attempt()).await?;
    state.answers.render(Effect::Registered(user))
}
