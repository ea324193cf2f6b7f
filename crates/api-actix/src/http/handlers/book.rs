use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;

use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{BookRequest, BookingResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Book `quantity` seats (one by default), all or nothing: they are confirmed when they are
/// free and nobody waits, else the booking joins the back of the waiting line.
#[utoipa::path(post, path = "/book", tag = "bookings", security(("bearer" = [])), request_body = BookRequest, responses(
    (status = 201, description = "`CONFIRMED` with all its seats (\"Ticket booked successfully\") or `PENDING` with none, with `waitlistPosition` and `seatsAhead` (\"Event is sold out. User added to wait list\")", body = BookingResponse),
    (status = 400, description = "`already_booked`, `already_waitlisted`, or `invalid_request` (also a `quantity` above the event's `maxPerBooking`)", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: `userId` is someone else", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event or user", body = ErrorBody),
    (status = 409, description = "`event_cancelled`: the organizer called the event off; `quantity_over_limit`: more seats than the event has", body = ErrorBody),
))]
pub async fn book<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    body: web::Json<BookRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.into_inner().into_command(caller.id())?;
    let result = tag.scope(&state.store).book(cmd, key.attempt()).await;
    metrics::record_booking(&result);
    state.answers.render(Effect::Booked(result?))
}
