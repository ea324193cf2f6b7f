use actix_web::{HttpResponse, web};

use crate::auth::Caller;
use crate::dto::{BookRequest, BookingResponse};
use crate::error::ApiError;
use crate::state::AppState;

/// `POST /book`: a seat, or a place in line when the event is sold out.
pub async fn book(
    state: web::Data<AppState>,
    caller: Caller,
    body: web::Json<BookRequest>,
) -> Result<HttpResponse, ApiError> {
    let cmd = body.into_inner().into_command(caller.id())?;
    let outcome = state.bookings.book(cmd).await?;
    Ok(HttpResponse::Created().json(BookingResponse::from(outcome)))
}
