//! Rows of the outbox and of webhooks, and their conversion to domain values.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Date, Integer, Nullable, Text, Timestamptz};
use domain::notice::{NoticeKind, Notification, NotificationData, Settlement, Watermark};
use domain::webhook::{Delivery, DeliveryAttempt, Webhook, WebhookSecret, WebhookUrl};
use domain::{
    Availability, Booking, BookingId, BookingView, EventId, NotificationId, Quantity, RepoError, UserId,
    WaitlistPosition, WebhookId,
};

use super::{AvailabilityRow, EventRow};
use crate::error::{Inconsistent, corrupt_row};

/// A notification as the outbox's reads return it (`queries::fragments::notification_columns!`): the
/// booking columns are set for a booking's notice, the snapshot columns for an event's.
#[derive(Debug, QueryableByName)]
pub(crate) struct NotificationRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    pub event_id: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub position: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub booking_id: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub quantity: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub seats_ahead: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub holder_id: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub booking_created_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub booking_offer_expires_at: Option<DateTime<Utc>>,
    #[diesel(embed)]
    pub snapshot: SnapshotRow,
}

/// An event as an event's notice stored it.
#[derive(Debug, QueryableByName)]
pub(crate) struct SnapshotRow {
    #[diesel(sql_type = Nullable<BigInt>)]
    pub organizer_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub location: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub ticket_limit: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub price_cents: Option<i64>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub seats_taken: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub status: Option<String>,
    #[diesel(sql_type = Integer)]
    pub max_per_booking: i32,
    #[diesel(sql_type = Integer)]
    pub overtake_limit: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub offer_window_seconds: Option<i32>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub waiting: Option<i64>,
    #[diesel(sql_type = BigInt)]
    pub seats_on_offer: i64,
}

impl SnapshotRow {
    fn into_availability(self, event_id: i64) -> Result<Availability, RepoError> {
        let missing = || corrupt_row(Inconsistent("an event's notice without its snapshot"));
        AvailabilityRow {
            event: EventRow {
                id: event_id,
                organizer_id: self.organizer_id.ok_or_else(missing)?,
                name: self.name.ok_or_else(missing)?,
                description: self.description.ok_or_else(missing)?,
                date: self.date.ok_or_else(missing)?,
                location: self.location.ok_or_else(missing)?,
                ticket_limit: self.ticket_limit.ok_or_else(missing)?,
                price_cents: self.price_cents.ok_or_else(missing)?,
                seats_taken: self.seats_taken.ok_or_else(missing)?,
                status: self.status.ok_or_else(missing)?,
                max_per_booking: self.max_per_booking,
                overtake_limit: self.overtake_limit,
                offer_window_seconds: self.offer_window_seconds,
            },
            waiting: self.waiting.ok_or_else(missing)?,
            seats_on_offer: self.seats_on_offer,
        }
        .try_into()
    }
}

impl TryFrom<NotificationRow> for Notification {
    type Error = RepoError;

    fn try_from(row: NotificationRow) -> Result<Self, RepoError> {
        let kind: NoticeKind = row.kind.parse().map_err(corrupt_row)?;
        let data = match (kind.booking_status(), row.booking_id, row.holder_id, row.booking_created_at) {
            (Some(status), Some(id), Some(holder), Some(created_at)) => {
                let quantity = row.quantity.map(i64::from).unwrap_or(1);
                let seats_ahead = match row.position {
                    Some(_) => row.seats_ahead.map(u64::try_from).transpose().map_err(corrupt_row)?,
                    None => None,
                };
                let position = row
                    .position
                    .map(|p| {
                        u64::try_from(p)
                            .ok()
                            .and_then(WaitlistPosition::new)
                            .ok_or_else(|| corrupt_row(Inconsistent("a place in line below 1")))
                    })
                    .transpose()?;
                NotificationData::Booking(BookingView {
                    booking: Booking {
                        id: BookingId::new(id).map_err(corrupt_row)?,
                        event: EventId::new(row.event_id).map_err(corrupt_row)?,
                        user: UserId::new(holder).map_err(corrupt_row)?,
                        status,
                        quantity: Quantity::new(quantity).map_err(corrupt_row)?,
                        created_at,
                        offer_expires_at: row.booking_offer_expires_at,
                    },
                    position,
                    seats_ahead,
                })
            }
            (None, None, ..) => NotificationData::Event(row.snapshot.into_availability(row.event_id)?),
            _ => return Err(corrupt_row(Inconsistent("a notification whose kind and subject disagree"))),
        };
        Ok(Self {
            id: NotificationId::new(row.id).map_err(corrupt_row)?,
            kind,
            created_at: row.created_at,
            data,
        })
    }
}

