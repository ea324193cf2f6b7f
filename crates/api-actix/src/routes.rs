//! The route table, and the JSON answers for requests no route takes.

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Responder, Route, web};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::error::{ApiError, JSON_LIMIT};
use crate::handlers::{book, cancel, initialize, login, operations, register, status};

/// One endpoint: the server registers it, and a test checks that the OpenAPI document lists
/// exactly the endpoints here.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: Route,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl Endpoint {
    fn new<F, Args>(method: Method, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self { route: web::method(method.clone()).to(handler), method, path }
    }
}

/// Every endpoint the service answers.
#[must_use]
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::POST, "/login", login::login),
        Endpoint::new(Method::POST, "/register", register::register),
        Endpoint::new(Method::POST, "/initialize", initialize::initialize),
        Endpoint::new(Method::POST, "/book", book::book),
        Endpoint::new(Method::POST, "/cancel", cancel::cancel),
        Endpoint::new(Method::GET, "/status/{id}", status::status),
        Endpoint::new(Method::GET, "/health", operations::health),
        Endpoint::new(Method::GET, "/ready", operations::ready),
        Endpoint::new(Method::GET, "/metrics", operations::metrics),
        Endpoint::new(Method::GET, "/openapi.json", operations::openapi_json),
        Endpoint::new(Method::GET, "/docs", operations::docs),
    ]
}

/// Registers every endpoint with the JSON body rules, and the Swagger UI's assets under
/// `/docs/`. Any other method on a known path gets a JSON 405.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config());
    for endpoint in endpoints() {
        cfg.service(
            web::resource(endpoint.path).route(endpoint.route).default_service(web::to(method_not_allowed)),
        );
    }
    cfg.service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::from("/openapi.json")));
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
