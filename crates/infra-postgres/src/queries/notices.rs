//! The outbox: notices written inside the transactions of [`crate::store`], and the reads that
//! follow it.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::UserId;
use domain::notice::{Notice, Subject};

use crate::queries::Prepared;
use crate::rows::{NewestRow, NotificationRow, SettlementRow};
use crate::sql::{FEED, FOR_RECIPIENTS, NEWEST_NOTIFICATION, SETTLEMENT, WRITE_NOTICES};

/// Writes `notices` in order, in the caller's transaction, after the change they report.
pub(crate) async fn write(conn: &mut AsyncPgConnection, notices: &[Notice]) -> QueryResult<()> {
    if notices.is_empty() {
        return Ok(());
    }
    let mut kinds = Vec::with_capacity(notices.len());
    let mut events = Vec::with_capacity(notices.len());
    let mut bookings = Vec::with_capacity(notices.len());
    let mut holders = Vec::with_capacity(notices.len());
    let mut positions = Vec::with_capacity(notices.len());
    for notice in notices {
        kinds.push(notice.kind.as_str());
        events.push(notice.event.get());
        match notice.subject {
            Subject::Booking { booking, holder, position } => {
                bookings.push(Some(booking.get()));
                holders.push(Some(holder.get()));
                positions.push(position.and_then(|p| i64::try_from(p.get()).ok()));
            }
            Subject::Event => {
                bookings.push(None);
                holders.push(None);
                positions.push(None);
            }
        }
    }
    Prepared(
        diesel::sql_query(WRITE_NOTICES)
            .bind::<Array<Text>, _>(kinds)
            .bind::<Array<BigInt>, _>(events)
            .bind::<Array<Nullable<BigInt>>, _>(bookings)
            .bind::<Array<Nullable<BigInt>>, _>(holders)
            .bind::<Array<Nullable<BigInt>>, _>(positions),
    )
    .execute(conn)
    .await
    .map(drop)
}

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

pub(crate) async fn newest(conn: &mut AsyncPgConnection) -> QueryResult<NewestRow> {
    Prepared(diesel::sql_query(NEWEST_NOTIFICATION)).get_result(conn).await
}

pub(crate) async fn settlement(
    conn: &mut AsyncPgConnection,
    walked: i64,
    batch: i64,
) -> QueryResult<SettlementRow> {
    Prepared(diesel::sql_query(SETTLEMENT).bind::<BigInt, _>(walked).bind::<BigInt, _>(batch))
        .get_result(conn)
        .await
}
