use actix_web::{HttpResponse, web};

use crate::adapters::Adapters;
use crate::dto::{LoginRequest, LoginResponse};
use crate::error::{ApiError, ErrorBody};
use crate::rate_limit::RateLimiting;
use crate::state::AppState;

/// Exchange an e-mail and password for a token.
#[utoipa::path(post, path = "/login", tag = "accounts", request_body = LoginRequest, responses(
    (status = 200, description = "A token valid for JWT_TTL (default one hour)", body = LoginResponse),
    (status = 400, description = "`invalid_request`: a field is missing or malformed, or the body is not JSON", body = ErrorBody),
    (status = 401, description = "`invalid_credentials`: wrong password or unknown e-mail (the same answer for both)", body = ErrorBody),
    (status = 503, description = "`service_unavailable`: every password hashing slot is busy (a sign-in storm); retry after `Retry-After` seconds", body = ErrorBody),
))]
pub async fn login<A: Adapters>(
    state: web::Data<AppState<A>>,
    limits: web::Data<RateLimiting>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, attempt) = body.into_inner().parse()?;
    limits.sign_in_attempt(&email)?;
    let user = state.accounts.login(email, attempt).await?;
    Ok(HttpResponse::Ok().json(LoginResponse { token: state.auth.issue(&user)? }))
}
