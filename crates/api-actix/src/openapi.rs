//! The OpenAPI 3.1 document: the paths of the route table ([`crate::routes::Documented`],
//! generated from the handlers' and DTOs' annotations) under this module's title, tags and
//! security scheme.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::Documented;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ticketing",
        description = "Sells tickets to events without ever selling a seat twice. Every error is \
                       `{\"error\": message, \"code\": code}`; every response carries `x-request-id`."
    ),
    modifiers(&BearerToken),
    tags(
        (name = "accounts", description = "Registration and login"),
        (name = "events", description = "Creating events and reading their status"),
        (name = "bookings", description = "Booking, the waiting list, cancelling"),
        (name = "operations", description = "Health, metrics and this documentation"),
    )
)]
struct ApiDoc;

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

/// The document, serialised once per application, for `GET /openapi.json`.
#[derive(Debug, Clone)]
pub struct Document(String);

impl Document {
    #[must_use]
    pub fn new() -> Self {
        let mut document = ApiDoc::openapi();
        document.merge(Documented::openapi());
        Self(document.to_pretty_json().unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#)))
    }

    #[must_use]
    pub fn json(&self) -> &str {
        &self.0
    }
}

impl Default for Document {
    fn default() -> Self {
        Self::new()
    }
}
