use std::collections::BTreeMap;

use domain::{
    Availability, ChangeEvent, Event, EventCancellation, EventChange, EventChanges, EventId, MaxPerBooking,
    NewEvent, OfferWindow, OvertakeLimit, Price, PriceError, Promotion, Quantity, Seating, TicketLimit,
    UserId,
};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::BookingBody;
use super::fields::{date, decimal, integer, present, present_raw, refuse_unknown, required, text};
use crate::http::error::ApiError;
use crate::http::error::field_error;

/// `POST /initialize`: a new event. `price` is read as written, so `19.99` stays exact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "New Years Eve Party")]
    name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "A night of fun and games")]
    description: Option<Value>,
    /// `YYYY-MM-DD`; or an ISO 8601 date-time (`2027-12-31T20:00:00.000Z`, an offset, or none
    /// for UTC) or milliseconds since 1970 (a number or numeric string), of which the event
    /// takes the UTC day. Answers always show `YYYY-MM-DD`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = EventDateInput, required = true, example = "2027-12-31")]
    date: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$", example = "Colombo")]
    location: Option<Value>,
    /// At least 1.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = true, minimum = 1, example = 100)]
    ticket_limit: Option<Value>,
    /// At least 0, at most 2 decimal places; kept exact.
    #[serde(default, deserialize_with = "present_raw")]
    #[schema(value_type = f64, required = true, minimum = 0, maximum = 10_000_000_000_000_i64, multiple_of = 0.01, example = 19.99)]
    price: Option<Box<RawValue>>,
    /// The most seats one booking may take: 1 to 100, 10 when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, minimum = 1, maximum = 100, default = 10, example = 10)]
    max_per_booking: Option<Value>,
    /// How often a waiting booking may be passed by a later one that fits when it does not:
    /// 0 to 100, 0 (strictly first come, first served) when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, minimum = 0, maximum = 100, default = 0, example = 0)]
    overtake_limit: Option<Value>,
    /// What serving the waiting line does for the bookings it serves: `instant` confirms them
    /// at once (the original behaviour, and the default); `offer` offers them the seats, held
    /// for `offerWindowSeconds` (capped at the start of the event's day), to accept or decline.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = PromotionWord, default = "instant")]
    promotion: Option<Value>,
    /// With `promotion: "offer"` only: how long an offer holds its seats, 10 to 604 800
    /// seconds (a week); a day when left out.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, minimum = 10, maximum = 604_800, example = 43_200)]
    offer_window_seconds: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

/// The forms an event's date may be given in (documentation only: `fields::date` reads them).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "describes the accepted shapes of `date` in the OpenAPI document")]
pub enum EventDateInput {
    /// A calendar day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    Day(#[schema(inline)] String),
    /// An ISO 8601 date-time; the event takes its UTC day.
    #[schema(format = DateTime)]
    Instant(String),
    /// Milliseconds since 1970-01-01T00:00:00Z; the event takes its UTC day.
    Millis(EpochMillis),
}

/// Milliseconds since 1970-01-01T00:00:00Z, within years 1 to 9999; a fraction is dropped, as
/// a JavaScript `Date` drops it.
#[derive(Debug, Serialize)]
pub struct EpochMillis(i64);

/// By hand: utoipa's derive sets no range on a newtype.
impl utoipa::PartialSchema for EpochMillis {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(-62_135_596_800_000_i64))
            .maximum(Some(253_402_300_799_999_i64))
            .into()
    }
}

impl ToSchema for EpochMillis {}

