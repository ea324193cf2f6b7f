//! Rows as Diesel reads them, and their conversion to domain values. Conversions re-parse
//! through the domain constructors, so a row that breaks a domain rule is an error, not a value.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use domain::event::rules::Managed;
use domain::{
    Attendee, Availability, Booking, BookingId, BookingView, EmailAddress, Event, EventDate, EventId,
    NonEmptyText, Price, RepoError, TicketLimit, User, UserId, WaitlistPosition,
};

use serde::{Deserialize, Serialize};

use crate::error::{Inconsistent, corrupt_row};
use crate::schema::{bookings, events, users};

mod effect;
mod outbox;

pub(crate) use effect::{decode_effect, encode_effect};
pub(crate) use outbox::{AttemptRow, ClaimedRow, NewestRow, NotificationRow, SettlementRow, WebhookRow};

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
}

/// An event with the length of its waiting list, read by one statement.
#[derive(Debug, QueryableByName, Serialize, Deserialize)]
pub(crate) struct AvailabilityRow {
    #[diesel(embed)]
    pub event: EventRow,
    #[diesel(sql_type = BigInt)]
    pub waiting: i64,
}

#[derive(Debug, Queryable, Selectable, QueryableByName, Serialize, Deserialize)]
#[diesel(table_name = bookings, check_for_backend(diesel::pg::Pg))]
pub(crate) struct BookingRow {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// A booking as read back, with its place in line when pending.
#[derive(Debug, QueryableByName)]
pub(crate) struct BookingViewRow {
    #[diesel(embed)]
    pub booking: BookingRow,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub position: Option<i64>,
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

/// An event locked for a change or cancellation: what the rules decide on.
#[derive(Debug, QueryableByName)]
pub(crate) struct ManagedEventRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub seats_taken: i32,
}

/// A booking just written by the booking transaction, with the number of pending bookings
/// ahead of it (0 when it is confirmed).
#[derive(Debug, QueryableByName)]
pub(crate) struct PlacedBookingRow {
    #[diesel(embed)]
    pub booking: BookingRow,
    #[diesel(sql_type = BigInt)]
    pub ahead: i64,
}

/// A booking locked for cancellation, with its event's organizer (who may cancel it too).
#[derive(Debug, QueryableByName)]
pub(crate) struct LockedBookingRow {
    #[diesel(embed)]
    pub booking: BookingRow,
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
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
        })
    }
}

impl TryFrom<BookingRow> for Booking {
    type Error = RepoError;

    fn try_from(row: BookingRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: BookingId::new(row.id).map_err(corrupt_row)?,
            event: EventId::new(row.event_id).map_err(corrupt_row)?,
            user: UserId::new(row.user_id).map_err(corrupt_row)?,
            status: row.status.parse().map_err(corrupt_row)?,
            created_at: row.created_at,
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
        Ok(Self { booking: Booking::try_from(row.booking)?, position })
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

impl TryFrom<ManagedEventRow> for Managed {
    type Error = RepoError;

    fn try_from(row: ManagedEventRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: EventId::new(row.id).map_err(corrupt_row)?,
            organizer: UserId::new(row.organizer_id).map_err(corrupt_row)?,
            status: row.status.parse().map_err(corrupt_row)?,
            seats_taken: u32::try_from(row.seats_taken).map_err(corrupt_row)?,
        })
    }
}

impl TryFrom<AvailabilityRow> for Availability {
    type Error = RepoError;

    fn try_from(row: AvailabilityRow) -> Result<Self, RepoError> {
        let seats_taken = u32::try_from(row.event.seats_taken).map_err(corrupt_row)?;
        let waiting = u64::try_from(row.waiting).map_err(corrupt_row)?;
        Self::new(Event::try_from(row.event)?, seats_taken, waiting).map_err(corrupt_row)
    }
}
