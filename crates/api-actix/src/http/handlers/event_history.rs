use actix_web::{HttpResponse, web};
use domain::EventId;
use domain::ports::Store;
use domain::service::audit;

use crate::http::auth::Caller;
use crate::http::dto::{
    EventHistoryResponse, HistoryEntryBody, HistoryListParams, history_cursor, parse_path_id,
};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// The caller's event's audit trail, newest first: every change to its bookings, its capacity
/// and its sale status, with who made it and in which request.
#[utoipa::path(get, path = "/events/{id}/history", tag = "events", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id"), HistoryListParams), responses(
    (status = 200, description = "A page of the event's history, newest first", body = EventHistoryResponse),
    (status = 400, description = "`invalid_request`: the id or a parameter is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 403, description = "`forbidden`: not the event's organizer", body = ErrorBody),
    (status = 404, description = "`not_found`: no such event", body = ErrorBody),
))]
pub async fn event_history<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    id: web::Path<String>,
    params: web::Query<HistoryListParams>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    let query = params.into_inner().into_query()?;
    let page = audit::event_history(&state.store, caller.id(), event, query).await?;
    Ok(HttpResponse::Ok().json(EventHistoryResponse {
        entries: page.items.into_iter().map(HistoryEntryBody::from).collect(),
        next_cursor: page.next.map(history_cursor),
    }))
}
