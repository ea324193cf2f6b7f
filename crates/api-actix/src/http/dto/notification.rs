//! Notifications as the feed, the stream and webhooks show them.

use chrono::SecondsFormat;
use domain::notice::{Notification, NotificationData};
use domain::{BoxError, Limit, NotificationId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::listing::limit;
use super::{BookingBody, EventBody};
use crate::http::error::ApiError;
use crate::http::error::field_error;

/// `{"id", "type", "createdAt", "data"}`: ids increase; `data` holds the booking or the event
/// as the change left it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationBody {
    pub id: i64,
    #[serde(rename = "type")]
    #[schema(example = "booking.promoted")]
    pub kind: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub data: NotificationDataBody,
}

/// `{"booking": Booking}` or `{"event": EventSummary}`.
#[derive(Debug, Serialize, ToSchema)]
pub enum NotificationDataBody {
    #[serde(rename = "booking")]
    Booking(BookingBody),
    #[serde(rename = "event")]
    Event(EventBody),
}

impl TryFrom<Notification> for NotificationBody {
    type Error = ApiError;

    fn try_from(notification: Notification) -> Result<Self, ApiError> {
        Ok(Self {
            id: notification.id.get(),
            kind: notification.kind.as_str(),
            created_at: notification.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            data: match notification.data {
                NotificationData::Booking(view) => NotificationDataBody::Booking(view.into()),
                NotificationData::Event(event) => NotificationDataBody::Event(event.try_into()?),
            },
        })
    }
}

/// A notification as webhook receivers get it: the JSON of a feed item, so the two never
/// drift apart (the composition root hands this to the webhook sender).
///
/// # Errors
/// When the notification cannot be rendered (a stored value the API cannot show).
pub fn notification_json(notification: &Notification) -> Result<Vec<u8>, BoxError> {
    let body = NotificationBody::try_from(notification.clone()).map_err(|e| Box::new(e) as BoxError)?;
    Ok(serde_json::to_vec(&body)?)
}

/// `GET /me/notifications`'s answer: oldest first; `nextAfter` is the last id of the page, to
/// pass as `after` (null when nothing was returned: ask again later with the same `after`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NotificationListResponse {
    pub notifications: Vec<NotificationBody>,
    pub next_after: Option<i64>,
}

/// `GET /me/notifications` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationListParams {
    /// Only notifications with a greater id (the `nextAfter` of the previous answer).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 100)]
    limit: Option<String>,
}

impl NotificationListParams {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad parameter.
    pub fn into_parts(self) -> Result<(Option<NotificationId>, Limit), ApiError> {
        let after = self.after.as_deref().map(after_id).transpose()?.flatten();
        Ok((after, limit(self.limit.as_deref())?))
    }
}

/// A notification id to resume after: `0` (or nothing) is the start.
pub fn after_id(raw: &str) -> Result<Option<NotificationId>, ApiError> {
    let bad = || field_error("after", "must be a notification id (an integer of 0 or more)");
    match raw.trim().parse::<i64>().map_err(|_| bad())? {
        0 => Ok(None),
        n => NotificationId::new(n).map(Some).map_err(|_| bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_is_an_id_or_zero() {
        assert_eq!(after_id("0").unwrap(), None);
        assert_eq!(after_id("17").unwrap().map(NotificationId::get), Some(17));
        for bad in ["-1", "x", "", "1.5"] {
            assert!(after_id(bad).is_err(), "{bad}");
        }
    }
}
