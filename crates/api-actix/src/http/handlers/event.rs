use actix_web::http::header::Header as _;
use actix_web::http::header::{ETAG, EntityTag, IF_NONE_MATCH, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::EventId;
use domain::ports::Store;

use crate::http::dto::{EventBody, parse_path_id};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// One event's summary, with an `ETag`; `If-None-Match` with the current tag answers 304.
/// Public.
#[utoipa::path(get, path = "/events/{id}", tag = "events", params(("id" = i64, Path, minimum = 1, maximum = 9_007_199_254_740_991_i64, description = "Event id")), responses(
    (status = 200, description = "The event summary", body = EventBody, headers(("ETag" = String, description = "Changes whenever anything in the body does"))),
    (status = 304, description = "Unchanged since the tag given in `If-None-Match`"),
    (status = 400, description = "`invalid_request`: the id is not a positive integer", body = ErrorBody),
    (status = 404, description = "`not_found`", body = ErrorBody),
))]
pub async fn event<S: Store>(
    state: web::Data<AppState<S>>,
    id: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = parse_path_id("id", &id, EventId::new)?;
    let summary = EventBody::try_from(state.public_catalog(&req).availability(id).await?)?;
    let body = serde_json::to_vec(&summary).map_err(|e| ApiError::Internal(Box::new(e)))?;
    let tag = EntityTag::new_strong(fingerprint(&body));
    let unchanged = match IfNoneMatch::parse(&req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&tag)),
        Err(_) => false,
    };
    let mut response = if unchanged && req.headers().contains_key(IF_NONE_MATCH) {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response.insert_header((ETAG, tag.to_string()));
    Ok(if unchanged { response.finish() } else { response.content_type("application/json").body(body) })
}

/// FNV-1a of the body: the same on every instance and every build, so a tag stays valid behind
/// a load balancer.
fn fingerprint(body: &[u8]) -> String {
    let hash =
        body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
    format!("{hash:016x}")
}
