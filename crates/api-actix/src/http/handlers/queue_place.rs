use actix_web::http::header::{self, ContentType};
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, web};
use domain::EventId;
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{PlaceBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::page;
use crate::http::state::AppState;

/// The caller's place in the event's waiting room. A browser (`Accept: text/html`) gets the
/// queue page instead, which signs in, joins and waits here.
#[utoipa::path(get, path = "/events/{id}/queue", tag = "waiting room", security(("bearer" = [])), params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "The place (JSON), or with `Accept: text/html` the queue page, which needs no token", body = PlaceBody, content_type = "application/json"),
    (status = 400, description = "`invalid_request`: the id is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
    (status = 404, description = "`room_not_found`: no such event, or it has no room; `not_in_queue`: no place in it", body = ErrorBody),
))]
pub async fn queue_place<S: Store>(
    state: web::Data<AppState<S>>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let event = parse_path_id("id", &id, EventId::new)?;
    if wants_html(&req) {
        return Ok(HttpResponse::Ok().insert_header(ContentType::html()).body(page::QUEUE_HTML));
    }
    let caller = Caller::extract(&req).await?;
    let found = state.store.place(event, caller.id()).await?;
    Ok(HttpResponse::Ok().json(PlaceBody::new(&found.room, found.room.standing(&found.place))))
}

/// Whether the request asks for HTML before JSON (what a browser's navigation sends).
fn wants_html(req: &HttpRequest) -> bool {
    let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    match (accept.find("text/html"), accept.find("application/json")) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}
