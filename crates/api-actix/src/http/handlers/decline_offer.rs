use actix_web::{HttpResponse, web};
use domain::idempotency::Effect;
use domain::ports::Store;
use domain::{AnswerOffer, BookingId};

use crate::http::auth::Caller;
use crate::http::dto::{DeclineResponse, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::idempotency::Keyed;
use crate::http::middleware::request_context::RequestTag;
use crate::http::state::AppState;
use crate::telemetry::metrics;

/// Decline the offer made to your booking: its seats go to the next in line in the same
/// transaction.
#[utoipa::path(post, path = "/bookings/{id}/decline", tag = "bookings", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Booking id")), responses(
    (status = 200, description = "\"Offer declined\": the booking, now `DECLINED`, and the bookings its seats served (`promoted`)", body = DeclineResponse),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`not_found`: no such booking, or not yours", body = ErrorBody),
    (status = 409, description = "`offer_expired`: the deadline passed already; `not_offered`: the booking holds no offer", body = ErrorBody),
))]
pub async fn decline_offer<S: Store>(
    state: web::Data<AppState<S>>,
    tag: RequestTag,
    caller: Caller,
    key: Keyed,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let booking = parse_path_id("id", &id, BookingId::new)?;
    let result =
        tag.scope(&state.store).decline(AnswerOffer { caller: caller.id(), booking }, key.attempt()).await;
    let promoted = result.as_ref().map_or(&[][..], |d| d.promoted.as_slice());
    metrics::record_offer_answer("declined", &result, promoted);
    state.answers.render(Effect::OfferDeclined(result?))
}