#[derive(Debug, QueryableByName)]
pub(crate) struct NewestRow {
    #[diesel(sql_type = BigInt)]
    pub newest: i64,
    #[diesel(sql_type = BigInt)]
    pub next_writer: i64,
}

impl TryFrom<NewestRow> for Watermark {
    type Error = RepoError;

    fn try_from(row: NewestRow) -> Result<Self, RepoError> {
        Ok(Self::starting_after(row.newest, u64::try_from(row.next_writer).map_err(corrupt_row)?))
    }
}

#[derive(Debug, QueryableByName)]
pub(crate) struct SettlementRow {
    #[diesel(sql_type = Array<BigInt>)]
    pub ids: Vec<i64>,
    #[diesel(sql_type = BigInt)]
    pub oldest_running: i64,
    #[diesel(sql_type = BigInt)]
    pub next_writer: i64,
}

impl TryFrom<SettlementRow> for Settlement {
    type Error = RepoError;

    fn try_from(row: SettlementRow) -> Result<Self, RepoError> {
        Ok(Self {
            ids: row.ids,
            oldest_running: u64::try_from(row.oldest_running).map_err(corrupt_row)?,
            next_writer: u64::try_from(row.next_writer).map_err(corrupt_row)?,
        })
    }
}

#[derive(Debug, QueryableByName, serde::Serialize, serde::Deserialize)]
pub(crate) struct WebhookRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub organizer_id: i64,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Nullable<Array<Text>>)]
    pub kinds: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub event_id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub disabled_at: Option<DateTime<Utc>>,
    /// Absent from the effects kept before breakers existed: a new webhook's, 0.
    #[diesel(sql_type = Integer)]
    #[serde(default)]
    pub consecutive_failures: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    #[serde(default)]
    pub paused_until: Option<DateTime<Utc>>,
}

impl TryFrom<WebhookRow> for Webhook {
    type Error = RepoError;

    fn try_from(row: WebhookRow) -> Result<Self, RepoError> {
        Ok(Self {
            id: WebhookId::new(row.id).map_err(corrupt_row)?,
            organizer: UserId::new(row.organizer_id).map_err(corrupt_row)?,
            url: WebhookUrl::parse(&row.url).map_err(corrupt_row)?,
            kinds: row
                .kinds
                .map(|kinds| kinds.iter().map(|k| k.parse()).collect::<Result<_, _>>())
                .transpose()
                .map_err(corrupt_row)?,
            event: row.event_id.map(EventId::new).transpose().map_err(corrupt_row)?,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            failures: u32::try_from(row.consecutive_failures).map_err(corrupt_row)?,
            paused_until: row.paused_until,
        })
    }
}

#[derive(Debug, QueryableByName)]
pub(crate) struct AttemptRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub notification_id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub attempted_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Integer>)]
    pub status_code: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    pub error: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl TryFrom<AttemptRow> for DeliveryAttempt {
    type Error = RepoError;

    fn try_from(row: AttemptRow) -> Result<Self, RepoError> {
        Ok(Self {
            seq: row.id,
            notification: NotificationId::new(row.notification_id).map_err(corrupt_row)?,
            attempted_at: row.attempted_at,
            status_code: row.status_code.map(u16::try_from).transpose().map_err(corrupt_row)?,
            error: row.error.as_deref().map(str::parse).transpose().map_err(corrupt_row)?,
            next_attempt_at: row.next_attempt_at,
        })
    }
}

/// A delivery just claimed, with what it sends.
#[derive(Debug, QueryableByName)]
pub(crate) struct ClaimedRow {
    #[diesel(sql_type = BigInt)]
    pub webhook_id: i64,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Binary)]
    pub secret: Vec<u8>,
    #[diesel(embed)]
    pub notification: NotificationRow,
}

impl TryFrom<ClaimedRow> for Delivery {
    type Error = RepoError;

    fn try_from(row: ClaimedRow) -> Result<Self, RepoError> {
        Ok(Self {
            webhook: WebhookId::new(row.webhook_id).map_err(corrupt_row)?,
            url: WebhookUrl::parse(&row.url).map_err(corrupt_row)?,
            secret: WebhookSecret::new(row.secret).map_err(corrupt_row)?,
            notification: row.notification.try_into()?,
            attempt: u32::try_from(row.attempts).map_err(corrupt_row)?,
        })
    }
}
