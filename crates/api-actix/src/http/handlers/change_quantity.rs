use actix_web::{HttpResponse, web};
use domain::BookingId;
use domain::idempotency::Effect;
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{ChangeQuantityRequest, ChangeQuantityResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Change the seats a waiting booking waits for; its holder only. Lower keeps its place in
/// line (and it may be served at once); higher cancels it and puts a new booking with the
/// quantity at the back of the line (which may be served at once too). The line is served in
/// the same transaction.
#[utoipa::path(patch, path = "/bookings/{id}", tag = "bookings", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Booking id")), request_body = ChangeQuantityRequest, responses(
    (status = 200, description = "\"Booking updated successfully\": the booking as it now is (after a raise, the new booking, with the one it `replaced`), and the bookings the line served (`promoted`)", body = ChangeQuantityResponse),
    (status = 400, description = "`invalid_request`: `quantity` missing, not an integer from 1 to 100, or above the event's `maxPerBooking`; an unknown field; the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or not yours", body = ErrorBody),
    (status = 409, description = "`booking_not_waiting`: the booking is `CONFIRMED` or `CANCELLED`; `quantity_over_limit`: more seats than the event has", body = ErrorBody),
))]
pub async fn change_quantity<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    id: web::Path<String>,
    body: web::Json<ChangeQuantityRequest>,
) -> Result<HttpResponse, ApiError> {
    let booking = parse_path_id("id", &id, BookingId::new)?;
    let cmd = body.into_inner().into_command(caller.id(), booking)?;
    let result = tag.scope(&state.store).change_quantity(cmd, key.attempt()).await;
    metrics::record_quantity_change(&result);
    state.answers.render(Effect::QuantityChanged(result?))
}