impl InitializeRequest {
    /// The event `organizer` asked for.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] naming the first missing or malformed field.
    pub fn into_new_event(self, organizer: UserId) -> Result<NewEvent, ApiError> {
        // The original's schema order: the first failing field is the one named.
        let name = text("name", required("name", self.name.as_ref())?)?;
        let description = text("description", required("description", self.description.as_ref())?)?;
        let date = date("date", required("date", self.date.as_ref())?)?;
        let location = text("location", required("location", self.location.as_ref())?)?;
        let limit = ticket_limit(required("ticketLimit", self.ticket_limit.as_ref())?)?;
        let price = price(required("price", self.price.as_deref())?)?;
        let defaults = Seating::DEFAULT;
        let seating = Seating {
            max_per_booking: self
                .max_per_booking
                .map(|v| max_per_booking(&v))
                .transpose()?
                .unwrap_or(defaults.max_per_booking),
            overtake_limit: self
                .overtake_limit
                .map(|v| overtake_limit(&v))
                .transpose()?
                .unwrap_or(defaults.overtake_limit),
            promotion: promotion(self.promotion.as_ref(), self.offer_window_seconds.as_ref())?
                .unwrap_or(defaults.promotion),
        };
        refuse_unknown(self.unknown.keys())?;
        Ok(NewEvent::new(organizer, name, description, date, location, limit, price).with_seating(seating))
    }
}

fn max_per_booking(value: &Value) -> Result<MaxPerBooking, ApiError> {
    let seats = integer("maxPerBooking", value)?;
    MaxPerBooking::new(seats).map_err(|_| out_of_range("maxPerBooking", seats, 1, Quantity::MAX))
}

fn overtake_limit(value: &Value) -> Result<OvertakeLimit, ApiError> {
    let times = integer("overtakeLimit", value)?;
    OvertakeLimit::new(times).map_err(|_| out_of_range("overtakeLimit", times, 0, OvertakeLimit::MAX))
}

/// The words `promotion` takes (documentation only: [`promotion`] reads them).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[expect(dead_code, reason = "describes the accepted values of `promotion` in the OpenAPI document")]
pub enum PromotionWord {
    /// Served bookings are confirmed at once.
    Instant,
    /// Served bookings are offered the seats until a deadline.
    Offer,
}

/// `promotion` and `offerWindowSeconds` as given (`None`: neither). A window belongs to offers
/// only, so one given without `promotion: "offer"` is refused rather than ignored.
fn promotion(word: Option<&Value>, window: Option<&Value>) -> Result<Option<Promotion>, ApiError> {
    let window = window
        .map(|value| {
            let seconds = integer("offerWindowSeconds", value)?;
            OfferWindow::new(seconds)
                .map_err(|_| out_of_range("offerWindowSeconds", seconds, OfferWindow::MIN, OfferWindow::MAX))
        })
        .transpose()?;
    match (word.map(|w| w.as_str()), window) {
        (None, None) => Ok(None),
        (Some(Some("instant")), None) => Ok(Some(Promotion::Instant)),
        (Some(Some("offer")), window) => Ok(Some(Promotion::Offer(window.unwrap_or(OfferWindow::DEFAULT)))),
        (Some(Some("instant")) | None, Some(_)) => {
            Err(field_error("offerWindowSeconds", "is allowed only with promotion \"offer\""))
        }
        (Some(_), _) => Err(field_error("promotion", "must be one of [instant, offer]")),
    }
}

/// Joi's range messages for an integer outside `min..=max`.
fn out_of_range(field: &str, value: i64, min: u32, max: u32) -> ApiError {
    if value < i64::from(min) {
        field_error(field, &format!("must be greater than or equal to {min}"))
    } else {
        field_error(field, &format!("must be less than or equal to {max}"))
    }
}

fn ticket_limit(value: &Value) -> Result<TicketLimit, ApiError> {
    let seats = integer("ticketLimit", value)?;
    TicketLimit::new(seats).map_err(|_| {
        if seats < 1 {
            field_error("ticketLimit", "must be greater than or equal to 1")
        } else {
            field_error("ticketLimit", &format!("must be less than or equal to {}", i32::MAX))
        }
    })
}

fn price(raw: &RawValue) -> Result<Price, ApiError> {
    decimal("price", raw, |raw| Price::parse(raw).map_err(|e| field_error("price", price_problem(e))))
}

const fn price_problem(error: PriceError) -> &'static str {
    match error {
        PriceError::Negative => "must be greater than or equal to 0",
        PriceError::TooPrecise => "must have no more than 2 decimal places",
        PriceError::TooLarge => "must be less than or equal to 10000000000000",
        PriceError::NotANumber => "must be a number",
    }
}

