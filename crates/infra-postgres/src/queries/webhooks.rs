//! Webhooks and their delivery queue.

use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Binary, Bool, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::num::TryFromIntError;

use domain::webhook::{Attempted, ClaimBounds, DeliveryOutcome, NewWebhook, WebhookCap, WebhookSecret};
use domain::{EventId, UserId, WebhookId};

use crate::queries::fragments::{notification_columns, notification_sources};
use crate::queries::{Prepared, millis};
use crate::rows::{AttemptRow, ClaimedRow, WebhookRow};

/// A webhook's columns, as `WebhookRow` reads them.
macro_rules! webhook_columns {
    () => {
        "id, organizer_id, url, kinds, event_id, created_at, disabled_at, consecutive_failures, paused_until"
    };
}

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

const EVENT_ORGANIZER: &str = "SELECT organizer_id FROM events WHERE id = $1";

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

/// Locks the organizer's row, so that creations of their webhooks take turns whatever instance
/// runs them: the count [`INSERT_WEBHOOK`] makes next, in a statement of its own (and so a
/// snapshot taken after the lock), sees every webhook committed before.
const LOCK_ORGANIZER: &str = "SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE";

pub(crate) async fn lock_organizer(conn: &mut AsyncPgConnection, organizer: UserId) -> QueryResult<()> {
    Prepared(diesel::sql_query(LOCK_ORGANIZER).bind::<BigInt, _>(organizer.get()))
        .execute(conn)
        .await
        .map(drop)
}

/// Inserts the webhook unless its organizer already has `$6`; run after [`LOCK_ORGANIZER`] in
/// the same transaction. No row: the cap is reached.
const INSERT_WEBHOOK: &str = concat!(
    "INSERT INTO webhooks (organizer_id, url, kinds, event_id, secret)
SELECT $1, $2, $3, $4, $5
WHERE (SELECT count(*) FROM webhooks WHERE organizer_id = $1) < $6
RETURNING ",
    webhook_columns!()
);

pub(crate) async fn insert(
    conn: &mut AsyncPgConnection,
    webhook: &NewWebhook,
    secret: &WebhookSecret,
    cap: WebhookCap,
) -> QueryResult<Option<WebhookRow>> {
    let kinds: Option<Vec<&str>> =
        webhook.kinds.as_ref().map(|kinds| kinds.iter().map(|k| k.as_str()).collect());
    Prepared(
        diesel::sql_query(INSERT_WEBHOOK)
            .bind::<BigInt, _>(webhook.organizer.get())
            .bind::<Text, _>(webhook.url.as_str())
            .bind::<Nullable<Array<Text>>, _>(kinds)
            .bind::<Nullable<BigInt>, _>(webhook.event.map(EventId::get))
            .bind::<Binary, _>(secret.as_bytes())
            .bind::<BigInt, _>(i64::from(cap.get())),
    )
    .get_result(conn)
    .await
    .optional()
}

#[derive(QueryableByName)]
struct SecretRow {
    #[diesel(sql_type = Binary)]
    secret: Vec<u8>,
}

/// A webhook's signing secret, for the replay of its keyed creation (the key keeps none).
const WEBHOOK_SECRET: &str = "SELECT secret FROM webhooks WHERE id = $1 AND organizer_id = $2";

pub(crate) async fn secret(
    conn: &mut AsyncPgConnection,
    webhook: WebhookId,
    organizer: UserId,
) -> QueryResult<Option<Vec<u8>>> {
    let row: Option<SecretRow> = Prepared(
        diesel::sql_query(WEBHOOK_SECRET).bind::<BigInt, _>(webhook.get()).bind::<BigInt, _>(organizer.get()),
    )
    .get_result(conn)
    .await
    .optional()?;
    Ok(row.map(|r| r.secret))
}

const ORGANIZER_WEBHOOKS: &str =
    concat!("SELECT ", webhook_columns!(), " FROM webhooks WHERE organizer_id = $1 ORDER BY id");

