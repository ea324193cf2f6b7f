use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::reading;

use crate::http::auth::Caller;
use crate::http::dto::{
    AttendeeBody, AttendeeListResponse, BookingListParams, booking_cursor, parse_path_id,
};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// Who booked the caller's event, by booking id (line order for the pending ones).
#[utoipa::path(get, path = "/events/{id}/bookings", tag = "events", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id"), BookingListParams), responses(
    (status = 200, description = "A page of the event's bookings with their holders", body = AttendeeListResponse),
    (status = 400, description = "`invalid_request`: the id or a parameter is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event", body = ErrorBody),
))]
pub async fn event_bookings<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
    params: web::Query<BookingListParams>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let query = params.into_inner().into_query()?;
    let page = reading::attendees(&state.store, caller.id(), event, query).await?;
    Ok(HttpResponse::Ok().json(AttendeeListResponse {
        bookings: page.items.into_iter().map(AttendeeBody::from).collect(),
        next_cursor: page.next.map(booking_cursor),
    }))
}
