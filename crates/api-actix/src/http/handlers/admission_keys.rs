use actix_web::{HttpResponse, web};
use domain::ports::Store;

use crate::http::state::AppState;

/// The public key that admission tokens are signed with (a JWK set, Ed25519), for services
/// that check a token without asking this one.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "waiting room", responses(
    (status = 200, description = "The JWK set", content_type = "application/json"),
))]
pub async fn admission_keys<S: Store>(state: web::Data<AppState<S>>) -> HttpResponse {
    HttpResponse::Ok().json(state.admission.jwks())
}