pub(crate) async fn of_organizer(
    conn: &mut AsyncPgConnection,
    organizer: UserId,
) -> QueryResult<Vec<WebhookRow>> {
    Prepared(diesel::sql_query(ORGANIZER_WEBHOOKS).bind::<BigInt, _>(organizer.get())).load(conn).await
}

const OWNED_WEBHOOK: &str = "SELECT id FROM webhooks WHERE id = $1 AND organizer_id = $2";

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

/// Deliveries and the log go with it (ON DELETE CASCADE).
const DELETE_WEBHOOK: &str = "DELETE FROM webhooks WHERE id = $1 AND organizer_id = $2";

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

/// A page of a webhook's attempts, newest first, before `$2`, at most `$3`.
const WEBHOOK_ATTEMPTS: &str = "\
SELECT id, notification_id, attempted_at, status_code, error, next_attempt_at
FROM webhook_attempts
WHERE webhook_id = $1 AND id < COALESCE($2::int8, 9223372036854775807)
ORDER BY id DESC
LIMIT $3";

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

/// First key of the advisory lock claims take (the second is 0): claims take turns, across
/// instances, so that each counts the leases every earlier claim made. A claim is one short
/// statement; the per-event guards use another first key.
pub const CLAIMS_NAMESPACE: i32 = 0x7768_6b73;

const LOCK_CLAIMS: &str = "SELECT pg_advisory_xact_lock($1, 0)";

/// Takes the claims' turn, until the transaction ends.
pub(crate) async fn lock_claims(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    Prepared(diesel::sql_query(LOCK_CLAIMS).bind::<Integer, _>(CLAIMS_NAMESPACE))
        .execute(conn)
        .await
        .map(drop)
}

/// Claims up to `$1` due deliveries for `$2` milliseconds, fairly: each webhook's oldest
/// first, none of a paused webhook's, at most `$3` in flight per webhook (one, a probe, while
/// its last attempt failed) and `$4` per organizer counting the leases that
/// still run (every instance's: run after [`LOCK_CLAIMS`]), one organizer after another (each
/// organizer's first, then each one's second, …) so that a backlog of one never starves
/// another. Rows other workers hold are skipped, not waited for, and the lease is the row's new
/// due time, so a claim that is never settled comes due again by itself.
const CLAIM_DELIVERIES: &str = concat!(
    "WITH leased AS (
    SELECT d.webhook_id, w.organizer_id, count(*) AS n
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
    WHERE d.leased_until > now()
    GROUP BY d.webhook_id, w.organizer_id
), organizer_leased AS (
    SELECT organizer_id, sum(n) AS n FROM leased GROUP BY organizer_id
), due AS (
    SELECT d.webhook_id, d.notification_id, d.due_at, w.organizer_id,
           CASE WHEN w.consecutive_failures > 0 THEN 1 ELSE $3 END AS most,
           COALESCE(l.n, 0)
             + row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.due_at, d.notification_id) AS nth_of_webhook
    FROM webhook_deliveries d
    JOIN webhooks w ON w.id = d.webhook_id
    LEFT JOIN leased l ON l.webhook_id = d.webhook_id
    WHERE d.due_at <= now() AND (w.paused_until IS NULL OR w.paused_until <= now())
), ranked AS (
    SELECT due.webhook_id, due.notification_id, due.due_at,
           COALESCE(o.n, 0) + row_number() OVER (
               PARTITION BY due.organizer_id ORDER BY due.nth_of_webhook, due.due_at, due.webhook_id
           ) AS nth_of_organizer
    FROM due LEFT JOIN organizer_leased o ON o.organizer_id = due.organizer_id
    WHERE due.nth_of_webhook <= due.most
), picked AS (
    SELECT d.webhook_id, d.notification_id
    FROM ranked r
    JOIN webhook_deliveries d ON d.webhook_id = r.webhook_id AND d.notification_id = r.notification_id
    WHERE r.nth_of_organizer <= $4 AND d.due_at <= now()
    ORDER BY r.nth_of_organizer, r.due_at
    LIMIT $1
    FOR UPDATE OF d SKIP LOCKED
), claimed AS (
    UPDATE webhook_deliveries d
    SET attempts = d.attempts + 1,
        due_at = now() + $2 * interval '1 millisecond',
        leased_until = now() + $2 * interval '1 millisecond'
    FROM picked
    WHERE d.webhook_id = picked.webhook_id AND d.notification_id = picked.notification_id
    RETURNING d.webhook_id, d.notification_id, d.attempts
)
SELECT c.webhook_id, c.attempts, w.url, w.secret, ",
    notification_columns!(),
    "
