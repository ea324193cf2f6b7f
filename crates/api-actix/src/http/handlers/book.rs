use actix_web::{HttpRequest, HttpResponse, web};
use domain::idempotency::Effect;

use domain::ports::Store;
use domain::service::rooms;

use crate::http::auth::{ADMISSION_TOKEN, Caller};
use crate::http::dto::{BookRequest, BookingResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Book `quantity` seats (one by default), all or nothing: they are confirmed when they are
/// free and nobody waits, else the booking joins the back of the waiting line. While the event
/// has a waiting room, only with the caller's admission token in `X-Admission-Token`.
#[utoipa::path(post, path = "/book", tag = "bookings", security(("bearer" = [])), params(("X-Admission-Token" = Option<String>, Header, description = "The waiting room's admission token (`POST /events/{id}/queue/token`), while the event has a room")), request_body = BookRequest, responses(
    (status = 201, description = "`CONFIRMED` with all its seats (\"Ticket booked successfully\") or `PENDING` with none, with `waitlistPosition` and `seatsAhead` (\"Event is sold out. User added to wait list\")", body = BookingResponse),
    (status = 400, description = "`already_booked`, `already_waitlisted`, or `invalid_request` (also a `quantity` above the event's `maxPerBooking`)", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: `userId` is someone else; `admission_required`: the event has a waiting room and no `X-Admission-Token` was sent; `admission_invalid`: the token is not this user's for this event, is tampered with, or has expired", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event or user", body = ErrorBody),
    (status = 409, description = "`event_cancelled`: the organizer called the event off; `quantity_over_limit`: more seats than the event has", body = ErrorBody),
))]
pub async fn book<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    req: HttpRequest,
    body: web::Json<BookRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.into_inner().into_command(caller.id())?;
    let token =
        req.headers().get(ADMISSION_TOKEN).map(|v| v.to_str().ok().and_then(|t| state.admission.verify(t)));
    if token.is_some() || !state.roomless.recently(cmd.event()) {
        let admitted = rooms::admitted(&state.store, cmd.event(), caller.id(), token).await?;
        if admitted == rooms::Admitted::NoRoom {
            state.roomless.remember(cmd.event());
        }
    }
    let result = tag.scope(&state.store).book(cmd, key.attempt()).await;
    metrics::record_booking(&result);
    state.answers.render(Effect::Booked(result?))
}
