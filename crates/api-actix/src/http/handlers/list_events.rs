use actix_web::{HttpRequest, HttpResponse, web};
use domain::ports::Store;

use crate::http::dto::{EventBody, EventListParams, EventListResponse, event_cursor};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// List events by date, then id, a page at a time. Public.
#[utoipa::path(get, path = "/events", tag = "events", params(EventListParams), responses(
    (status = 200, description = "A page of event summaries", body = EventListResponse),
    (status = 400, description = "`invalid_request`: a parameter is malformed, or the cursor is not one this list gave", body = ErrorBody),
))]
pub async fn list_events<S: Store>(
    state: web::Data<AppState<S>>,
    params: web::Query<EventListParams>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = params.into_inner().into_query()?;
    let page = state.public_catalog(&req).list_events(query).await?;
    let events = page.items.into_iter().map(EventBody::try_from).collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(EventListResponse { events, next_cursor: page.next.map(event_cursor) }))
}
