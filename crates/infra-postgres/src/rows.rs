//! Rows as Diesel reads them, and their conversion to domain values. Conversions re-parse
//! through the domain constructors, so a row that breaks a domain rule is an error, not a value.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Nullable, Text};
use domain::event::rules::Managed;
use domain::line::Waiting;
use domain::{
    Attendee, Availability, Booking, BookingId, BookingView, EmailAddress, Event, EventDate, EventId,
    MaxPerBooking, NonEmptyText, OfferWindow, OvertakeLimit, Price, Promotion, Quantity, RepoError, Seating,
    TicketLimit, User, UserId, WaitlistPosition,
};

use serde::{Deserialize, Serialize};

use crate::error::{Inconsistent, corrupt_row};
use crate::schema::{bookings, events, users};

mod effect;
mod history;
mod outbox;
mod rooms;

pub(crate) use effect::{decode_effect, encode_effect};
pub(crate) use history::{HistoryRow, StoredBookingRow, TrailEventRow};
pub(crate) use outbox::{AttemptRow, ClaimedRow, NewestRow, NotificationRow, SettlementRow, WebhookRow};
pub(crate) use rooms::{PlacedRow, RoomPlaceRow, RoomRow};

#[derive(Debug, Queryable, Selectable, QueryableByName, Serialize, Deserialize)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
pub(crate) struct EventRow {
    pub id: i64,
    pub organizer_id: i64,
    pub name: String,
    pub description: String,
    pub date: NaiveDate,
    pub location: String,
    pub ticket_limit: i32,
    pub price_cents: i64,
    pub seats_taken: i32,
    pub status: String,
    pub max_per_booking: i32,
    pub overtake_limit: i32,
    /// Absent from effects and snapshots written before offers: every event then confirmed
    /// at once.
    #[serde(default)]
    pub offer_window_seconds: Option<i32>,
}

/// An event with the seats its line waits for and those on offer, read by one statement.
#[derive(Debug, QueryableByName, Serialize, Deserialize)]
pub(crate) struct AvailabilityRow {
    #[diesel(embed)]
    pub event: EventRow,
    #[diesel(sql_type = BigInt)]
    pub waiting: i64,
    /// Absent from effects and snapshots written before offers, when there were none.
    #[diesel(sql_type = BigInt)]
    #[serde(default)]
    pub seats_on_offer: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, QueryableByName, Serialize, Deserialize)]
#[diesel(table_name = bookings, check_for_backend(diesel::pg::Pg))]
pub(crate) struct BookingRow {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub status: String,
    pub quantity: i32,
    pub created_at: DateTime<Utc>,
    /// Absent from effects written before offers, when no booking had one.
    #[serde(default)]
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// A booking as read back, with its place in line and the seats ahead of it when pending.
#[derive(Debug, QueryableByName)]
pub(crate) struct BookingViewRow {
    #[diesel(embed)]
    pub booking: BookingRow,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub position: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub seats_ahead: Option<i64>,
}

/// A booking as read back, with its event's organizer.
#[derive(Debug, QueryableByName)]
pub(crate) struct FoundBookingRow {
    #[diesel(embed)]
    pub view: BookingViewRow,
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
}

/// A booking of an event with its holder's account.
#[derive(Debug, QueryableByName)]
pub(crate) struct AttendeeRow {
    #[diesel(embed)]
    pub view: BookingViewRow,
    #[diesel(sql_type = Text)]
    pub holder_email: String,
    #[diesel(sql_type = Text)]
    pub holder_first_name: String,
    #[diesel(sql_type = Text)]
    pub holder_last_name: String,
}

/// An event locked by a write to its seats or line: what the rules decide on.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct LockedEventRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    pub seats_taken: i32,
    #[diesel(sql_type = Integer)]
    pub waiting: i32,
    #[diesel(sql_type = Integer)]
    pub seats_waiting: i32,
    #[diesel(sql_type = Integer)]
    pub max_per_booking: i32,
    #[diesel(sql_type = Integer)]
    pub overtake_limit: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub offer_window_seconds: Option<i32>,
    /// Whether the event's day has begun, by the database clock: no offer is made after.
    #[diesel(sql_type = Bool)]
    pub started: bool,
    /// Whether the event had an open offer when the lock was asked for: the transaction then
    /// expires, after the lock and by its own clock, those that have lapsed (an offer made by a
    /// transaction this one waited for is not seen here, but is not due either).
    #[diesel(sql_type = Bool)]
    pub has_offers: bool,
}

