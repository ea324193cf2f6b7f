use actix_web::{HttpRequest, HttpResponse, web};
use domain::ports::{PasswordHasher, Store};
use domain::service::AccountService;

use crate::http::dto::{LoginRequest, LoginResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Unkept;
use crate::http::middleware::rate_limit::RateLimiting;
use crate::http::state::AppState;

/// Exchange an e-mail and password for a token.
#[utoipa::path(post, path = "/login", tag = "accounts", request_body = LoginRequest, responses(
    (status = 200, description = "A token valid for JWT_TTL (default one hour)", body = LoginResponse),
    (status = 400, description = "`invalid_request`: a field is missing or malformed, or the body is not JSON", body = ErrorBody),
    (status = 401, description = "`invalid_credentials`: wrong password or unknown e-mail (the same answer for both)", body = ErrorBody),
    (status = 503, description = "`service_unavailable`: every password hashing slot is busy (a sign-in storm); retry after `Retry-After` seconds", body = ErrorBody),
))]
pub async fn login<S: Store, H: PasswordHasher>(
    state: web::Data<AppState<S>>,
    accounts: web::Data<AccountService<S, H>>,
    limits: web::Data<RateLimiting>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, attempt) = body.into_inner().parse()?;
    let budget = limits.sign_in_attempt(&email, &req)?;
    let user = budget.settle(accounts.login(email, attempt).await)?;
    let mut signed_in = HttpResponse::Ok().json(LoginResponse { token: state.auth.issue(&user)? });
    // A keyed sign-in is not replayed: its token would be kept at rest for a day.
    signed_in.extensions_mut().insert(Unkept);
    Ok(signed_in)
}
