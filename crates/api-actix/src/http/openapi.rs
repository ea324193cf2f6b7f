//! The OpenAPI 3.1 document: the paths of the route table (generated from the handlers' and
//! DTOs' annotations, handed in by [`crate::http::routes::RouteTable::document`]) under this
//! module's title, tags and security scheme.

use utoipa::openapi::Required;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::AdditionalProperties;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, Schema};
use utoipa::{Modify, OpenApi};

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
        (name = "notifications", description = "What happened to the caller's bookings: a feed, and a live stream"),
        (name = "webhooks", description = "Organizers' signed deliveries of their events' notifications (Standard Webhooks)"),
        (name = "waiting room", description = "A waiting room in front of a drop: one place per account, admission at a set rate, signed admission tokens"),
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

/// An answer in the error shape, with `Retry-After` when `retry`.
fn error(description: &str, retry: bool) -> RefOr<utoipa::openapi::Response> {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let mut response = ResponseBuilder::new().description(description).content("application/json", body);
    if retry {
        let seconds = HeaderBuilder::new().description(Some("Seconds to wait before retrying")).build();
        response = response.header("Retry-After", seconds);
    }
    RefOr::T(response.build())
}

/// The answers any operation may give besides its own, declared on every operation (so that a
/// client generated from the document, or a fuzzer checking it, expects them): 429 from the
/// rate limiter, 500, 503 when the database cannot be reached in time, and for operations
/// with a body 408, 413 and 415.
struct CommonResponses;

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for operation in operations.into_iter().flatten() {
                let with_body = operation.request_body.is_some();
                let responses = &mut operation.responses.responses;
                let mut declare = |status: &str, description: &str, retry: bool| {
                    responses.entry(status.to_owned()).or_insert_with(|| error(description, retry));
                };
                declare(
                    "429",
                    "`rate_limited`: too many requests from this client; `too_many_connections`: too many open connections from its address",
                    true,
                );
                declare("500", "`internal_error`: a bug; details only in the log", false);
                declare("503", "`service_unavailable`: the database did not answer in time", true);
                if with_body {
                    declare("413", "`payload_too_large`: the body is over 64 KiB", false);
                    declare("415", "`unsupported_media_type`: the body is not `application/json`", false);
                    declare(
                        "408",
                        "`request_timeout`: the body did not arrive within the body timeout",
                        false,
                    );
                }
            }
        }
    }
}

/// Every `POST` and `PATCH` takes an `Idempotency-Key` (docs/API.md, "Safe retries"): the header
/// parameter, and the answers it adds — 400 for a malformed key, 409 while the key's first
/// request runs, 422 when the key was used with another request.
struct IdempotencyKeys;

impl Modify for IdempotencyKeys {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let key = ParameterBuilder::new()
            .name("Idempotency-Key")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(
                "1–255 visible ASCII characters. A repeat with the same key, method, path and body gets the first answer again (`Idempotent-Replayed: true`) and changes nothing; keys are kept 24 h.",
            ))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255)).pattern(Some("^[!-~]+$"))))
            .build();
        for item in openapi.paths.paths.values_mut() {
            for operation in [&mut item.post, &mut item.patch].into_iter().flatten() {
                operation.parameters.get_or_insert_with(Vec::new).push(key.clone());
                let responses = &mut operation.responses.responses;
                let conflict =
                    "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running";
                also_answers(responses, "409", conflict, true);
                let malformed =
                    "`invalid_request`: the Idempotency-Key is not 1–255 visible ASCII characters";
                also_answers(responses, "400", malformed, false);
                responses.entry("422".to_owned()).or_insert_with(|| {
                    error(
                        "`idempotency_key_reused`: this Idempotency-Key was used with another request",
                        false,
                    )
                });
            }
        }
    }
}

/// Declares `status` with `description`, or adds the description to the status's own.
fn also_answers(
    responses: &mut std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>>,
    status: &str,
    description: &str,
    retry: bool,
) {
    match responses.get_mut(status) {
        Some(RefOr::T(existing)) => {
            existing.description = format!("{}; or {description}", existing.description)
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            responses.insert(status.to_owned(), error(description, retry));
        }
    }
}

/// Every request body refuses keys it does not name (as the original's validator did), so
/// their schemas say `additionalProperties: false`: `*Request` objects, and each alternative
/// of a body with several forms. A change must name at least one field: `minProperties: 1`,
/// set here because utoipa-gen 5.5's `#[schema(min_properties)]` emits `maxProperties`.
struct ClosedBodies;

impl Modify for ClosedBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        fn close(schema: &mut Schema) {
            match schema {
                Schema::Object(object) => {
                    object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
                Schema::OneOf(one_of) => {
                    for item in &mut one_of.items {
                        if let RefOr::T(schema) = item {
                            close(schema);
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, schema) in &mut components.schemas {
            if (name.ends_with("Request") || name == "CancelTargetBody")
                && let RefOr::T(schema) = schema
            {
                close(schema);
                if let (Schema::Object(object), "ChangeEventRequest") = (schema, name.as_str()) {
                    object.min_properties = Some(1);
                }
            }
        }
    }
}

/// The document, serialised once per application, for `GET /openapi.json`.
#[derive(Debug, Clone)]
pub struct Document(String);

impl Document {
    /// The document of `paths`, with the service's title, tags, security scheme and the
    /// answers every operation shares.
    #[must_use]
    pub fn new(paths: utoipa::openapi::OpenApi) -> Self {
        let mut document = ApiDoc::openapi();
        document.merge(paths);
        CommonResponses.modify(&mut document);
        IdempotencyKeys.modify(&mut document);
        ClosedBodies.modify(&mut document);
        Self(document.to_pretty_json().unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#)))
    }

    /// The document as served.
    #[must_use]
    pub fn json(&self) -> &str {
        &self.0
    }
}