/// A booking just written, with the pending bookings ahead of it and their seats (0 when it is
/// confirmed).
#[derive(Debug, QueryableByName)]
pub(crate) struct PlacedBookingRow {
    #[diesel(embed)]
    pub booking: BookingRow,
    #[diesel(sql_type = BigInt)]
    pub ahead: i64,
    #[diesel(sql_type = BigInt)]
    pub seats_ahead: i64,
}

/// A waiting booking as serving the line reads it.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct LineEntryRow {
    #[diesel(embed)]
    pub booking: BookingRow,
    #[diesel(sql_type = Integer)]
    pub overtaken: i32,
}

#[derive(Debug, Queryable, Selectable, QueryableByName, Serialize, Deserialize)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub(crate) struct UserRow {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

impl TryFrom<EventRow> for Event {
    type Error = RepoError;

    fn try_from(row: EventRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: EventId::new(row.id).map_err(corrupt_row)?,
            organizer: UserId::new(row.organizer_id).map_err(corrupt_row)?,
            name: NonEmptyText::parse(&row.name).map_err(corrupt_row)?,
            description: NonEmptyText::parse(&row.description).map_err(corrupt_row)?,
            date: EventDate::from_naive(row.date)
                .ok_or_else(|| corrupt_row(Inconsistent("a date outside years 1 to 9999")))?,
            location: NonEmptyText::parse(&row.location).map_err(corrupt_row)?,
            ticket_limit: TicketLimit::new(i64::from(row.ticket_limit)).map_err(corrupt_row)?,
            price: Price::from_cents(row.price_cents).map_err(corrupt_row)?,
            status: row.status.parse().map_err(corrupt_row)?,
            seating: Seating {
                max_per_booking: MaxPerBooking::new(i64::from(row.max_per_booking)).map_err(corrupt_row)?,
                overtake_limit: OvertakeLimit::new(i64::from(row.overtake_limit)).map_err(corrupt_row)?,
                promotion: promotion(row.offer_window_seconds)?,
            },
        })
    }
}

/// An event's promotion as stored: the window of an event that offers seats, null for one
/// that confirms at once.
pub(crate) fn promotion(window: Option<i32>) -> Result<Promotion, RepoError> {
    window.map_or(Ok(Promotion::Instant), |seconds| {
        Ok(Promotion::Offer(OfferWindow::new(i64::from(seconds)).map_err(corrupt_row)?))
    })
}

/// The column an event's promotion is stored in ([`promotion`]).
pub(crate) fn offer_window_column(promotion: Promotion) -> Option<i32> {
    promotion.window().map(|w| i32::try_from(w.seconds()).unwrap_or(i32::MAX))
}

impl TryFrom<BookingRow> for Booking {
    type Error = RepoError;

    fn try_from(row: BookingRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: BookingId::new(row.id).map_err(corrupt_row)?,
            event: EventId::new(row.event_id).map_err(corrupt_row)?,
            user: UserId::new(row.user_id).map_err(corrupt_row)?,
            status: row.status.parse().map_err(corrupt_row)?,
            quantity: Quantity::new(i64::from(row.quantity)).map_err(corrupt_row)?,
            created_at: row.created_at,
            offer_expires_at: row.offer_expires_at,
        })
    }
}

impl TryFrom<UserRow> for User {
    type Error = RepoError;

    fn try_from(row: UserRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: UserId::new(row.id).map_err(corrupt_row)?,
            email: EmailAddress::from_stored(&row.email).map_err(corrupt_row)?,
            first_name: NonEmptyText::parse(&row.first_name).map_err(corrupt_row)?,
            last_name: NonEmptyText::parse(&row.last_name).map_err(corrupt_row)?,
        })
    }
}

