//! Endpoints as the route table read them from the handlers' documentation: what the
//! middleware needs to know about a request's route without depending on the router.

use std::sync::Arc;

use actix_web::http::Method;

/// One endpoint: where its handler is served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The handler's name, which is its OpenAPI operation id.
    pub operation: &'static str,
    /// The method it answers.
    pub method: Method,
    /// Its route pattern, as actix-web matches it (`/events/{id}`).
    pub path: String,
    /// Documented as needing a bearer token.
    pub signed_in: bool,
}

/// The endpoints that take an `Idempotency-Key`: every `POST` and `PATCH` in the table. A
/// request to anything else (an unknown path, a method the path does not serve) passes by the
/// idempotency middleware to its 404 or 405.
#[derive(Debug, Clone)]
pub struct KeyedWrites(Arc<[Endpoint]>);

impl KeyedWrites {
    /// The writes among `endpoints`.
    #[must_use]
    pub fn of(endpoints: &[Endpoint]) -> Self {
        let writes: Vec<Endpoint> = endpoints
            .iter()
            .filter(|e| e.method == Method::POST || e.method == Method::PATCH)
            .cloned()
            .collect();
        Self(writes.into())
    }

    /// The keyed write that is `method` on the route `pattern` (as actix-web matched it).
    #[must_use]
    pub fn find(&self, method: &Method, pattern: &str) -> Option<&Endpoint> {
        self.0.iter().find(|e| e.method == *method && e.path == pattern)
    }
}