FROM claimed c
JOIN webhooks w ON w.id = c.webhook_id
JOIN ",
    notification_sources!(),
    " ON n.id = c.notification_id
ORDER BY n.id"
);

pub(crate) async fn claim(
    conn: &mut AsyncPgConnection,
    limit: i64,
    lease: Duration,
    bounds: ClaimBounds,
) -> QueryResult<Vec<ClaimedRow>> {
    Prepared(
        diesel::sql_query(CLAIM_DELIVERIES)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(millis(lease))
            .bind::<BigInt, _>(i64::from(bounds.per_webhook))
            .bind::<BigInt, _>(i64::from(bounds.per_organizer)),
    )
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
    /// Adds one claim's end: its error's class only (the detail is for the service's log).
    pub(crate) fn push(&mut self, attempted: &Attempted) -> Result<(), TryFromIntError> {
        let delivery = &attempted.delivery;
        let (delivered, status_code, error) = match &attempted.outcome {
            DeliveryOutcome::Delivered { status } => (true, Some(*status), None),
            DeliveryOutcome::Gone => (false, Some(410), None),
            DeliveryOutcome::Failed { error, status, .. } => (false, *status, Some(error.as_str())),
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
        self.errors.push(error.map(str::to_owned));
        Ok(())
    }
}

/// Settles a batch of claims, each `(webhook $1, notification $2, claim $3)`: delivered (`$4`),
/// due again in `$5` ms (or once its webhook's pause is over, if later), or closed (`$5`
/// null); ends its lease; logs each attempt with its status `$6` and error `$7`. A claim that
/// is no longer the latest (its lease ran out and another worker claimed the delivery) changes
/// nothing and is not logged. Returns the log rows, in the batch's order.
const SETTLE_DELIVERIES: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::int8[], $2::int8[], $3::int4[], $4::bool[], $5::int8[], $6::int4[], $7::text[])
        WITH ORDINALITY AS i(webhook_id, notification_id, attempt, delivered, retry_ms, status_code, error, ord)
), settled AS (
    UPDATE webhook_deliveries d
    SET due_at = CASE WHEN i.delivered OR i.retry_ms IS NULL THEN NULL
                      ELSE GREATEST(now() + i.retry_ms * interval '1 millisecond', w.paused_until) END,
        delivered_at = CASE WHEN i.delivered THEN now() END,
        leased_until = NULL
    FROM input i JOIN webhooks w ON w.id = i.webhook_id
    WHERE d.webhook_id = i.webhook_id AND d.notification_id = i.notification_id AND d.attempts = i.attempt
    RETURNING d.webhook_id, d.notification_id, d.due_at
)
INSERT INTO webhook_attempts (webhook_id, notification_id, status_code, error, next_attempt_at)
SELECT s.webhook_id, s.notification_id, i.status_code, i.error, s.due_at
FROM settled s JOIN input i ON i.webhook_id = s.webhook_id AND i.notification_id = s.notification_id
ORDER BY i.ord
RETURNING id, webhook_id, notification_id";

/// An attempt [`SETTLE_DELIVERIES`] logged.
#[derive(QueryableByName)]
pub(crate) struct LoggedRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub webhook_id: i64,
    #[diesel(sql_type = BigInt)]
    pub notification_id: i64,
}

pub(crate) async fn settle(conn: &mut AsyncPgConnection, batch: Settlements) -> QueryResult<Vec<LoggedRow>> {
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
    .load(conn)
    .await
}

/// A webhook's breaker, as [`LOCK_BREAKERS`] reads it.
#[derive(QueryableByName)]
pub(crate) struct BreakerRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Integer)]
    pub consecutive_failures: i32,
    #[diesel(sql_type = Integer)]
    pub breaker_pauses: i32,
    #[diesel(sql_type = Bool)]
    pub paused: bool,
}