/// The event summary: the event as the original service showed it, plus its organizer, sale
/// status and how full it is. `price` is a JSON number written exactly (`1000`, `19.99`),
/// never a float's rounding of it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventBody {
    pub id: i64,
    pub name: String,
    pub description: String,
    #[schema(format = Date, example = "2027-12-31")]
    pub date: String,
    pub location: String,
    pub ticket_limit: i32,
    #[schema(value_type = f64, example = 19.99)]
    pub price: Box<RawValue>,
    pub organizer_id: i64,
    #[schema(example = "ON_SALE")]
    pub status: &'static str,
    /// Seats not confirmed to anyone.
    pub tickets_available: u32,
    /// Seats the waiting bookings wait for (the number of waiting bookings when each is for
    /// one seat).
    pub waiting_list_count: u64,
    /// The most seats one booking may take.
    #[schema(minimum = 1, maximum = 100, example = 10)]
    pub max_per_booking: u32,
    /// How often a waiting booking may be passed by a later one that fits (0: strictly first
    /// come, first served).
    #[schema(minimum = 0, maximum = 100, example = 0)]
    pub overtake_limit: u32,
    /// `instant`: the line's served bookings are confirmed at once; `offer`: they are offered
    /// the seats until a deadline.
    #[schema(value_type = PromotionWord, example = "instant")]
    pub promotion: &'static str,
    /// How long an offer holds its seats; `null` unless `promotion` is `offer`.
    #[schema(minimum = 10, maximum = 604_800, example = json!(null))]
    pub offer_window_seconds: Option<u32>,
    /// Seats held for open offers: taken (not among `ticketsAvailable`) until accepted, or
    /// passed on when declined or lapsed.
    pub seats_on_offer: u32,
}

impl TryFrom<Availability> for EventBody {
    type Error = ApiError;

    fn try_from(summary: Availability) -> Result<Self, ApiError> {
        let Availability { event, tickets_available, waiting_list_count, seats_on_offer } = summary;
        Ok(Self {
            id: event.id.get(),
            name: event.name.into_inner(),
            description: event.description.into_inner(),
            date: event.date.to_string(),
            location: event.location.into_inner(),
            ticket_limit: event.ticket_limit.get(),
            price: RawValue::from_string(event.price.to_string())
                .map_err(|e| ApiError::Internal(Box::new(e)))?,
            organizer_id: event.organizer.get(),
            status: event.status.as_str(),
            tickets_available,
            waiting_list_count,
            max_per_booking: event.seating.max_per_booking.get(),
            overtake_limit: event.seating.overtake_limit.get(),
            promotion: event.seating.promotion.as_str(),
            offer_window_seconds: event.seating.promotion.window().map(OfferWindow::seconds),
            seats_on_offer,
        })
    }
}

/// A new event: every seat free, nobody waiting.
impl TryFrom<Event> for EventBody {
    type Error = ApiError;

