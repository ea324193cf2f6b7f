//! The invariant recount (docs/ARCHITECTURE.md, "Guarantees"), for every check that must see
//! the database itself rather than what the service said: the adapter's tests and
//! `ticketing-load --database-url`. One statement, so one snapshot, even while bookings run;
//! and an event's booking ids, for checking that every booking stored is one a client was told
//! of.

use std::fmt;

use diesel::QueryResult;
use diesel::sql_types::{BigInt, Integer, Nullable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// One event's counts, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct EventCounts {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Integer)]
    pub ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    pub seats_taken: i32,
    #[diesel(sql_type = BigInt)]
    pub confirmed: i64,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    /// Users holding more than one live booking for the event.
    #[diesel(sql_type = BigInt)]
    pub duplicate_live: i64,
}

/// An invariant the counts break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// I1: more confirmed bookings than seats.
    Oversold,
    /// I2: a user holds two live bookings for one event.
    DuplicateLive,
    /// I3: a seat is free while someone waits.
    FreeSeatWhileWaiting,
    /// I5: the seat counter differs from the confirmed bookings.
    CounterDrift,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Oversold => "I1 oversold",
            Self::DuplicateLive => "I2 a user holds two live bookings",
            Self::FreeSeatWhileWaiting => "I3 a seat is free while someone waits",
            Self::CounterDrift => "I5 seats_taken differs from the confirmed bookings",
        })
    }
}

impl EventCounts {
    /// Every invariant these counts break; empty when the event is consistent.
    #[must_use]
    pub fn violations(&self) -> Vec<Violation> {
        let limit = i64::from(self.ticket_limit);
        [
            (self.confirmed > limit, Violation::Oversold),
            (self.duplicate_live > 0, Violation::DuplicateLive),
            (self.confirmed < limit && self.pending > 0, Violation::FreeSeatWhileWaiting),
            (i64::from(self.seats_taken) != self.confirmed, Violation::CounterDrift),
        ]
        .into_iter()
        .filter_map(|(broken, violation)| broken.then_some(violation))
        .collect()
    }
}

/// Per event (every event when `$1` is null), the counts invariants I1, I2, I3 and I5 are
/// checked against: one statement, so one consistent snapshot even while bookings run.
const INVARIANT_COUNTS: &str = "\
SELECT e.id, e.ticket_limit, e.seats_taken,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'CONFIRMED') AS confirmed,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS pending,
       (SELECT count(*) FROM (SELECT user_id FROM bookings b
                              WHERE b.event_id = e.id AND b.status IN ('CONFIRMED', 'PENDING')
                              GROUP BY user_id HAVING count(*) > 1) d) AS duplicate_live
FROM events e
WHERE $1::int8 IS NULL OR e.id = $1
ORDER BY e.id";

/// The counts of one event, or of every event (in id order) when `event` is `None`.
///
/// # Errors
/// When the query fails.
pub async fn recount(conn: &mut AsyncPgConnection, event: Option<i64>) -> QueryResult<Vec<EventCounts>> {
    diesel::sql_query(INVARIANT_COUNTS).bind::<Nullable<BigInt>, _>(event).load(conn).await
}

/// Every booking of event `$1`, whatever its status: a booking a client was never told of
/// (a retried write that took effect twice) is still one of them.
const EVENT_BOOKINGS: &str = "SELECT id FROM bookings WHERE event_id = $1";

/// The ids of every booking of `event`, in no particular order.
///
/// # Errors
/// When the query fails.
pub async fn booking_ids(conn: &mut AsyncPgConnection, event: i64) -> QueryResult<Vec<i64>> {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let rows: Vec<Id> = diesel::sql_query(EVENT_BOOKINGS).bind::<BigInt, _>(event).load(conn).await?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(ticket_limit: i32, seats_taken: i32, confirmed: i64, pending: i64) -> EventCounts {
        EventCounts { id: 1, ticket_limit, seats_taken, confirmed, pending, duplicate_live: 0 }
    }

    #[test]
    fn consistent_counts_break_nothing() {
        assert!(counts(2, 2, 2, 5).violations().is_empty());
        assert!(counts(2, 1, 1, 0).violations().is_empty());
    }

    #[test]
    fn each_broken_invariant_is_named() {
        assert_eq!(counts(2, 3, 3, 0).violations(), [Violation::Oversold]);
        assert_eq!(counts(2, 1, 1, 1).violations(), [Violation::FreeSeatWhileWaiting]);
        assert_eq!(counts(2, 2, 1, 0).violations(), [Violation::CounterDrift]);
        let twice = EventCounts { duplicate_live: 1, ..counts(2, 1, 1, 0) };
        assert_eq!(twice.violations(), [Violation::DuplicateLive]);
    }
}