impl TryFrom<BookingViewRow> for BookingView {
    type Error = RepoError;

    fn try_from(row: BookingViewRow) -> Result<Self, RepoError> {
        let position = match row.position {
            None => None,
            Some(p) => Some(
                u64::try_from(p)
                    .ok()
                    .and_then(WaitlistPosition::new)
                    .ok_or_else(|| corrupt_row(Inconsistent("a place in line below 1")))?,
            ),
        };
        let seats_ahead = row.seats_ahead.map(u64::try_from).transpose().map_err(corrupt_row)?;
        Ok(Self { booking: Booking::try_from(row.booking)?, position, seats_ahead })
    }
}

impl TryFrom<AttendeeRow> for Attendee {
    type Error = RepoError;

    fn try_from(row: AttendeeRow) -> Result<Self, RepoError> {
        let booking = BookingView::try_from(row.view)?;
        let user = User {
            id: booking.booking.user,
            email: EmailAddress::parse(&row.holder_email).map_err(corrupt_row)?,
            first_name: NonEmptyText::parse(&row.holder_first_name).map_err(corrupt_row)?,
            last_name: NonEmptyText::parse(&row.holder_last_name).map_err(corrupt_row)?,
        };
        Ok(Self { booking, user })
    }
}

impl TryFrom<&LockedEventRow> for Managed {
    type Error = RepoError;

    fn try_from(row: &LockedEventRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: EventId::new(row.id).map_err(corrupt_row)?,
            organizer: UserId::new(row.organizer_id).map_err(corrupt_row)?,
            status: row.status.parse().map_err(corrupt_row)?,
            seats_taken: u32::try_from(row.seats_taken).map_err(corrupt_row)?,
            ticket_limit: u32::try_from(row.ticket_limit).map_err(corrupt_row)?,
        })
    }
}

impl LockedEventRow {
    /// Seats not confirmed to anyone.
    pub(crate) fn free(&self) -> Result<u32, RepoError> {
        u32::try_from(self.ticket_limit - self.seats_taken).map_err(corrupt_row)
    }

    /// How the event seats groups and serves its line.
    pub(crate) fn seating(&self) -> Result<Seating, RepoError> {
        Ok(Seating {
            max_per_booking: MaxPerBooking::new(i64::from(self.max_per_booking)).map_err(corrupt_row)?,
            overtake_limit: OvertakeLimit::new(i64::from(self.overtake_limit)).map_err(corrupt_row)?,
            promotion: promotion(self.offer_window_seconds)?,
        })
    }

    /// How the line is served now: as the event says, except that once its day has begun an
    /// event that offers seats confirms them instead (an offer then could lapse after the doors
    /// opened; confirming serves the line as an instant event would, and strands nobody).
    pub(crate) fn serving_now(&self) -> Result<Promotion, RepoError> {
        if self.started { Ok(Promotion::Instant) } else { promotion(self.offer_window_seconds) }
    }
}

impl TryFrom<LineEntryRow> for Waiting {
    type Error = RepoError;

    fn try_from(row: LineEntryRow) -> Result<Self, RepoError> {
        Ok(Self {
            booking: BookingId::new(row.booking.id).map_err(corrupt_row)?,
            quantity: u32::try_from(row.booking.quantity).map_err(corrupt_row)?,
            overtaken: u32::try_from(row.overtaken).map_err(corrupt_row)?,
        })
    }
}

impl TryFrom<AvailabilityRow> for Availability {
    type Error = RepoError;

    fn try_from(row: AvailabilityRow) -> Result<Self, RepoError> {
        let seats_taken = u32::try_from(row.event.seats_taken).map_err(corrupt_row)?;
        let waiting = u64::try_from(row.waiting).map_err(corrupt_row)?;
        let on_offer = u32::try_from(row.seats_on_offer).map_err(corrupt_row)?;
        Ok(Self::new(Event::try_from(row.event)?, seats_taken, waiting)
            .map_err(corrupt_row)?
            .with_seats_on_offer(on_offer))
    }
}
