//! List parameters (`?limit=&after=&…`) and the opaque cursors of paged answers.
//!
//! A cursor is the base64url of the last item's sort key with a tag naming the list
//! (`e1:<date>:<id>` for events, `b1:<id>` for bookings), so one list's cursor is refused by
//! another. Clients must treat it as opaque; a garbled or foreign one is a 400. A well-formed
//! cursor a client made up only moves where its page starts: every page is filtered by the
//! same rules as the first.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::history::{Action, HistoryQuery};
use domain::{
    BookingId, BookingQuery, BookingStatus, DateRange, EventCursor, EventDate, EventId, EventQuery,
    EventStatus, HistoryId, Limit, SearchText, SearchTextError,
};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::error::ApiError;
use crate::http::error::field_error;

const EVENT_TAG: &str = "e1";
const BOOKING_TAG: &str = "b1";
const ATTEMPT_TAG: &str = "a1";
const HISTORY_TAG: &str = "h1";

/// The opaque form of an events page's cursor.
#[must_use]
pub fn event_cursor(cursor: EventCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{EVENT_TAG}:{}:{}", cursor.date, cursor.id))
}

/// The opaque form of a bookings page's cursor.
#[must_use]
pub fn booking_cursor(id: BookingId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{BOOKING_TAG}:{id}"))
}

/// The opaque form of a delivery log page's cursor.
#[must_use]
pub fn attempt_cursor(seq: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{ATTEMPT_TAG}:{seq}"))
}

/// The opaque form of a history page's cursor.
#[must_use]
pub fn history_cursor(id: HistoryId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{HISTORY_TAG}:{id}"))
}

fn parse_history_cursor(raw: &str) -> Result<HistoryId, ApiError> {
    let key = decode(raw, HISTORY_TAG).ok_or_else(bad_cursor)?;
    key.parse().ok().and_then(|n| HistoryId::new(n).ok()).ok_or_else(bad_cursor)
}

/// The sort key of a cursor of the list tagged `tag`.
fn decode(raw: &str, tag: &str) -> Option<String> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(raw).ok()?).ok()?;
    text.strip_prefix(tag)?.strip_prefix(':').map(str::to_owned)
}

fn bad_cursor() -> ApiError {
    field_error("after", "is not a valid cursor")
}

fn parse_event_cursor(raw: &str) -> Result<EventCursor, ApiError> {
    let key = decode(raw, EVENT_TAG).ok_or_else(bad_cursor)?;
    let (date, id) = key.split_once(':').ok_or_else(bad_cursor)?;
    let date = EventDate::parse(date).map_err(|_| bad_cursor())?;
    let id = id.parse().ok().and_then(|n| EventId::new(n).ok()).ok_or_else(bad_cursor)?;
    Ok(EventCursor { date, id })
}

pub(super) fn parse_attempt_cursor(raw: &str) -> Result<i64, ApiError> {
    let key = decode(raw, ATTEMPT_TAG).ok_or_else(bad_cursor)?;
    key.parse().ok().filter(|&n: &i64| n > 0).ok_or_else(bad_cursor)
}

fn parse_booking_cursor(raw: &str) -> Result<BookingId, ApiError> {
    let key = decode(raw, BOOKING_TAG).ok_or_else(bad_cursor)?;
    key.parse().ok().and_then(|n| BookingId::new(n).ok()).ok_or_else(bad_cursor)
}

pub(super) fn limit(raw: Option<&str>) -> Result<Limit, ApiError> {
    let Some(raw) = raw else { return Ok(Limit::DEFAULT) };
    raw.parse()
        .ok()
        .and_then(|n| Limit::new(n).ok())
        .ok_or_else(|| field_error("limit", &format!("must be an integer from 1 to {}", Limit::MAX)))
}

fn day(field: &str, raw: Option<&str>) -> Result<Option<EventDate>, ApiError> {
    raw.map(|raw| EventDate::parse(raw).map_err(|_| field_error(field, "must be a valid date (YYYY-MM-DD)")))
        .transpose()
}

/// `GET /events` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page (opaque; anything else is a 400). Empty: the first
    /// page.
    after: Option<String>,
    /// Earliest date, `YYYY-MM-DD`, inclusive.
    #[param(format = Date)]
    from: Option<String>,
    /// Latest date, `YYYY-MM-DD`, inclusive; before `from`, nothing matches.
    #[param(format = Date)]
    to: Option<String>,
    /// Case-insensitive text in the name or location, 3 to 100 characters once trimmed.
    #[param(
        min_length = 3,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]+[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
    )]
    q: Option<String>,
    /// `ON_SALE` or `CANCELLED`.
    #[param(pattern = "^(ON_SALE|CANCELLED)$")]
    status: Option<String>,
}

