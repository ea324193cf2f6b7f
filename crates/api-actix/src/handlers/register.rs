use actix_web::{HttpResponse, web};
use domain::Registration;

use crate::dto::{RegisterRequest, RegisterResponse};
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /register`: a new account.
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let registration = Registration::try_from(body.into_inner())?;
    let user = state.accounts.register(registration).await?;
    Ok(HttpResponse::Created().json(RegisterResponse { user: user.into() }))
}
