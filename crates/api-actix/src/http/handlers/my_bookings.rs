use actix_web::{HttpResponse, web};
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{BookingBody, BookingListParams, BookingListResponse, booking_cursor};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// The caller's bookings, newest first; a pending one shows its exact place in line.
#[utoipa::path(get, path = "/me/bookings", tag = "bookings", security(("bearer" = [])), params(BookingListParams), responses(
    (status = 200, description = "A page of the caller's bookings", body = BookingListResponse),
    (status = 400, description = "`invalid_request`: a parameter is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
))]
pub async fn my_bookings<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    params: web::Query<BookingListParams>,
) -> Result<HttpResponse, ApiError> {
    let query = params.into_inner().into_query()?;
    let page = state.store.user_bookings(caller.id(), query).await?;
    Ok(HttpResponse::Ok().json(BookingListResponse {
        bookings: page.items.into_iter().map(BookingBody::from).collect(),
        next_cursor: page.next.map(booking_cursor),
    }))
}