/// Locks the webhooks `$1`, in id order (recorders on any instance take turns per webhook, and
/// never deadlock), and reads their breakers by the database's clock.
const LOCK_BREAKERS: &str = "\
SELECT id, consecutive_failures, breaker_pauses, COALESCE(paused_until > now(), false) AS paused
FROM webhooks WHERE id = ANY ($1) ORDER BY id FOR UPDATE";

pub(crate) async fn lock_breakers(
    conn: &mut AsyncPgConnection,
    webhooks: &[i64],
) -> QueryResult<Vec<BreakerRow>> {
    Prepared(diesel::sql_query(LOCK_BREAKERS).bind::<Array<BigInt>, _>(webhooks)).load(conn).await
}

/// Where a batch leaves its webhooks' breakers, as [`MOVE_BREAKERS`] takes them: one entry per
/// webhook.
#[derive(Default)]
pub(crate) struct BreakerMoves {
    pub webhooks: Vec<i64>,
    pub failures: Vec<i32>,
    pub pauses: Vec<i32>,
    pub paused: Vec<bool>,
    pub pause_ms: Vec<Option<i64>>,
}

/// Writes the breakers of `$1..$5`: failures, pauses, and `paused_until` (a pause that starts
/// now for `$5` ms; kept while one runs; cleared otherwise). A pause that starts holds the
/// webhook's waiting deliveries (not those in flight) until it ends, gives up those whose
/// notification is older than `$6` ms, and shows when in the log rows `$7` this batch wrote.
const MOVE_BREAKERS: &str = "\
WITH input AS (
    SELECT * FROM unnest($1::int8[], $2::int4[], $3::int4[], $4::bool[], $5::int8[])
        AS i(webhook_id, failures, pauses, paused, pause_ms)
), moved AS (
    UPDATE webhooks w
    SET consecutive_failures = i.failures,
        breaker_pauses = i.pauses,
        paused_until = CASE WHEN i.pause_ms IS NOT NULL THEN now() + i.pause_ms * interval '1 millisecond'
                            WHEN i.paused THEN w.paused_until END
    FROM input i
    WHERE w.id = i.webhook_id
    RETURNING w.id, w.paused_until, i.pause_ms IS NOT NULL AS pausing
), held AS (
    UPDATE webhook_deliveries d
    SET due_at = CASE WHEN d.created_at <= now() - $6 * interval '1 millisecond' THEN NULL ELSE m.paused_until END
    FROM moved m
    WHERE m.pausing AND d.webhook_id = m.id AND d.due_at < m.paused_until
      AND (d.leased_until IS NULL OR d.leased_until <= now())
    RETURNING d.webhook_id, d.notification_id, d.due_at
)
UPDATE webhook_attempts a SET next_attempt_at = h.due_at
FROM held h
WHERE a.id = ANY ($7) AND a.webhook_id = h.webhook_id AND a.notification_id = h.notification_id";

