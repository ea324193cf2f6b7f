//! The route table, and the JSON answers for requests no route takes.

use actix_web::{HttpRequest, HttpResponse, Resource, Route, web};

use crate::error::{ApiError, JSON_LIMIT};
use crate::handlers;

/// Registers every endpoint with the JSON body rules. Shared by the server and the tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .service(endpoint("/login", web::post().to(handlers::login)))
        .service(endpoint("/register", web::post().to(handlers::register)))
        .service(endpoint("/initialize", web::post().to(handlers::initialize)))
        .service(endpoint("/book", web::post().to(handlers::book)))
        .service(endpoint("/cancel", web::post().to(handlers::cancel)))
        .service(endpoint("/status/{id}", web::get().to(handlers::status)));
}

/// A path with its one method; any other method gets a JSON 405.
fn endpoint(path: &str, route: Route) -> Resource {
    web::resource(path).route(route).default_service(web::to(method_not_allowed))
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .content_type_required(true)
        .error_handler(|error, _req| ApiError::from(error).into())
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed)
}

/// The app's default service: a JSON 404 for unknown routes.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound(format!("{} {}", req.method(), req.path())))
}