impl EventListParams {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad parameter.
    pub fn into_query(self) -> Result<EventQuery, ApiError> {
        let dates = DateRange::new(day("from", self.from.as_deref())?, day("to", self.to.as_deref())?);
        let search = self
            .q
            .as_deref()
            .map(|raw| {
                SearchText::parse(raw).map_err(|e| match e {
                    SearchTextError::Empty => field_error("q", "is not allowed to be empty"),
                    SearchTextError::TooShort | SearchTextError::TooLong | SearchTextError::Control => {
                        field_error("q", &e.to_string())
                    }
                })
            })
            .transpose()?;
        let status = self
            .status
            .as_deref()
            .map(|raw| {
                raw.parse::<EventStatus>()
                    .map_err(|_| field_error("status", "must be one of [ON_SALE, CANCELLED]"))
            })
            .transpose()?;
        let after = self.after.as_deref().filter(|a| !a.is_empty()).map(parse_event_cursor).transpose()?;
        Ok(EventQuery { dates, search, status, limit: limit(self.limit.as_deref())?, after })
    }
}

/// `GET /me/bookings` and `GET /events/{id}/bookings` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BookingListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page (opaque; anything else is a 400). Empty: the first
    /// page.
    after: Option<String>,
    /// `CONFIRMED`, `PENDING` or `CANCELLED`.
    #[param(pattern = "^(CONFIRMED|PENDING|CANCELLED)$")]
    status: Option<String>,
}

impl BookingListParams {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad parameter.
    pub fn into_query(self) -> Result<BookingQuery, ApiError> {
        let status = self
            .status
            .as_deref()
            .map(|raw| {
                raw.parse::<BookingStatus>()
                    .map_err(|_| field_error("status", "must be one of [CONFIRMED, PENDING, CANCELLED]"))
            })
            .transpose()?;
        let after = self.after.as_deref().filter(|a| !a.is_empty()).map(parse_booking_cursor).transpose()?;
        Ok(BookingQuery { status, limit: limit(self.limit.as_deref())?, after })
    }
}

/// `GET /events/{id}/history` parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryListParams {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u8>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// The `nextCursor` of the previous page (opaque; anything else is a 400). Empty: the first
    /// page (the newest entries).
    after: Option<String>,
    /// Only entries of this action (`booked`, `waitlisted`, `promoted`, `offered`, `accepted`,
    /// `declined`, `expired`, `cancelled`, `quantity_changed`, `deadline_moved`,
    /// `limit_changed`, `event_cancelled`, `created`, `imported`).
    #[param(
        pattern = "^(created|imported|booked|waitlisted|promoted|offered|accepted|declined|expired|cancelled|quantity_changed|deadline_moved|limit_changed|event_cancelled)$"
    )]
    action: Option<String>,
}

impl HistoryListParams {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad parameter.
    pub fn into_query(self) -> Result<HistoryQuery, ApiError> {
        let action = self
            .action
            .as_deref()
            .map(|raw| {
                raw.parse::<Action>().map_err(|_| {
                    let words: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
                    field_error("action", &format!("must be one of [{}]", words.join(", ")))
                })
            })
            .transpose()?;
        let before = self.after.as_deref().filter(|a| !a.is_empty()).map(parse_history_cursor).transpose()?;
        Ok(HistoryQuery { action, limit: limit(self.limit.as_deref())?, before })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_not_interchangeable() {
        let cursor =
            EventCursor { date: EventDate::parse("2027-05-20").unwrap(), id: EventId::new(42).unwrap() };
        let booking = BookingId::new(7).unwrap();

        assert_eq!(parse_event_cursor(&event_cursor(cursor)).unwrap(), cursor);
        assert_eq!(parse_booking_cursor(&booking_cursor(booking)).unwrap(), booking);
        assert!(parse_event_cursor(&booking_cursor(booking)).is_err());
        assert!(parse_booking_cursor(&event_cursor(cursor)).is_err());
        let entry = HistoryId::new(12).unwrap();
        assert_eq!(parse_history_cursor(&history_cursor(entry)).unwrap(), entry);
        assert!(parse_history_cursor(&booking_cursor(booking)).is_err());
    }

    #[test]
    fn garbled_cursors_are_refused_naming_the_parameter() {
        for raw in
            ["", "!!!", "e1", &URL_SAFE_NO_PAD.encode("e1:2027-13-01:5"), &URL_SAFE_NO_PAD.encode("b1:-3")]
        {
            let refused = parse_event_cursor(raw).err().or_else(|| parse_booking_cursor(raw).err());
            assert_eq!(
                refused.map(|e| e.to_string()).as_deref(),
                Some("\"after\" is not a valid cursor"),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        assert_eq!(limit(None).unwrap(), Limit::DEFAULT);
        assert_eq!(limit(Some("100")).unwrap().get(), 100);
        for bad in ["0", "101", "-1", "ten", "1.5", ""] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
