use actix_web::{HttpResponse, web};
use domain::BookingId;
use domain::ports::Store;
use domain::service::audit;

use crate::http::auth::Caller;
use crate::http::dto::{BookingHistoryResponse, HistoryEntryBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Who did what to a booking, in order: every change since it was made, each recorded in the
/// change's own transaction. For its holder and its event's organizer.
#[utoipa::path(get, path = "/bookings/{id}/history", tag = "bookings", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Booking id")), responses(
    (status = 200, description = "The booking's history, oldest first", body = BookingHistoryResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or neither yours nor your event's", body = ErrorBody),
))]
pub async fn booking_history<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let booking = parse_path_id("id", &id, BookingId::new)?;
    let entries = audit::booking_history(&state.store, caller.id(), booking).await?;
    Ok(HttpResponse::Ok()
        .json(BookingHistoryResponse { entries: entries.into_iter().map(HistoryEntryBody::from).collect() }))
}
