use domain::{Availability, Event, EventDate, NewEvent, Price, PriceError, TicketLimit, UserId};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::fields::{decimal, field_error, integer, required, text};
use crate::error::ApiError;

/// `POST /initialize`: a new event. `price` is read as written, so `19.99` stays exact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitializeRequest {
    #[schema(value_type = String, example = "New Years Eve Party")]
    name: Option<Value>,
    #[schema(value_type = String, example = "A night of fun and games")]
    description: Option<Value>,
    #[schema(value_type = String, format = Date, example = "2027-12-31")]
    date: Option<Value>,
    #[schema(value_type = String, example = "Colombo")]
    location: Option<Value>,
    /// At least 1.
    #[schema(value_type = i32, minimum = 1, example = 100)]
    ticket_limit: Option<Value>,
    /// At least 0, at most 2 decimal places; kept exact.
    #[schema(value_type = f64, minimum = 0, example = 19.99)]
    price: Option<Box<RawValue>>,
}

impl InitializeRequest {
    /// The event `organizer` asked for.
    ///
    /// # Errors
    /// [`ApiError::Invalid`] naming the first missing or malformed field.
    pub fn into_new_event(self, organizer: UserId) -> Result<NewEvent, ApiError> {
        let date = match required("date", self.date.as_ref())? {
            Value::String(s) => {
                EventDate::parse(s).map_err(|_| field_error("date", "must be a valid date (YYYY-MM-DD)"))?
            }
            _ => return Err(field_error("date", "must be a string (YYYY-MM-DD)")),
        };
        let limit = integer("ticketLimit", required("ticketLimit", self.ticket_limit.as_ref())?)?;
        let price = required("price", self.price.as_deref().filter(|raw| raw.get() != "null"))?;
        Ok(NewEvent::new(
            organizer,
            text("name", required("name", self.name.as_ref())?)?,
            text("description", required("description", self.description.as_ref())?)?,
            date,
            text("location", required("location", self.location.as_ref())?)?,
            TicketLimit::new(limit)
                .map_err(|_| field_error("ticketLimit", "must be greater than or equal to 1"))?,
            decimal("price", price, |raw| {
                Price::parse(raw).map_err(|e| field_error("price", price_problem(e)))
            })?,
        ))
    }
}

const fn price_problem(error: PriceError) -> &'static str {
    match error {
        PriceError::Negative => "must be greater than or equal to 0",
        PriceError::TooPrecise => "must have no more than 2 decimal places",
        PriceError::TooLarge => "is too large",
        PriceError::NotANumber => "must be a number",
    }
}

/// An event as the original service showed it. `price` is a JSON number written exactly
/// (`1000`, `19.99`), never a float's rounding of it.
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
}

impl TryFrom<Event> for EventBody {
    type Error = ApiError;

    fn try_from(event: Event) -> Result<Self, ApiError> {
        Ok(Self {
            id: event.id.get(),
            name: event.name.into_inner(),
            description: event.description.into_inner(),
            date: event.date.to_string(),
            location: event.location.into_inner(),
            ticket_limit: event.ticket_limit.get(),
            price: RawValue::from_string(event.price.to_string())
                .map_err(|e| ApiError::Internal(Box::new(e)))?,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InitializeResponse {
    #[schema(example = "Event created successfully")]
    pub message: &'static str,
    pub event: EventBody,
}

/// `GET /status/:id`.
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
        Ok(Self {
            event: status.event.try_into()?,
            tickets_available: status.tickets_available,
            waiting_list_count: status.waiting_list_count,
        })
    }
}
