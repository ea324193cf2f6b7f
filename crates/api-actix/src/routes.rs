//! The route table, the one list of endpoints, and the JSON answers for requests no route
//! takes.
//!
//! Each handler is named once, in `route_table!`. From that list come both the OpenAPI paths
//! (each handler's `#[utoipa::path]` annotation) and the router; the router takes each
//! handler's method and path from its annotation (matched by operation id, the function's
//! name), so the documentation cannot describe a route the server does not serve.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, Route, web};
use utoipa::OpenApi as _;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::adapters::Adapters;
use crate::error::ApiError;
use crate::handlers::{
    book, booking, cancel, cancel_event, change_event, change_password, create_webhook, delete_webhook,
    event, event_bookings, initialize, list_events, list_webhooks, login, logout, my_bookings,
    notification_stream, notifications, operations, register, status, webhook_deliveries,
};

/// The largest JSON body accepted, in bytes.
pub const JSON_LIMIT: usize = 64 * 1024;

/// Lists every handler once; generic ones are written with `::<A>`, the adapters the app runs
/// on.
macro_rules! route_table {
    ($($module:ident :: $handler:ident $(::<$adapters:ident>)?),* $(,)?) => {
        /// The OpenAPI paths of every handler in the table.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),*))]
        pub(crate) struct Documented;

        /// Every handler's operation id, in table order.
        const OPERATIONS: &[&str] = &[$(stringify!($handler)),*];

        /// The route serving `operation` with `method`.
        fn route<A: Adapters>(operation: &str, method: Method) -> Option<Route> {
            match operation {
                $(stringify!($handler) => Some(web::method(method).to($module::$handler $(::<$adapters>)?)),)*
                _ => None,
            }
        }
    };
}

// The busiest first: the router tries paths in this order.
route_table! {
    book::book::<A>,
    status::status::<A>,
    cancel::cancel::<A>,
    login::login::<A>,
    register::register::<A>,
    logout::logout::<A>,
    change_password::change_password::<A>,
    initialize::initialize::<A>,
    list_events::list_events::<A>,
    event::event::<A>,
    change_event::change_event::<A>,
    cancel_event::cancel_event::<A>,
    event_bookings::event_bookings::<A>,
    my_bookings::my_bookings::<A>,
    booking::booking::<A>,
    notifications::notifications::<A>,
    notification_stream::notification_stream::<A>,
    create_webhook::create_webhook::<A>,
    list_webhooks::list_webhooks::<A>,
    delete_webhook::delete_webhook::<A>,
    webhook_deliveries::webhook_deliveries::<A>,
    operations::health,
    operations::ready::<A>,
    operations::metrics::<A>,
    operations::openapi_json,
    operations::docs,
}

/// The endpoints that take an `Idempotency-Key`: every `POST` and `PATCH` in the table. A
/// request to anything else (an unknown path, a method the path does not serve) passes by the
/// idempotency middleware to its 404 or 405.
#[derive(Debug, Clone)]
pub struct KeyedWrites(std::sync::Arc<[Endpoint]>);

impl KeyedWrites {
    /// The keyed write that is `method` on the route `pattern` (as actix-web matched it).
    #[must_use]
    pub fn find(&self, method: &Method, pattern: &str) -> Option<&Endpoint> {
        self.0.iter().find(|e| e.method == *method && e.path == pattern)
    }
}

/// One endpoint: where its handler is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub operation: &'static str,
    pub method: Method,
    pub path: String,
    /// Documented as needing a bearer token.
    pub signed_in: bool,
}

/// The table with each handler's method and path read from its documentation.
#[derive(Debug, Clone)]
pub struct RouteTable {
    endpoints: Vec<Endpoint>,
}

