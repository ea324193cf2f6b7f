//! The outbox: notices written inside the transactions of [`crate::store`], and the reads that
//! follow it.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::UserId;
use domain::notice::{Notice, Subject};

use std::time::Duration;

use crate::queries::fragments::{availability_columns, noticed, notification_columns, notification_sources};
use crate::queries::{Prepared, millis};
use crate::rows::{NewestRow, NotificationRow, SettlementRow};

/// The channel [`WRITE_NOTICES`] wakes and [`LISTEN`] subscribes to.
macro_rules! channel {
    () => {
        "ticketing_notifications"
    };
}

/// Notices decided by the domain, written in order (so numbered in order) by a guarded
/// transaction that has already written the change they report, and the instances woken (the
/// NOTIFY is delivered only if the transaction commits). An event's notice snapshots the
/// event as that transaction left it. The booking statements write their own notices and do
/// not NOTIFY: a NOTIFY serialises the commits of every notifying transaction, and the
/// listeners' poll finds those notices within a fifth of a second.
pub const WRITE_NOTICES: &str = concat!(
    "WITH ",
    noticed!(with_snapshot: concat!(
        "SELECT n.kind, n.event_id, n.booking_id, n.user_id, n.quantity, n.position, n.seats_ahead,
           CASE WHEN n.booking_id IS NULL THEN
               (SELECT to_jsonb(e) FROM (SELECT ",
        availability_columns!(),
        " FROM events e WHERE e.id = n.event_id) e)
           END
    FROM unnest($1::text[], $2::int8[], $3::int8[], $4::int8[], $5::int4[], $6::int8[], $7::int8[])
         WITH ORDINALITY AS n(kind, event_id, booking_id, user_id, quantity, position, seats_ahead, ord)
    ORDER BY n.ord
    RETURNING id"
    )),
    "
SELECT pg_notify('",
    channel!(),
    "', '') FROM (SELECT 1 FROM noticed LIMIT 1) AS any_written"
);

/// Writes `notices` in order, in the caller's transaction, after the change they report.
pub(crate) async fn write(conn: &mut AsyncPgConnection, notices: &[Notice]) -> QueryResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let mut kinds = Vec::with_capacity(notices.len());
    let mut events = Vec::with_capacity(notices.len());
    let mut bookings = Vec::with_capacity(notices.len());
    let mut holders = Vec::with_capacity(notices.len());
    let mut quantities = Vec::with_capacity(notices.len());
    let mut positions = Vec::with_capacity(notices.len());
    let mut seats_ahead = Vec::with_capacity(notices.len());
    for notice in notices {
        kinds.push(notice.kind.as_str());
        events.push(notice.event.get());
        match notice.subject {
            Subject::Booking { booking, holder, quantity, position, seats_ahead: ahead } => {
                bookings.push(Some(booking.get()));
                holders.push(Some(holder.get()));
                quantities.push(Some(crate::queries::bookings::seats(quantity)));
                positions.push(position.and_then(|p| i64::try_from(p.get()).ok()));
                seats_ahead.push(ahead.and_then(|s| i64::try_from(s).ok()));
            }
            Subject::Event => {
                bookings.push(None);
                holders.push(None);
                quantities.push(None);
                positions.push(None);
                seats_ahead.push(None);
            }
        }
    }
    Prepared(
        diesel::sql_query(WRITE_NOTICES)
            .bind::<Array<Text>, _>(kinds)
            .bind::<Array<BigInt>, _>(events)
            .bind::<Array<Nullable<BigInt>>, _>(bookings)
            .bind::<Array<Nullable<BigInt>>, _>(holders)
            .bind::<Array<Nullable<Integer>>, _>(quantities)
            .bind::<Array<Nullable<BigInt>>, _>(positions)
            .bind::<Array<Nullable<BigInt>>, _>(seats_ahead),
    )
    .execute(conn)
    .await
    .map(drop)
}

/// A user's notifications in `($2, $3]`, oldest first, at most `$4`.
const FEED: &str = concat!(
    "SELECT ",
    notification_columns!(),
    "
FROM ",
    notification_sources!(),
    "
WHERE n.user_id = $1 AND n.id > $2 AND n.id <= $3
ORDER BY n.id
LIMIT $4"
);

pub(crate) async fn feed(
    conn: &mut AsyncPgConnection,
    user: UserId,
    after: i64,
    through: i64,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    Prepared(
        diesel::sql_query(FEED)
            .bind::<BigInt, _>(user.get())
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(through)
            .bind::<BigInt, _>(limit),
    )
    .load(conn)
    .await
}

/// Every notification in `($2, $3]` for the users in `$1`, oldest first.
const FOR_RECIPIENTS: &str = concat!(
    "SELECT ",
    notification_columns!(),
    "
FROM ",
    notification_sources!(),
    "
WHERE n.user_id = ANY ($1) AND n.id > $2 AND n.id <= $3
ORDER BY n.id"
);

pub(crate) async fn for_recipients(
    conn: &mut AsyncPgConnection,
    after: i64,
    through: i64,
    users: &[UserId],
) -> QueryResult<Vec<NotificationRow>> {
    let users: Vec<i64> = users.iter().map(|u| u.get()).collect();
    Prepared(
        diesel::sql_query(FOR_RECIPIENTS)
            .bind::<Array<BigInt>, _>(users)
            .bind::<BigInt, _>(after)
            .bind::<BigInt, _>(through),
    )
    .load(conn)
    .await
}

/// The newest notification id and the next transaction id, in one snapshot: where a new
/// watermark starts.
const NEWEST_NOTIFICATION: &str = "\
SELECT COALESCE((SELECT max(id) FROM notifications), 0) AS newest,
       pg_snapshot_xmax(pg_current_snapshot())::text::int8 AS next_writer";

pub(crate) async fn newest(conn: &mut AsyncPgConnection) -> QueryResult<NewestRow> {
    Prepared(diesel::sql_query(NEWEST_NOTIFICATION)).get_result(conn).await
}

/// Up to `$2` visible notification ids above `$1`, with the oldest running and the next
/// transaction id, all from the statement's one snapshot.
const SETTLEMENT: &str = "\
SELECT ARRAY(SELECT id FROM notifications WHERE id > $1 ORDER BY id LIMIT $2) AS ids,
       pg_snapshot_xmin(pg_current_snapshot())::text::int8 AS oldest_running,
       pg_snapshot_xmax(pg_current_snapshot())::text::int8 AS next_writer";

pub(crate) async fn settlement(
    conn: &mut AsyncPgConnection,
    walked: i64,
    batch: i64,
) -> QueryResult<SettlementRow> {
    Prepared(diesel::sql_query(SETTLEMENT).bind::<BigInt, _>(walked).bind::<BigInt, _>(batch))
        .get_result(conn)
        .await
}

/// Deletes at most `$2` notifications more than `$1` ms old that the delivery relay has passed
/// (it queues only above its place, so none of these can get a delivery again) and that no
/// delivery refers to.
const FORGET_NOTIFICATIONS: &str = "\
DELETE FROM notifications WHERE id IN (
    SELECT n.id FROM notifications n
    WHERE n.created_at < now() - $1 * interval '1 millisecond'
      AND n.id <= (SELECT walked FROM outbox_relay WHERE id = 1)
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.notification_id = n.id)
    LIMIT $2)";

pub(crate) async fn forget(conn: &mut AsyncPgConnection, kept: Duration, batch: i64) -> QueryResult<usize> {
    Prepared(diesel::sql_query(FORGET_NOTIFICATIONS).bind::<BigInt, _>(millis(kept)).bind::<BigInt, _>(batch))
        .execute(conn)
        .await
}

/// Subscribes a connection to the channel [`WRITE_NOTICES`] wakes: one per server instance.
const LISTEN: &str = concat!("LISTEN ", channel!());

pub(crate) async fn listen(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    diesel::sql_query(LISTEN).execute(conn).await
}
