use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::rooms;

use crate::http::auth::Caller;
use crate::http::dto::{AdmissionBody, PlaceBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// The admission token for the caller's place, once it is reached: `/book` on this event takes
/// it in `X-Admission-Token`. A repeat gets a token with the same expiry. Before the place is
/// reached, where it stands and when to ask again (`Retry-After`).
#[utoipa::path(post, path = "/events/{id}/queue/token", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "The token", body = AdmissionBody),
    (status = 202, description = "Not reached yet: the place, and `Retry-After` seconds", body = PlaceBody, headers(("Retry-After" = u64, description = "Seconds to wait before asking again"))),
    (status = 400, description = "`invalid_request`: the id is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`room_not_found`: no such event, or it has no room; `not_in_queue`: no place in it", body = ErrorBody),
    (status = 410, description = "`place_expired`: reached and unused past its validity", body = ErrorBody),
))]
pub async fn queue_token<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let answer = rooms::admission(&state.store, event, caller.id()).await;
    metrics::record_admission(&answer);
    match answer? {
        Ok(admission) => {
            let token = state.admission.issue(&admission)?;
            let claims = admission.claims;
            Ok(HttpResponse::Ok().json(AdmissionBody::new(token, claims.expires_at, claims.position)))
        }
        Err((room, standing)) => {
            let body = PlaceBody::new(&room, standing);
            Ok(HttpResponse::Accepted().insert_header((RETRY_AFTER, body.poll_after_seconds)).json(body))
        }
    }
}