pub(crate) async fn move_breakers(
    conn: &mut AsyncPgConnection,
    moves: BreakerMoves,
    give_up_after: Duration,
    logged: &[i64],
) -> QueryResult<()> {
    Prepared(
        diesel::sql_query(MOVE_BREAKERS)
            .bind::<Array<BigInt>, _>(moves.webhooks)
            .bind::<Array<Integer>, _>(moves.failures)
            .bind::<Array<Integer>, _>(moves.pauses)
            .bind::<Array<Bool>, _>(moves.paused)
            .bind::<Array<Nullable<BigInt>>, _>(moves.pause_ms)
            .bind::<BigInt, _>(millis(give_up_after))
            .bind::<Array<BigInt>, _>(logged),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// Receivers answered 410 Gone: nothing more goes to the webhooks `$1`.
const DISABLE_WEBHOOKS: &str = "\
WITH disabled AS (
    UPDATE webhooks SET disabled_at = now() WHERE id = ANY ($1) AND disabled_at IS NULL
)
UPDATE webhook_deliveries SET due_at = NULL, leased_until = NULL WHERE webhook_id = ANY ($1) AND due_at IS NOT NULL";

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

/// The relay's place, locked: `None` when another instance is relaying right now.
const LOCK_RELAY: &str =
    "SELECT walked, gap_start, gap_seen FROM outbox_relay WHERE id = 1 FOR UPDATE SKIP LOCKED";

/// The relay's place, locked for this transaction; `None` while another holds it.
pub(crate) async fn lock_relay(conn: &mut AsyncPgConnection) -> QueryResult<Option<RelayRow>> {
    Prepared(diesel::sql_query(LOCK_RELAY)).get_result(conn).await.optional()
}

/// Queues the notifications in `($1, $2]` for every matching webhook of their events'
/// organizers. A delivery is as old as its notification, and due at once, or when its
/// webhook's pause ends.
const QUEUE_DELIVERIES: &str = "\
INSERT INTO webhook_deliveries (webhook_id, notification_id, created_at, due_at)
SELECT w.id, n.id, n.created_at, GREATEST(now(), w.paused_until)
FROM notifications n
JOIN events e ON e.id = n.event_id
JOIN webhooks w ON w.organizer_id = e.organizer_id
WHERE n.id > $1 AND n.id <= $2
  AND w.disabled_at IS NULL
  AND (w.event_id IS NULL OR w.event_id = n.event_id)
  AND (w.kinds IS NULL OR n.kind = ANY (w.kinds))
ON CONFLICT DO NOTHING";

pub(crate) async fn queue(conn: &mut AsyncPgConnection, after: i64, through: i64) -> QueryResult<usize> {
    Prepared(diesel::sql_query(QUEUE_DELIVERIES).bind::<BigInt, _>(after).bind::<BigInt, _>(through))
        .execute(conn)
        .await
}

const SAVE_RELAY: &str = "UPDATE outbox_relay SET walked = $1, gap_start = $2, gap_seen = $3 WHERE id = 1";

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

/// Deletes at most `$2` attempts logged more than `$1` ms ago.
const FORGET_ATTEMPTS: &str = "\
DELETE FROM webhook_attempts WHERE id IN (
    SELECT id FROM webhook_attempts WHERE attempted_at < now() - $1 * interval '1 millisecond' LIMIT $2)";

pub(crate) async fn forget_attempts(
    conn: &mut AsyncPgConnection,
    kept: Duration,
    batch: i64,
) -> QueryResult<usize> {
    Prepared(diesel::sql_query(FORGET_ATTEMPTS).bind::<BigInt, _>(millis(kept)).bind::<BigInt, _>(batch))
        .execute(conn)
        .await
}

/// Deletes at most `$2` settled deliveries whose notification is more than `$1` ms old, none
/// above the relay's place (the relay reads that window again and would queue them anew).
const FORGET_DELIVERIES: &str = "\
DELETE FROM webhook_deliveries d
USING (
    SELECT webhook_id, notification_id FROM webhook_deliveries
    WHERE due_at IS NULL AND created_at < now() - $1 * interval '1 millisecond'
      AND notification_id <= (SELECT walked FROM outbox_relay WHERE id = 1)
    LIMIT $2
) old
WHERE d.webhook_id = old.webhook_id AND d.notification_id = old.notification_id AND d.due_at IS NULL";

pub(crate) async fn forget_deliveries(
    conn: &mut AsyncPgConnection,
    kept: Duration,
    batch: i64,
) -> QueryResult<usize> {
    Prepared(diesel::sql_query(FORGET_DELIVERIES).bind::<BigInt, _>(millis(kept)).bind::<BigInt, _>(batch))
        .execute(conn)
        .await
}

/// What waits to be delivered, and since when.
const DELIVERY_BACKLOG: &str = "\
SELECT count(*) AS undelivered,
       COALESCE(extract(epoch FROM now() - min(created_at)), 0)::int8 AS oldest_age_seconds
FROM webhook_deliveries WHERE due_at IS NOT NULL";

pub(crate) async fn backlog(conn: &mut AsyncPgConnection) -> QueryResult<BacklogRow> {
    Prepared(diesel::sql_query(DELIVERY_BACKLOG)).get_result(conn).await
}
