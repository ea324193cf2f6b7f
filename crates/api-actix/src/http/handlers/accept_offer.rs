use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;
use domain::ports::Store;
use domain::{AnswerOffer, BookingId};

use crate::http::auth::Caller;
use crate::http::dto::{BookingResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Accept the offer made to your booking: it is confirmed, keeping the seats held for it — if
/// the deadline (`offerExpiresAt`) has not passed by the database clock. One conditional write:
/// an accept and the offer's expiry never both succeed.
#[utoipa::path(post, path = "/bookings/{id}/accept", tag = "bookings", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Booking id")), responses(
    (status = 200, description = "\"Offer accepted\": the booking, now `CONFIRMED`", body = BookingResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or not yours", body = ErrorBody),
    (status = 409, description = "`offer_expired`: the deadline passed (the seats went on down the line); `not_offered`: the booking holds no offer", body = ErrorBody),
))]
pub async fn accept_offer<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let booking = parse_path_id("id", &id, BookingId::new)?;
    let result =
        tag.scope(&state.store).accept(AnswerOffer { caller: caller.id(), booking }, key.attempt()).await;
    metrics::record_offer_answer("accepted", &result, &[]);
    state.answers.render(Effect::OfferAccepted(result?))
}
