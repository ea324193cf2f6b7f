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

use domain::ports::{PasswordHasher, Store, WebhookSender};

use crate::http::endpoints::{Endpoint, KeyedWrites};
use crate::http::error::ApiError;
use crate::http::handlers::{
    accept_offer, admission_keys, book, booking, booking_history, cancel, cancel_event, change_event,
    change_password, change_quantity, change_waiting_room, create_webhook, decline_offer, delete_webhook,
    event, event_bookings, event_history, event_integrity, initialize, join_queue, list_events,
    list_webhooks, login, logout, my_bookings, notification_stream, notifications, operations, queue_assets,
    queue_place, queue_status, queue_token, register, remove_waiting_room, set_waiting_room, status,
    webhook_deliveries,
};
use crate::http::openapi::Document;

/// Lists every handler once; generic ones are written with the parameters they take, of the
/// store `S`, the password hasher `H` and the webhook sender `W` the app runs on.
macro_rules! route_table {
    ($($module:ident :: $handler:ident $(::<$($param:ident),+>)?),* $(,)?) => {
        /// The OpenAPI paths of every handler in the table.
        #[derive(utoipa::OpenApi)]
        #[openapi(paths($($module::$handler),*))]
        pub(crate) struct Documented;

        /// Every handler's operation id, in table order.
        const OPERATIONS: &[&str] = &[$(stringify!($handler)),*];

        /// The route serving `operation` with `method`.
        fn route<S: Store, H: PasswordHasher, W: WebhookSender>(operation: &str, method: Method) -> Option<Route> {
            match operation {
                $(stringify!($handler) => Some(web::method(method).to($module::$handler $(::<$($param),+>)?)),)*
                _ => None,
            }
        }
    };
}

// The busiest first: the router tries paths in this order.
route_table! {
    book::book::<S>,
    status::status::<S>,
    cancel::cancel::<S>,
    login::login::<S, H>,
    register::register::<S, H>,
    logout::logout::<S>,
    change_password::change_password::<S, H>,
    initialize::initialize::<S>,
    list_events::list_events::<S>,
    event::event::<S>,
    change_event::change_event::<S>,
    cancel_event::cancel_event::<S>,
    event_bookings::event_bookings::<S>,
    event_history::event_history::<S>,
    event_integrity::event_integrity::<S>,
    my_bookings::my_bookings::<S>,
    booking::booking::<S>,
    booking_history::booking_history::<S>,
    change_quantity::change_quantity::<S>,
    accept_offer::accept_offer::<S>,
    decline_offer::decline_offer::<S>,
    notifications::notifications::<S>,
    notification_stream::notification_stream::<S>,
    create_webhook::create_webhook::<S, W>,
    list_webhooks::list_webhooks::<S>,
    delete_webhook::delete_webhook::<S>,
    webhook_deliveries::webhook_deliveries::<S>,
    join_queue::join_queue::<S>,
    queue_token::queue_token::<S>,
    queue_status::queue_status::<S>,
    queue_place::queue_place::<S>,
    set_waiting_room::set_waiting_room::<S>,
    change_waiting_room::change_waiting_room::<S>,
    remove_waiting_room::remove_waiting_room::<S>,
    admission_keys::admission_keys::<S>,
    queue_assets::queue_script,
    queue_assets::queue_style,
    operations::health,
    operations::ready::<S>,
    operations::metrics::<S>,
    operations::openapi_json,
    operations::docs,
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
        KeyedWrites::of(&self.endpoints)
    }

    /// The OpenAPI document of every endpoint in the table.
    #[must_use]
    pub fn document() -> Document {
        Document::new(Documented::openapi())
    }

    /// Every endpoint the service answers.
    #[must_use]
    pub fn endpoints(&self) -> &[Endpoint] {
        &self.endpoints
    }

    /// Registers every endpoint with the body, path and query rules, and the Swagger UI's
    /// assets (not their source maps) under `/docs/`. Any other method on a known path gets a
    /// JSON 405.
    pub fn configure<S: Store, H: PasswordHasher, W: WebhookSender>(&self, cfg: &mut web::ServiceConfig) {
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
                .filter_map(|e| route::<S, H, W>(e.operation, e.method.clone()))
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
        .limit(crate::http::limits::JSON_LIMIT)
        .content_type_required(true)
        .error_handler(|error, _req| ApiError::from_json(error, crate::http::limits::JSON_LIMIT).into())
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
    use std::collections::BTreeSet;

    use actix_web::test::{TestRequest, call_service, init_service, read_body_json};
    use serde_json::Value;

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

    /// What every operation must declare, from what the service does for requests of its kind:
    /// the common answers, 401 where a token is required, 400 where anything is parsed, the
    /// body's own answers, and the idempotency answers of every POST and PATCH.
    fn required(method: &str, operation: &Value) -> BTreeSet<&'static str> {
        let mut statuses = BTreeSet::from(["429", "500", "503"]);
        if operation.get("security").is_some() {
            statuses.insert("401");
        }
        let parameters = operation["parameters"]
            .as_array()
            .map_or(0, |p| p.iter().filter(|p| p["name"] != "Idempotency-Key").count());
        if operation.get("requestBody").is_some() || parameters > 0 {
            statuses.insert("400");
        }
        if operation.get("requestBody").is_some() {
            statuses.extend(["408", "413", "415"]);
        }
        if method == "post" || method == "patch" {
            statuses.extend(["400", "409", "422"]);
        }
        statuses
    }

    #[test]
    fn every_operation_declares_every_answer_the_service_can_give_it() {
        let document: Value = serde_json::from_str(RouteTable::document().json()).unwrap();
        let mut checked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let declared: BTreeSet<&str> =
                    operation["responses"].as_object().unwrap().keys().map(String::as_str).collect();
                let missing: Vec<&str> = required(method, operation).difference(&declared).copied().collect();
                assert!(missing.is_empty(), "{method} {path} does not declare {missing:?}");
                checked += 1;
            }
        }
        assert!(checked > 20, "{checked}");
    }
}
