//! For operators and tools rather than ticket buyers.

use std::time::Duration;

use actix_web::http::header::{ContentType, LOCATION};
use actix_web::{HttpResponse, web};
use domain::ports::StoreHealth;
use serde::Serialize;
use utoipa::ToSchema;

use crate::adapters::Adapters;
use crate::error::{ApiError, ErrorBody};
use crate::openapi::Document;
use crate::startup::Draining;
use crate::state::AppState;

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
pub async fn ready<A: Adapters>(
    state: web::Data<AppState<A>>,
    draining: web::Data<Draining>,
) -> Result<HttpResponse, ApiError> {
    if draining.is_draining() {
        return Err(ApiError::ShuttingDown);
    }
    match tokio::time::timeout(READY_TIMEOUT, state.health.ping()).await {
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

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Request counts and latency by route and status, bookings by outcome, promotions, pool usage", content_type = "text/plain"),
))]
pub async fn metrics<A: Adapters>(state: web::Data<AppState<A>>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(crate::metrics::render(state.health.connections()))
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
