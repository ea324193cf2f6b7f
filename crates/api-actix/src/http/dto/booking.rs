use chrono::SecondsFormat;
use domain::{
    Attendee, BookTicket, Booking, BookingId, BookingOutcome, BookingStatus, BookingView, CancelBooking,
    CancelTarget, Cancellation, ChangeQuantity, Declination, EventId, Quantity, QuantityChange, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use std::collections::BTreeMap;

use serde::de::IgnoredAny;

use super::UserBody;
use super::fields::{id, integer, present, refuse_unknown, required};
use crate::http::error::ApiError;
use crate::http::error::field_error;

/// `POST /book`. `userId` may be left out; it then means the caller. `quantity` may be left
/// out; it then means one seat.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookRequest {
    /// An integer, or a string of digits.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 9_007_199_254_740_991_i64, example = 4)]
    event_id: Option<Value>,
    /// Optional; must be the caller.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i64, minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    user_id: Option<Value>,
    /// Seats, all or nothing: 1 (the default) to 100, and at most the event's `maxPerBooking`
    /// (400 above it) and its `ticketLimit` (409 `quantity_over_limit` above it).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, minimum = 1, maximum = 100, default = 1, example = 2)]
    quantity: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl BookRequest {
    /// # Errors
    /// [`ApiError::Invalid`] for a missing or malformed id or quantity; [`ApiError::Forbidden`]
    /// when the body names another user.
    pub fn into_command(self, caller: UserId) -> Result<BookTicket, ApiError> {
        let event = id("eventId", required("eventId", self.event_id.as_ref())?, EventId::new)?;
        let user = self.user_id.map(|value| id("userId", &value, UserId::new)).transpose()?;
        let seats = self.quantity.map(|value| quantity(&value)).transpose()?.unwrap_or(Quantity::ONE);
        refuse_unknown(self.unknown.keys())?;
        Ok(BookTicket::new(caller, event, user)?.with_quantity(seats))
    }
}

/// A booking's seats: an integer (or numeric string) from 1 to [`Quantity::MAX`].
fn quantity(value: &Value) -> Result<Quantity, ApiError> {
    let seats = integer("quantity", value)?;
    Quantity::new(seats).map_err(|_| {
        if seats < 1 {
            field_error("quantity", "must be greater than or equal to 1")
        } else {
            field_error("quantity", &format!("must be less than or equal to {}", Quantity::MAX))
        }
    })
}

/// `PATCH /bookings/{id}`: the seats a waiting booking should wait for. Lower keeps its place
/// in line; higher moves it to the back, as a new booking.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChangeQuantityRequest {
    /// 1 to 100, and for a raise at most the event's `maxPerBooking` and `ticketLimit`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = i32, required = true, minimum = 1, maximum = 100, example = 2)]
    quantity: Option<Value>,
    #[serde(flatten)]
    #[schema(ignore)]
    unknown: BTreeMap<String, IgnoredAny>,
}

impl ChangeQuantityRequest {
    /// # Errors
    /// [`ApiError::Invalid`] for a missing or malformed quantity, or an unknown field.
    pub fn into_command(self, caller: UserId, booking: BookingId) -> Result<ChangeQuantity, ApiError> {
        let quantity = quantity(required("quantity", self.quantity.as_ref())?)?;
        refuse_unknown(self.unknown.keys())?;
        Ok(ChangeQuantity { caller, booking, quantity })
    }
}

/// `POST /cancel`: `{"id": bookingId}` (what the original code read) or `{"eventId": n}`
/// (what its README described: the caller's live booking for that event).
/// Documented as [`CancelTargetBody`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelRequest {
    /// The booking to cancel.
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    /// Instead of `id`: the event whose live booking of yours to cancel.
    #[serde(default, deserialize_with = "present")]
    event_id: Option<Value>,
    #[serde(flatten)]
    unknown: BTreeMap<String, IgnoredAny>,
}

/// The two forms of `POST /cancel`'s body.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[expect(dead_code, reason = "describes the request body in the OpenAPI document; `CancelRequest` reads it")]
pub enum CancelTargetBody {
    /// The booking with this id.
    #[schema(title = "By booking")]
    ById {
        #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
        id: i64,
    },
    /// Your live booking for this event.
    #[schema(title = "By event")]
    ByEvent {
        #[serde(rename = "eventId")]
        #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
        event_id: i64,
    },
}

impl CancelRequest {
    /// # Errors
    /// [`ApiError::Invalid`] when neither id is given or one is malformed;
    /// [`ApiError::BookingNotFound`] for a booking id below 1, as the original answered.
    pub fn into_command(self, caller: UserId) -> Result<CancelBooking, ApiError> {
        let target = match (self.id, self.event_id) {
            (Some(booking), _) => {
                let raw = integer("id", &booking)?;
                CancelTarget::Booking(BookingId::new(raw).map_err(|_| ApiError::BookingNotFound(raw))?)
            }
            (None, Some(event)) => CancelTarget::LiveBookingFor(id("eventId", &event, EventId::new)?),
            (None, None) => return Err(field_error("id", "is required")),
        };
        refuse_unknown(self.unknown.keys())?;
        Ok(CancelBooking { caller, target })
    }
}

