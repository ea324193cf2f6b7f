//! Webhooks and their delivery queue.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::num::TryFromIntError;

use domain::webhook::{Attempted, DeliveryOutcome, NewWebhook, WebhookSecret};
use domain::{EventId, UserId, WebhookId};

use crate::queries::{Prepared, millis};
use crate::rows::{AttemptRow, ClaimedRow, WebhookRow};
use crate::sql::{
    CLAIM_DELIVERIES, DELETE_WEBHOOK, DELIVERY_BACKLOG, DISABLE_WEBHOOKS, EVENT_ORGANIZER, INSERT_WEBHOOK,
    LOCK_RELAY, ORGANIZER_WEBHOOKS, OWNED_WEBHOOK, QUEUE_DELIVERIES, SAVE_RELAY, SETTLE_DELIVERIES,
    WEBHOOK_ATTEMPTS,
};

#[derive(QueryableByName)]
struct OrganizerRow {
    #[diesel(sql_type = BigInt)]
    organizer_id: i64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = BigInt)]
    #[expect(dead_code, reason = "read only to learn whether a row came back")]
    id: i64,
}

#[derive(QueryableByName)]
pub(crate) struct BacklogRow {
    #[diesel(sql_type = BigInt)]
    pub undelivered: i64,
    #[diesel(sql_type = BigInt)]
    pub oldest_age_seconds: i64,
}

/// Longest error text kept in the deliveries log (the column's CHECK allows 500).
const MAX_ERROR_CHARS: usize = 300;

pub(crate) async fn event_organizer(
    conn: &mut AsyncPgConnection,
    event: EventId,
) -> QueryResult<Option<i64>> {
    let row: Option<OrganizerRow> =
        Prepared(diesel::sql_query(EVENT_ORGANIZER).bind::<BigInt, _>(event.get()))
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.map(|r| r.organizer_id))
}

pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    webhook: &NewWebhook,
    secret: &WebhookSecret,
) -> QueryResult<WebhookRow> {
    let kinds: Option<Vec<&str>> =
        webhook.kinds.as_ref().map(|kinds| kinds.iter().map(|k| k.as_str()).collect());
    Prepared(
        diesel::sql_query(INSERT_WEBHOOK)
            .bind::<BigInt, _>(webhook.organizer.get())
            .bind::<Text, _>(webhook.url.as_str())
            .bind::<Nullable<Array<Text>>, _>(kinds)
            .bind::<Nullable<BigInt>, _>(webhook.event.map(EventId::get))
            .bind::<Binary, _>(secret.as_bytes()),
    )
    .get_result(conn)
    .await
}

pub(crate) async fn of_organizer(
    conn: &mut AsyncPgConnection,
    organizer: UserId,
) -> QueryResult<Vec<WebhookRow>> {
    Prepared(diesel::sql_query(ORGANIZER_WEBHOOKS).bind::<BigInt, _>(organizer.get())).load(conn).await
}

pub(crate) async fn owned(
    conn: &mut AsyncPgConnection,
    organizer: UserId,
    webhook: WebhookId,
) -> QueryResult<bool> {
    let row: Option<IdRow> = Prepared(
        diesel::sql_query(OWNED_WEBHOOK).bind::<BigInt, _>(webhook.get()).bind::<BigInt, _>(organizer.get()),
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.is_some())
}

