//! The OpenAPI 3.1 document, generated from the handlers' and DTOs' annotations.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::handlers::{book, cancel, initialize, login, operations, register, status};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ticketing",
        description = "Sells tickets to events without ever selling a seat twice. Every error is \
                       `{\"error\": message, \"code\": code}`; every response carries `x-request-id`."
    ),
    paths(
        login::login,
        register::register,
        initialize::initialize,
        book::book,
        cancel::cancel,
        status::status,
        operations::health,
        operations::ready,
        operations::metrics,
        operations::openapi_json,
        operations::docs,
    ),
    modifiers(&BearerToken),
    tags(
        (name = "accounts", description = "Registration and login"),
        (name = "events", description = "Creating events and reading their status"),
        (name = "bookings", description = "Booking, the waiting list, cancelling"),
        (name = "operations", description = "Health, metrics and this documentation"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// `Authorization: Bearer <token>`; the bare `Authorization: <token>` of the original clients
/// is accepted too.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "A token from POST /login. The original clients' bare `Authorization: <token>` also works.",
            ))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The document, serialised once.
#[must_use]
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        ApiDoc::openapi().to_pretty_json().unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#))
    })
}
