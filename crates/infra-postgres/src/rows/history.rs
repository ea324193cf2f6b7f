//! History rows, and what the integrity check reads besides, as domain values.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use domain::history::integrity::StoredBooking;
use domain::history::{Action, Actor, Counted, HistoryEntry, RequestId};
use domain::{BookingId, BookingStatus, EventId, HistoryId, RepoError, UserId};

use crate::error::{Inconsistent, corrupt_row};

/// An entry of `history` or `history_archive`.
#[derive(Debug, QueryableByName)]
pub(crate) struct HistoryRow {
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub event_version: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub actor_kind: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub actor_id: Option<i64>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub from_status: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub to_status: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub quantity: Option<i32>,
    #[diesel(sql_type = Integer)]
    pub seats_delta: i32,
    #[diesel(sql_type = Integer)]
    pub waiting_delta: i32,
    #[diesel(sql_type = Integer)]
    pub waiting_seats_delta: i32,
    #[diesel(sql_type = Integer)]
    pub ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    pub overtake_limit: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub offer_expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Text>)]
    pub request_id: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

fn status(word: Option<String>) -> Result<Option<BookingStatus>, RepoError> {
    word.map(|w| w.parse::<BookingStatus>().map_err(corrupt_row)).transpose()
}

impl TryFrom<HistoryRow> for HistoryEntry {
    type Error = RepoError;

    fn try_from(row: HistoryRow) -> Result<Self, RepoError> {
        let actor_id = row.actor_id.map(UserId::new).transpose().map_err(corrupt_row)?;
        let actor = Actor::parse(&row.actor_kind, actor_id)
            .ok_or_else(|| corrupt_row(Inconsistent("a history entry whose actor is not one")))?;
        Ok(Self {
            id: HistoryId::new(row.id).map_err(corrupt_row)?,
            event: EventId::new(row.event_id).map_err(corrupt_row)?,
            event_version: row.event_version,
            booking: row.booking_id.map(BookingId::new).transpose().map_err(corrupt_row)?,
            actor,
            action: row.action.parse::<Action>().map_err(corrupt_row)?,
            from: status(row.from_status)?,
            to: status(row.to_status)?,
            quantity: row.quantity.map(u32::try_from).transpose().map_err(corrupt_row)?,
            deltas: Counted {
                seats: i64::from(row.seats_delta),
                waiting: i64::from(row.waiting_delta),
                waiting_seats: i64::from(row.waiting_seats_delta),
            },
            ticket_limit: u32::try_from(row.ticket_limit).map_err(corrupt_row)?,
            overtake_limit: u32::try_from(row.overtake_limit).map_err(corrupt_row)?,
            offer_expires_at: row.offer_expires_at,
            request: row.request_id.as_deref().map(RequestId::parse).transpose().map_err(corrupt_row)?,
            at: row.at,
        })
    }
}

/// An event's counters and limit, as the check reads them.
#[derive(Debug, QueryableByName)]
pub(crate) struct TrailEventRow {
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
    #[diesel(sql_type = Integer)]
    pub ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    pub seats_taken: i32,
    #[diesel(sql_type = Integer)]
    pub waiting: i32,
    #[diesel(sql_type = Integer)]
    pub seats_waiting: i32,
    #[diesel(sql_type = Text)]
    pub status: String,
}

/// A booking as stored, as the check reads it.
#[derive(Debug, QueryableByName)]
pub(crate) struct StoredBookingRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub quantity: i32,
}

impl TryFrom<StoredBookingRow> for StoredBooking {
    type Error = RepoError;

    fn try_from(row: StoredBookingRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: BookingId::new(row.id).map_err(corrupt_row)?,
            status: row.status.parse().map_err(corrupt_row)?,
            quantity: u32::try_from(row.quantity).map_err(corrupt_row)?,
        })
    }
}
