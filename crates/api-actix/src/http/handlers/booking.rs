use actix_web::{HttpResponse, web};
use domain::BookingId;
use domain::ports::Store;
use domain::service::reading;

use crate::http::auth::Caller;
use crate::http::dto::{BookingDetailResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// One booking, for its holder or its event's organizer; anyone else is told it does not
/// exist.
#[utoipa::path(get, path = "/bookings/{id}", tag = "bookings", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Booking id")), responses(
    (status = 200, description = "The booking; a pending one with its exact place in line", body = BookingDetailResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or not yours to see", body = ErrorBody),
))]
pub async fn booking<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_path_id("id", &id, BookingId::new)?;
    let view = reading::booking(&state.store, caller.id(), id).await?;
    Ok(HttpResponse::Ok().json(BookingDetailResponse { booking: view.into() }))
}
