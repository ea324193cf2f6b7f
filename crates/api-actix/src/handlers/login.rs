use actix_web::{HttpResponse, web};

use crate::dto::{LoginRequest, LoginResponse};
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /login`: a token for a correct e-mail and password.
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let (email, attempt) = body.into_inner().parse()?;
    let user = state.accounts.login(email, attempt).await?;
    Ok(HttpResponse::Ok().json(LoginResponse { token: state.tokens.issue(&user)? }))
}