/// A booking as the original service showed it, plus `createdAt`, its seats, while waiting its
/// place in line, and for an offer its deadline.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingBody {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    /// `CONFIRMED` (holds its seats), `PENDING` (waits in line), `CANCELLED`; on an event that
    /// offers seats also `OFFERED` (seats held until `offerExpiresAt`: accept or decline),
    /// `EXPIRED` (not accepted in time) and `DECLINED`.
    #[schema(value_type = BookingStatusWord, example = "CONFIRMED")]
    pub status: &'static str,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The seats it holds (`CONFIRMED`), waits for (`PENDING`) or held (`CANCELLED`), all at
    /// once; 1 for a booking that named none.
    #[schema(minimum = 1, maximum = 100, example = 1)]
    pub quantity: u32,
    /// Only while `PENDING`: 1 + the pending bookings ahead in line (1 = next in line).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub waitlist_position: Option<u64>,
    /// Only while `PENDING`: the seats the bookings ahead of it in line wait for (0 = next in
    /// line).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub seats_ahead: Option<u64>,
    /// Only while `OFFERED`, and once `EXPIRED`: when the offer ends, by the database clock.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub offer_expires_at: Option<String>,
}

/// The statuses a booking reads with (documentation only).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
#[expect(dead_code, reason = "describes the values of a booking's `status` in the OpenAPI document")]
pub enum BookingStatusWord {
    Confirmed,
    Pending,
    Cancelled,
    Offered,
    Expired,
    Declined,
}

impl From<Booking> for BookingBody {
    fn from(booking: Booking) -> Self {
        Self {
            id: booking.id.get(),
            event_id: booking.event.get(),
            user_id: booking.user.get(),
            status: booking.status.as_str(),
            created_at: booking.created_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            quantity: booking.quantity.get(),
            waitlist_position: None,
            seats_ahead: None,
            offer_expires_at: matches!(booking.status, BookingStatus::Offered | BookingStatus::Expired)
                .then_some(booking.offer_expires_at)
                .flatten()
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)),
        }
    }
}

/// `{"message", "booking"}`, the answer of `/book` and `/cancel`. The messages are the
/// original service's, which its clients match on.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingResponse {
    #[schema(example = "Ticket booked successfully")]
    pub message: &'static str,
    pub booking: BookingBody,
}

impl From<BookingOutcome> for BookingResponse {
    fn from(outcome: BookingOutcome) -> Self {
        match outcome {
            BookingOutcome::Confirmed(booking) => {
                Self { message: "Ticket booked successfully", booking: booking.into() }
            }
            BookingOutcome::Waitlisted { booking, position, seats_ahead } => Self {
                message: "Event is sold out. User added to wait list",
                booking: BookingBody {
                    waitlist_position: Some(position.get()),
                    seats_ahead: Some(seats_ahead),
                    ..booking.into()
                },
            },
        }
    }
}

impl From<Cancellation> for BookingResponse {
    fn from(cancellation: Cancellation) -> Self {
        Self { message: "Booking cancelled successfully", booking: cancellation.cancelled.into() }
    }
}

/// `POST /bookings/{id}/accept`'s answer: the booking, now `CONFIRMED`.
impl From<Booking> for BookingResponse {
    fn from(accepted: Booking) -> Self {
        Self { message: "Offer accepted", booking: accepted.into() }
    }
}

/// `POST /bookings/{id}/decline`'s answer: the booking, now `DECLINED`, and whoever its seats
/// served.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeclineResponse {
    #[schema(example = "Offer declined")]
    pub message: &'static str,
    pub booking: BookingBody,
    /// The bookings the seats served, first in line first: offered (or confirmed, if the event
    /// no longer offers).
    pub promoted: Vec<BookingBody>,
}

impl From<Declination> for DeclineResponse {
    fn from(declination: Declination) -> Self {
        Self {
            message: "Offer declined",
            booking: declination.declined.into(),
            promoted: declination.promoted.into_iter().map(BookingBody::from).collect(),
        }
    }
}

impl From<BookingView> for BookingBody {
    fn from(view: BookingView) -> Self {
        Self {
            waitlist_position: view.position.map(|p| p.get()),
            seats_ahead: view.seats_ahead,
            ..view.booking.into()
        }
    }
}

/// `PATCH /bookings/{id}`'s answer: the booking as it now is (after a raise, the new booking
/// that replaced it), the one it replaced, and whoever the line served.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeQuantityResponse {
    #[schema(example = "Booking updated successfully")]
    pub message: &'static str,
    /// `PENDING` with its place in line, or `CONFIRMED` when the line served it at once.
    pub booking: BookingBody,
    /// Only after a raise: the booking it replaced, now `CANCELLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<BookingBody>,
    /// The bookings the line served with the change, first in line first (this one among them
    /// when it now fits).
    pub promoted: Vec<BookingBody>,
}

impl From<QuantityChange> for ChangeQuantityResponse {
    fn from(change: QuantityChange) -> Self {
        Self {
            message: "Booking updated successfully",
            booking: change.booking.into(),
            replaced: change.replaced.map(BookingBody::from),
            promoted: change.promoted.into_iter().map(BookingBody::from).collect(),
        }
    }
}

/// `GET /bookings/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingDetailResponse {
    pub booking: BookingBody,
}

/// `GET /me/bookings`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BookingListResponse {
    pub bookings: Vec<BookingBody>,
    /// Give it as `after` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A booking of the organizer's event, with who holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttendeeBody {
    #[serde(flatten)]
    pub booking: BookingBody,
    pub user: UserBody,
}

impl From<Attendee> for AttendeeBody {
    fn from(attendee: Attendee) -> Self {
        Self { booking: attendee.booking.into(), user: attendee.user.into() }
    }
}

/// `GET /events/{id}/bookings`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttendeeListResponse {
    pub bookings: Vec<AttendeeBody>,
    /// Give it as `after` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}
