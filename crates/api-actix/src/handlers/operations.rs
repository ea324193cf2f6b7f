//! For operators and tools rather than ticket buyers.

use std::time::Duration;

use actix_web::http::header::{ContentType, HeaderValue, LOCATION, RETRY_AFTER};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::openapi;
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

/// Readiness: 200 when a pooled query answers within a second, else 503 with `Retry-After`
/// (take the instance out of the balancer; it recovers on its own).
#[utoipa::path(get, path = "/ready", tag = "operations", responses(
    (status = 200, description = "The database answers", body = HealthBody),
    (status = 503, description = "`service_unavailable`: the database does not answer", body = ErrorBody),
))]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    // A bare `SELECT 1`, not a transaction, so timing it out cannot leave one open.
    match tokio::time::timeout(READY_TIMEOUT, infra_postgres::pool::ping(&state.pool)).await {
        Ok(Ok(())) => HttpResponse::Ok().json(HealthBody { status: "ready" }),
        Ok(Err(error)) => {
            tracing::warn!(%error, "not ready");
            not_ready()
        }
        Err(_) => {
            tracing::warn!("not ready: the database did not answer within {READY_TIMEOUT:?}");
            not_ready()
        }
    }
}

fn not_ready() -> HttpResponse {
    let mut response = crate::error::json_error(
        actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        "The database is not reachable",
        "service_unavailable",
    );
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(1_u32));
    response
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Request counts and latency by route and status, bookings by outcome, promotions, pool usage", content_type = "text/plain"),
))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::render(&state.pool))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses(
    (status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"),
))]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().insert_header(ContentType::json()).body(openapi::document_json())
}

/// The interactive API documentation (Swagger UI, served by this binary; no internet needed).
#[utoipa::path(get, path = "/docs", tag = "operations", responses(
    (status = 308, description = "Redirect to /docs/"),
))]
pub async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect().insert_header((LOCATION, "/docs/")).finish()
}