    fn try_from(event: Event) -> Result<Self, ApiError> {
        Availability::new(event, 0, 0).map_err(|e| ApiError::Internal(Box::new(e)))?.try_into()
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InitializeResponse {
    #[schema(example = "Event created successfully")]
    pub message: &'static str,
    pub event: EventBody,
}

/// `PATCH /events/{id}`: any of the fields of `/initialize`, validated the same way (`null`
/// included: it is no value for any field). A field left out is left alone; at least one must
/// be given.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEventRequest {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    description: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = EventDateInput, required = false)]
    date: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 5000, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    location: Option<Value>,
    /// Raising it serves the waiting line; it cannot go below the seats taken (it may go below
    /// a waiting booking's quantity: that booking waits for more).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 1)]
    ticket_limit: Option<Value>,
    #[serde(default, deserialize_with = "present_raw")]
    #[schema(value_type = f64, required = false, minimum = 0, maximum = 10_000_000_000_000_i64, multiple_of = 0.01)]
    price: Option<Box<RawValue>>,
    /// For bookings made from now on; waiting ones keep their seats.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 1, maximum = 100)]
    max_per_booking: Option<Value>,
    /// The line is served again under the new limit, in the same transaction.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 0, maximum = 100)]
    overtake_limit: Option<Value>,
    /// What serving the waiting line does for the bookings it serves: `instant` confirms them
    /// at once (the original behaviour, and the default); `offer` offers them the seats, held
    /// for `offerWindowSeconds` (capped at the start of the event's day), to accept or decline.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = PromotionWord, required = false)]
    promotion: Option<Value>,
    /// With `promotion: "offer"` only: how long an offer holds its seats, 10 to 604 800
    /// seconds (a week); a day when left out. Open offers keep their deadlines.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = false, minimum = 10, maximum = 604_800, example = 43_200)]
    offer_window_seconds: Option<Value>,
    /// Anything else is refused, so that a misspelt field is not silently ignored.
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl ChangeEventRequest {
    /// # Errors
    /// [`ApiError::Invalid`] naming the first bad or unknown field, or when nothing changes.
    pub fn into_command(self, caller: UserId, event: EventId) -> Result<ChangeEvent, ApiError> {
        let optional_text = |field, value: Option<Value>| value.map(|v| text(field, &v)).transpose();
        let changes = EventChanges {
            name: optional_text("name", self.name)?,
            description: optional_text("description", self.description)?,
            date: self.date.map(|v| date("date", &v)).transpose()?,
            location: optional_text("location", self.location)?,
            ticket_limit: self.ticket_limit.map(|v| ticket_limit(&v)).transpose()?,
            price: self.price.map(|raw| price(&raw)).transpose()?,
            max_per_booking: self.max_per_booking.map(|v| max_per_booking(&v)).transpose()?,
            overtake_limit: self.overtake_limit.map(|v| overtake_limit(&v)).transpose()?,
            promotion: promotion(self.promotion.as_ref(), self.offer_window_seconds.as_ref())?,
        };
        refuse_unknown(self.unknown.keys())?;
        let changes = changes.check().map_err(|_| {
            ApiError::Invalid("Request body must name at least one field to change".to_owned())
        })?;
        Ok(ChangeEvent { caller, event, changes })
    }
}

/// `PATCH /events/{id}`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeEventResponse {
    #[schema(example = "Event updated successfully")]
    pub message: &'static str,
    pub event: EventBody,
    /// Bookings the change served from the waiting line (a raised `ticketLimit` or
    /// `overtakeLimit`), first in line first: confirmed, or offered on an event that offers.
    pub promoted: Vec<BookingBody>,
}

impl TryFrom<EventChange> for ChangeEventResponse {
    type Error = ApiError;

    fn try_from(change: EventChange) -> Result<Self, ApiError> {
        Ok(Self {
            message: "Event updated successfully",
            event: change.event.try_into()?,
            promoted: change.promoted.into_iter().map(BookingBody::from).collect(),
        })
    }
}

/// `POST /events/{id}/cancel`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CancelEventResponse {
    #[schema(example = "Event cancelled successfully")]
    pub message: &'static str,
    pub event: EventBody,
    /// How many confirmed or waiting bookings were cancelled with the event.
    pub cancelled_bookings: u64,
}

impl TryFrom<EventCancellation> for CancelEventResponse {
    type Error = ApiError;

    fn try_from(cancellation: EventCancellation) -> Result<Self, ApiError> {
        Ok(Self {
            message: "Event cancelled successfully",
            event: cancellation.event.try_into()?,
            cancelled_bookings: cancellation.cancelled_bookings,
        })
    }
}

/// `GET /events`'s answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventListResponse {
    pub events: Vec<EventBody>,
    /// Give it as `after` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /status/:id`: the original's shape, whose event is now the full summary.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub event: EventBody,
    pub tickets_available: u32,
    pub waiting_list_count: u64,
}

impl TryFrom<Availability> for StatusResponse {
    type Error = ApiError;

    fn try_from(status: Availability) -> Result<Self, ApiError> {
        let (tickets_available, waiting_list_count) = (status.tickets_available, status.waiting_list_count);
        Ok(Self { event: status.try_into()?, tickets_available, waiting_list_count })
    }
}
