//! The invariant recount (docs/ARCHITECTURE.md, "Guarantees"), for every check that must see
//! the database itself rather than what the service said: the adapter's tests and
//! `ticketing-load --database-url`. One statement, so one snapshot, even while bookings run;
//! first come, first served (I4) replayed from the notifications every change wrote
//! ([`line_jumps`]); and an event's booking ids, for checking that every booking stored is one
//! a client was told of.

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

/// A booking served while an earlier one waited (I4): `served` got a seat — promoted past
/// `passed_over`, an earlier booking in line, or confirmed on arrival while `passed_over` was
/// waiting — in the change that wrote notification `notice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct LineJump {
    #[diesel(sql_type = BigInt)]
    pub event: i64,
    #[diesel(sql_type = BigInt)]
    pub notice: i64,
    #[diesel(sql_type = BigInt)]
    pub served: i64,
    #[diesel(sql_type = BigInt)]
    pub passed_over: i64,
}

impl fmt::Display for LineJump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "I4 event {}: booking {} was served (notification {}) while booking {}, ahead of it, waited",
            self.event, self.served, self.notice, self.passed_over
        )
    }
}

/// I4 from what happened rather than from a place in line computed now (which, counted in id
/// order, would be in id order whatever the promotions did): each booking's wait is the span
/// from its `booking.waitlisted` notice to the first notice that ended it (promoted or
/// cancelled); a `booking.promoted` notice of `p` inside the wait of an earlier booking `q < p`,
/// or a `booking.confirmed` inside anyone's wait, served someone out of turn. Notices are
/// numbered in the order the guard serialised their changes — a booker joins the line under
/// the shared guard, every promotion happens under the exclusive one, and a seat freed for an
/// arrival is freed under it too — so the replay is the history the guard made. Up to 20 jumps,
/// of event `$1` (every event when null), earliest first; none when the line was served in
/// order.
const LINE_JUMPS: &str = "\
WITH booking_notices AS (
    SELECT id, event_id, booking_id, kind FROM notifications
    WHERE booking_id IS NOT NULL AND ($1::int8 IS NULL OR event_id = $1)
), ended AS (
    SELECT booking_id, min(id) AS at FROM booking_notices
    WHERE kind IN ('booking.promoted', 'booking.cancelled')
    GROUP BY booking_id
), waits AS (
    SELECT w.event_id, w.booking_id, w.id AS joined, coalesce(e.at, 9223372036854775807) AS left_at
    FROM booking_notices w LEFT JOIN ended e USING (booking_id)
    WHERE w.kind = 'booking.waitlisted'
)
SELECT s.event_id AS event, s.id AS notice, s.booking_id AS served, q.booking_id AS passed_over
FROM booking_notices s
JOIN waits q ON q.event_id = s.event_id AND q.joined < s.id AND s.id < q.left_at
    AND (s.kind = 'booking.confirmed' OR q.booking_id < s.booking_id)
WHERE s.kind IN ('booking.promoted', 'booking.confirmed')
ORDER BY s.id, q.booking_id
LIMIT 20";

/// Every booking served out of turn (I4) in `event`, or in every event when `None`; empty
/// when each line was served in order. Only committed notices are read, and those of changes
/// the guard ordered after one another are numbered in that order, so it may run while
/// bookings do.
///
/// # Errors
/// When the query fails.
pub async fn line_jumps(conn: &mut AsyncPgConnection, event: Option<i64>) -> QueryResult<Vec<LineJump>> {
    diesel::sql_query(LINE_JUMPS).bind::<Nullable<BigInt>, _>(event).load(conn).await
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
