//! Webhooks and their delivery queue.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::webhook::{NewWebhook, WebhookSecret};
use domain::{EventId, UserId, WebhookId};

use crate::queries::Prepared;
use crate::rows::{AttemptRow, ClaimedRow, WebhookRow};
use crate::sql::{
    CLAIM_DELIVERIES, DELETE_WEBHOOK, DELIVERY_BACKLOG, DISABLE_WEBHOOK, EVENT_ORGANIZER, INSERT_WEBHOOK,
    ORGANIZER_WEBHOOKS, OWNED_WEBHOOK, SETTLE_DELIVERY, WEBHOOK_ATTEMPTS,
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

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

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

/// How a claim ends, as [`SETTLE_DELIVERY`] takes it.
pub(crate) struct Settle<'a> {
    pub webhook: WebhookId,
    pub notification: i64,
    pub attempt: i32,
    pub delivered: bool,
    pub retry_in: Option<Duration>,
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
}

/// Whether the claim was still current (a later claim makes this one's result moot).
pub(crate) async fn settle(conn: &mut AsyncPgConnection, settle: &Settle<'_>) -> QueryResult<bool> {
    let logged = Prepared(
        diesel::sql_query(SETTLE_DELIVERY)
            .bind::<BigInt, _>(settle.webhook.get())
            .bind::<BigInt, _>(settle.notification)
            .bind::<Integer, _>(settle.attempt)
            .bind::<Bool, _>(settle.delivered)
            .bind::<Nullable<BigInt>, _>(settle.retry_in.map(millis))
            .bind::<Nullable<Integer>, _>(settle.status_code)
            .bind::<Nullable<Text>, _>(settle.error),
    )
    .execute(conn)
    .await?;
    Ok(logged > 0)
}

pub(crate) async fn disable(conn: &mut AsyncPgConnection, webhook: WebhookId) -> QueryResult<()> {
    Prepared(diesel::sql_query(DISABLE_WEBHOOK).bind::<BigInt, _>(webhook.get()))
        .execute(conn)
        .await
        .map(drop)
}

pub(crate) async fn backlog(conn: &mut AsyncPgConnection) -> QueryResult<BacklogRow> {
    Prepared(diesel::sql_query(DELIVERY_BACKLOG)).get_result(conn).await
}
