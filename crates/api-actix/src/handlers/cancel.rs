use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::dto::{BookingResponse, CancelRequest};
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /cancel`: cancels a booking; a freed seat goes to the first in line in the same
/// transaction.
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<CancelRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.into_inner().into_command(caller.id())?;
    let cancellation = state.bookings.cancel(cmd).await?;
    Ok(HttpResponse::Ok().json(BookingResponse {
        message: "Booking cancelled successfully",
        booking: cancellation.cancelled.into(),
    }))
}
