//! The same invariants counted in the database itself, when a database URL is given.

use diesel::sql_types::{BigInt, Integer};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

#[derive(Debug, diesel::QueryableByName)]
struct Counts {
    #[diesel(sql_type = Integer)]
    ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    seats_taken: i32,
    #[diesel(sql_type = BigInt)]
    confirmed: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
    #[diesel(sql_type = BigInt)]
    duplicate_live: i64,
}

/// No oversell, one live booking per user, no free seat while someone waits, the seat counter
/// equal to the confirmed bookings, and the expected totals.
///
/// # Errors
/// When the database cannot be queried.
pub async fn check_event(
    database_url: &str,
    event: i64,
    confirmed: usize,
    pending: usize,
) -> anyhow::Result<Vec<String>> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let counts: Counts = diesel::sql_query(
        "SELECT e.ticket_limit, e.seats_taken,
                (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'CONFIRMED') AS confirmed,
                (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS pending,
                (SELECT count(*) FROM (SELECT user_id FROM bookings b
                                       WHERE b.event_id = e.id AND b.status IN ('CONFIRMED', 'PENDING')
                                       GROUP BY user_id HAVING count(*) > 1) d) AS duplicate_live
         FROM events e WHERE e.id = $1",
    )
    .bind::<BigInt, _>(event)
    .get_result(&mut conn)
    .await?;
    let mut violations = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            violations.push(format!("database: {what} ({counts:?})"));
        }
    };
    check(counts.confirmed <= i64::from(counts.ticket_limit), "oversold".to_owned());
    check(counts.duplicate_live == 0, "a user holds two live bookings".to_owned());
    check(
        counts.confirmed == i64::from(counts.ticket_limit) || counts.pending == 0,
        "a seat is free while someone waits".to_owned(),
    );
    check(
        i64::from(counts.seats_taken) == counts.confirmed,
        "seats_taken differs from the confirmed bookings".to_owned(),
    );
    check(
        usize::try_from(counts.confirmed).ok() == Some(confirmed),
        format!("{confirmed} confirmed expected"),
    );
    check(usize::try_from(counts.pending).ok() == Some(pending), format!("{pending} pending expected"));
    Ok(violations)
}
