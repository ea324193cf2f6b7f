//! For operators and tools rather than ticket buyers.

use std::time::Duration;

use actix_web::http::header::{AUTHORIZATION, ContentType, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::ports::Store;
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::draining::Draining;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::openapi::Document;
use crate::http::state::AppState;
use crate::secret::Secret;

/// How long readiness waits for the database.
const READY_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: 200 while the process serves requests, whatever the database does.
#[utoipa::path(get, path = "/health", tag = "operations", responses(
    (status = 200, description = "The process is up", body = HealthBody),
))]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody { status: "ok" })
}

/// Readiness: 200 when the store answers within a second, else 503 with `Retry-After` (take
/// the instance out of the balancer; it recovers on its own). 503 too while the instance
/// drains before stopping.
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, description = "The database answers", body = HealthBody),
    (status = 503, description = "`service_unavailable`: the database does not answer, or the instance is shutting down", body = ErrorBody),
))]
pub async fn ready<S: Store>(
    state: web::Data<AppState<S>>,
    draining: web::Data<Draining>,
) -> Result<HttpResponse, ApiError> {
    if draining.is_draining() {
        return Err(ApiError::ShuttingDown);
    }
    match tokio::time::timeout(READY_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(HealthBody { status: "ready" })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready");
            Err(ApiError::StoreUnreachable)
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READY_TIMEOUT:?}");
            Err(ApiError::StoreUnreachable)
        }
    }
}

/// Who may read `/metrics` on this listener.
#[derive(Debug, Clone)]
pub enum MetricsAccess {
    /// Anyone who reaches the listener.
    Open,
    /// `METRICS_TOKEN`: whoever presents it as `Authorization: Bearer <token>`.
    Token(Secret),
    /// `METRICS_ADDR`: served on that address only; here, as if the route did not exist.
    Elsewhere,
}

impl MetricsAccess {
    /// Open, or only for holders of `token`.
    #[must_use]
    pub fn new(token: Option<Secret>) -> Self {
        match token {
            Some(token) => Self::Token(token),
            None => Self::Open,
        }
    }

    fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        match self {
            Self::Open => Ok(()),
            Self::Token(token) => {
                let presented = req
                    .headers()
                    .get(AUTHORIZATION)
                    .and_then(|value| value.to_str().ok())
                    .and_then(|value| value.strip_prefix("Bearer "))
                    .unwrap_or_default();
                if same_secret(presented.as_bytes(), token.expose().as_bytes()) {
                    Ok(())
                } else {
                    Err(ApiError::Unauthenticated)
                }
            }
            Self::Elsewhere => Err(ApiError::RouteNotFound(format!("{} {}", req.method(), req.path()))),
        }
    }
}

/// Compares without stopping at the first difference, so the time taken does not tell how
/// much of a guess was right.
fn same_secret(presented: &[u8], expected: &[u8]) -> bool {
    presented.len() == expected.len()
        && presented.iter().zip(expected).fold(0, |diff, (a, b)| diff | (a ^ b)) == 0
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Request counts and latency by route and status, bookings by outcome, promotions, pool usage", content_type = "text/plain"),
    (status = 401, description = "`unauthenticated`: `METRICS_TOKEN` is set and the request does not carry it as a bearer token", body = ErrorBody),
    (status = 404, description = "`route_not_found`: `METRICS_ADDR` is set, so the metrics are served on that address only", body = ErrorBody),
))]
pub async fn metrics<S: Store>(
    state: web::Data<AppState<S>>,
    access: web::Data<MetricsAccess>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    access.check(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::telemetry::metrics::render(state.store.connections())))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses(
    (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"),
))]
pub async fn openapi_json(document: web::Data<Document>) -> HttpResponse {
    HttpResponse::Ok().insert_header(ContentType::json()).body(document.json().to_owned())
}

/// The interactive API documentation (Swagger UI, served by this binary; no internet needed).
#[utoipa::path(get, path = "/docs", tag = "operations", responses(
    (status = 308, description = "Redirect to /docs/"),
))]
pub async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((LOCATION, "/docs/")).finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_bytes_are_the_same_secret() {
        assert!(same_secret(b"s3cret-token", b"s3cret-token"));
        assert!(!same_secret(b"s3cret-tokem", b"s3cret-token"));
        assert!(!same_secret(b"s3cret", b"s3cret-token"));
        assert!(!same_secret(b"", b"s3cret-token"));
    }
}