/// A handler in the table whose annotation was not found in the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("handler {0} has no documented path (is its #[utoipa::path] operation id its name?)")]
pub struct Undocumented(&'static str);

impl RouteTable {
    /// # Errors
    /// [`Undocumented`] when a handler's documented operation cannot be found.
    pub fn new() -> Result<Self, Undocumented> {
        let paths = Documented::openapi().paths.paths;
        let documented: Vec<(&String, Method, &Operation)> = paths
            .iter()
            .flat_map(|(path, item)| operations_of(item).map(move |(m, op)| (path, m, op)))
            .collect();
        let endpoints = OPERATIONS
            .iter()
            .map(|&operation| {
                documented
                    .iter()
                    .find(|(_, _, op)| op.operation_id.as_deref() == Some(operation))
                    .map(|(path, method, op)| Endpoint {
                        operation,
                        method: method.clone(),
                        path: (*path).clone(),
                        signed_in: op.security.as_ref().is_some_and(|s| !s.is_empty()),
                    })
                    .ok_or(Undocumented(operation))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { endpoints })
    }

    /// The table's keyed writes.
    #[must_use]
    pub fn keyed_writes(&self) -> KeyedWrites {
        let writes: Vec<Endpoint> = self
            .endpoints
            .iter()
            .filter(|e| e.method == Method::POST || e.method == Method::PATCH)
            .cloned()
            .collect();
        KeyedWrites(writes.into())
    }

    /// Every endpoint the service answers.
    #[must_use]
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Registers every endpoint with the body, path and query rules, and the Swagger UI's
    /// assets (not their source maps) under `/docs/`. Any other method on a known path gets a
    /// JSON 405.
    pub fn configure<A: Adapters>(&self, cfg: &mut web::ServiceConfig) {
        cfg.app_data(json_config())
            .app_data(path_config())
            .app_data(query_config())
            .app_data(self.keyed_writes());
        // One resource per path (actix stops at the first resource whose path matches), in table
        // order: the router tries resources in turn, so the busiest paths, listed first, match
        // soonest.
        let mut by_path: Vec<(&str, Vec<&Endpoint>)> = Vec::new();
        for endpoint in &self.endpoints {
            match by_path.iter_mut().find(|(path, _)| *path == endpoint.path) {
                Some((_, endpoints)) => endpoints.push(endpoint),
                None => by_path.push((endpoint.path.as_str(), vec![endpoint])),
            }
        }
        for (path, endpoints) in by_path {
            let allow = endpoints.iter().map(|e| e.method.as_str()).collect::<Vec<_>>().join(", ");
            let resource = endpoints
                .into_iter()
                .filter_map(|e| route::<A>(e.operation, e.method.clone()))
                .fold(web::resource(path), actix_web::Resource::route);
            let refuse = move || {
                let allow = allow.clone();
                async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allow }) }
            };
            cfg.service(resource.default_service(web::to(refuse)));
        }
        // The bundle's source maps (3.6 MB) describe its build, not this service: no reader of
        // the docs needs them.
        cfg.service(web::resource(r"/docs/{_:.*\.map}").to(not_found));
        cfg.service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::from("/openapi.json")));
    }
}

fn operations_of(item: &PathItem) -> impl Iterator<Item = (Method, &Operation)> {
    [
        (Method::GET, &item.get),
        (Method::POST, &item.post),
        (Method::PUT, &item.put),
        (Method::PATCH, &item.patch),
        (Method::DELETE, &item.delete),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|op| (method, op)))
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(JSON_LIMIT)
        .content_type_required(true)
        .error_handler(|error, _req| ApiError::from_json(error, JSON_LIMIT).into())
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|error, _req| ApiError::from(error).into())
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|error, _req| ApiError::from(error).into())
}

/// The app's default service: a JSON 404 for unknown routes.
pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::RouteNotFound(format!("{} {}", req.method(), req.path())))
}

#[cfg(test)]
mod tests {
    use actix_web::test::{TestRequest, call_service, init_service, read_body_json};

    use super::*;

    #[actix_web::test]
    async fn path_and_query_failures_answer_in_the_json_error_shape() {
        async fn numbered(
            _: web::Path<u32>,
            _: web::Query<std::collections::HashMap<String, u32>>,
        ) -> HttpResponse {
            HttpResponse::Ok().finish()
        }
        let app = init_service(
            actix_web::App::new()
                .app_data(path_config())
                .app_data(query_config())
                .route("/n/{n}", web::get().to(numbered)),
        )
        .await;

        for uri in ["/n/abc", "/n/1?limit=many"] {
            let response = call_service(&app, TestRequest::get().uri(uri).to_request()).await;
            assert_eq!(response.status(), actix_web::http::StatusCode::BAD_REQUEST, "{uri}");
            let body: serde_json::Value = read_body_json(response).await;
            assert_eq!(body["code"], "invalid_request", "{uri}: {body}");
            assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()), "{uri}: {body}");
        }
    }

    #[test]
    fn every_handler_in_the_table_has_a_documented_method_and_path() {
        let table = RouteTable::new().unwrap();
        assert_eq!(table.endpoints().len(), OPERATIONS.len());
        let book = table.endpoints().iter().find(|e| e.operation == "book").unwrap();
        assert_eq!((&book.method, book.path.as_str()), (&Method::POST, "/book"));
        let status = table.endpoints().iter().find(|e| e.operation == "status").unwrap();
        assert_eq!((&status.method, status.path.as_str()), (&Method::GET, "/status/{eventId}"));
    }
}