pub(crate) async fn delete(
    conn: &mut AsyncPgConnection,
    organizer: UserId,
    webhook: WebhookId,
) -> QueryResult<bool> {
    let deleted = Prepared(
        diesel::sql_query(DELETE_WEBHOOK).bind::<BigInt, _>(webhook.get()).bind::<BigInt, _>(organizer.get()),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}

pub(crate) async fn attempts(
    conn: &mut AsyncPgConnection,
    webhook: WebhookId,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AttemptRow>> {
    Prepared(
        diesel::sql_query(WEBHOOK_ATTEMPTS)
            .bind::<BigInt, _>(webhook.get())
            .bind::<Nullable<BigInt>, _>(before)
            .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await
}

pub(crate) async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<ClaimedRow>> {
    Prepared(diesel::sql_query(CLAIM_DELIVERIES).bind::<BigInt, _>(limit).bind::<BigInt, _>(millis(lease)))
        .load(conn)
        .await
}

/// How a batch of claims ends, as [`SETTLE_DELIVERIES`] takes it: one entry per claim.
#[derive(Default)]
pub(crate) struct Settlements {
    pub webhooks: Vec<i64>,
    pub notifications: Vec<i64>,
    pub attempts: Vec<i32>,
    pub delivered: Vec<bool>,
    pub retry_ms: Vec<Option<i64>>,
    pub status_codes: Vec<Option<i32>>,
    pub errors: Vec<Option<String>>,
}

impl Settlements {
    /// Adds one claim's end. The error text is cut to [`MAX_ERROR_CHARS`].
    pub(crate) fn push(&mut self, attempted: &Attempted) -> Result<(), TryFromIntError> {
        let delivery = &attempted.delivery;
        let (delivered, status_code, error) = match &attempted.outcome {
            DeliveryOutcome::Delivered { status } => (true, Some(*status), None),
            DeliveryOutcome::Gone => (false, Some(410), Some("410 Gone: webhook disabled")),
            DeliveryOutcome::Failed { status, error } => (false, *status, Some(error.as_str())),
        };
        let retry_in = match attempted.outcome {
            DeliveryOutcome::Failed { .. } => attempted.retry_in,
            DeliveryOutcome::Delivered { .. } | DeliveryOutcome::Gone => None,
        };
        self.attempts.push(i32::try_from(delivery.attempt)?);
        self.webhooks.push(delivery.webhook.get());
        self.notifications.push(delivery.notification.id.get());
        self.delivered.push(delivered);
        self.retry_ms.push(retry_in.map(millis));
        self.status_codes.push(status_code.map(i32::from));
        self.errors.push(error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect()));
        Ok(())
    }
}

pub(crate) async fn settle(conn: &mut AsyncPgConnection, batch: Settlements) -> QueryResult<()> {
    Prepared(
        diesel::sql_query(SETTLE_DELIVERIES)
            .bind::<Array<BigInt>, _>(batch.webhooks)
            .bind::<Array<BigInt>, _>(batch.notifications)
            .bind::<Array<Integer>, _>(batch.attempts)
            .bind::<Array<Bool>, _>(batch.delivered)
            .bind::<Array<Nullable<BigInt>>, _>(batch.retry_ms)
            .bind::<Array<Nullable<Integer>>, _>(batch.status_codes)
            .bind::<Array<Nullable<Text>>, _>(batch.errors),
    )
    .execute(conn)
    .await
    .map(drop)
}

pub(crate) async fn disable(conn: &mut AsyncPgConnection, webhooks: &[i64]) -> QueryResult<()> {
    Prepared(diesel::sql_query(DISABLE_WEBHOOKS).bind::<Array<BigInt>, _>(webhooks))
        .execute(conn)
        .await
        .map(drop)
}

#[derive(QueryableByName)]
pub(crate) struct RelayRow {
    #[diesel(sql_type = BigInt)]
    pub walked: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub gap_start: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub gap_seen: Option<i64>,
}

/// The relay's place, locked for this transaction; `None` while another holds it.
pub(crate) async fn lock_relay(conn: &mut AsyncPgConnection) -> QueryResult<Option<RelayRow>> {
    Prepared(diesel::sql_query(LOCK_RELAY)).get_result(conn).await.optional()
}

pub(crate) async fn queue(conn: &mut AsyncPgConnection, after: i64, through: i64) -> QueryResult<usize> {
    Prepared(diesel::sql_query(QUEUE_DELIVERIES).bind::<BigInt, _>(after).bind::<BigInt, _>(through))
        .execute(conn)
        .await
}

pub(crate) async fn save_relay(
    conn: &mut AsyncPgConnection,
    walked: i64,
    gap: Option<(i64, i64)>,
) -> QueryResult<()> {
    Prepared(
        diesel::sql_query(SAVE_RELAY)
            .bind::<BigInt, _>(walked)
            .bind::<Nullable<BigInt>, _>(gap.map(|(start, _)| start))
            .bind::<Nullable<BigInt>, _>(gap.map(|(_, seen)| seen)),
    )
    .execute(conn)
    .await
    .map(drop)
}

pub(crate) async fn backlog(conn: &mut AsyncPgConnection) -> QueryResult<BacklogRow> {
    Prepared(diesel::sql_query(DELIVERY_BACKLOG)).get_result(conn).await
}
