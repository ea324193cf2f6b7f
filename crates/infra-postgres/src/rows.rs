//! Rows as Diesel reads them, and their conversion to domain values. Conversions re-parse
//! through the domain constructors, so a row that breaks a domain rule is an error, not a value.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use domain::{
    Booking, BookingId, EmailAddress, Event, EventDate, EventId, NonEmptyText, Price, RepoError, TicketLimit,
    User, UserId,
};

use crate::error::corrupt_row;
use crate::schema::{bookings, events, users};

#[derive(Debug, Queryable, Selectable, QueryableByName)]
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
}

/// An event with the length of its waiting list, read by one statement.
#[derive(Debug, QueryableByName)]
pub(crate) struct AvailabilityRow {
    #[diesel(embed)]
    pub event: EventRow,
    #[diesel(sql_type = BigInt)]
    pub waiting: i64,
}

#[derive(Debug, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = bookings, check_for_backend(diesel::pg::Pg))]
pub(crate) struct BookingRow {
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub status: String,
    pub created_at: DateTime<Utc>,
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

#[derive(Debug, Queryable, Selectable)]
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
            date: EventDate::from_naive(row.date),
            location: NonEmptyText::parse(&row.location).map_err(corrupt_row)?,
            ticket_limit: TicketLimit::new(i64::from(row.ticket_limit)).map_err(corrupt_row)?,
            price: Price::from_cents(row.price_cents).map_err(corrupt_row)?,
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
            email: EmailAddress::parse(&row.email).map_err(corrupt_row)?,
            first_name: NonEmptyText::parse(&row.first_name).map_err(corrupt_row)?,
            last_name: NonEmptyText::parse(&row.last_name).map_err(corrupt_row)?,
        })
    }
}
