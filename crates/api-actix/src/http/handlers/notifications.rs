use std::time::Duration;

use actix_web::{HttpResponse, web};
use domain::ports::Store;

use crate::http::auth::Caller;
use crate::http::dto::{NotificationBody, NotificationListParams, NotificationListResponse};
use crate::http::error::{ApiError, ErrorBody};
use crate::http::state::AppState;

/// How long a read waits for the notifications visible when it arrived to be settled; past it,
/// it answers with what is settled (a writer that drew a lower id is still running).
const SETTLE_PATIENCE: Duration = Duration::from_millis(300);

/// The caller's notifications after `after`, oldest first: bookings confirmed, waitlisted,
/// promoted or cancelled. Poll with the `nextAfter` of the previous answer. The caller's own
/// changes are there on the very next request.
#[utoipa::path(get, path = "/me/notifications", tag = "notifications", security(("bearer" = [])), params(NotificationListParams), responses(
    (status = 200, description = "The caller's next notifications", body = NotificationListResponse),
    (status = 400, description = "`invalid_request`: a parameter is malformed", body = ErrorBody),
    (status = 401, description = "`unauthenticated`", body = ErrorBody),
))]
pub async fn notifications<S: Store>(
    state: web::Data<AppState<S>>,
    caller: Caller,
    params: web::Query<NotificationListParams>,
) -> Result<HttpResponse, ApiError> {
    let (after, limit) = params.into_inner().into_parts()?;
    // What is visible now, the caller's own latest change included, once nothing below it can
    // still commit: the listener settles on request instead of at its next poll.
    let newest = state.store.watermark().await?.walked();
    let through = state.feed.settled_through(newest, SETTLE_PATIENCE).await;
    let page = state.store.feed(caller.id(), after, through, limit).await?;
    let next_after = page.last().map(|n| n.id.get());
    Ok(HttpResponse::Ok().json(NotificationListResponse {
        notifications: page.into_iter().map(NotificationBody::try_from).collect::<Result<_, _>>()?,
        next_after,
    }))
}
