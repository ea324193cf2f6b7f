//! The invariant recount (docs/ARCHITECTURE.md, "Guarantees"), for every check that must see
//! the database itself rather than what the service said: the adapter's tests and
//! `ticketing-load --database-url`. One statement, so one snapshot, even while bookings run;
//! the line's order (I4: nobody passed more often than the overtake limit allows) replayed from
//! the notifications every change wrote ([`line_jumps`]); and an event's booking ids, for
//! checking that every booking stored is one a client was told of.

use std::fmt;

use diesel::QueryResult;
use diesel::sql_types::{Array, BigInt, Integer, Nullable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::BookingId;
use domain::line::{Waiting, serve};

/// One event's counts and line, as stored.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct EventCounts {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Integer)]
    pub ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    pub overtake_limit: i32,
    /// The counters the service keeps on the event.
    #[diesel(sql_type = Integer)]
    pub seats_taken: i32,
    #[diesel(sql_type = Integer)]
    pub waiting: i32,
    #[diesel(sql_type = Integer)]
    pub seats_waiting: i32,
    /// What the bookings say: seats held (confirmed or on offer), bookings waiting, seats
    /// waited for.
    #[diesel(sql_type = BigInt)]
    pub confirmed: i64,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub pending_seats: i64,
    /// Users holding more than one live booking for the event.
    #[diesel(sql_type = BigInt)]
    pub duplicate_live: i64,
    /// The waiting bookings in line order: ids, quantities, overtake counts.
    #[diesel(sql_type = Array<BigInt>)]
    pub line_ids: Vec<i64>,
    #[diesel(sql_type = Array<Integer>)]
    pub line_quantities: Vec<i32>,
    #[diesel(sql_type = Array<Integer>)]
    pub line_overtaken: Vec<i32>,
}

/// An invariant the counts break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// I1: more seats held (confirmed or on offer) than the event has.
    Oversold,
    /// I2: a user holds two live bookings for one event.
    DuplicateLive,
    /// I3: seats are free that the line, served now, would give someone.
    Stranded,
    /// I5: a counter differs from the bookings.
    CounterDrift,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Oversold => "I1 oversold",
            Self::DuplicateLive => "I2 a user holds two live bookings",
            Self::Stranded => "I3 seats are free that a waiting booking may have",
            Self::CounterDrift => "I5 a counter differs from the bookings",
        })
    }
}

impl EventCounts {
    /// Every invariant these counts break; empty when the event is consistent. I3 is the
    /// domain's own serving routine run on the line as stored: a consistent line is one it
    /// would serve nobody from — a seat may stay free only while it is held for a booking that
    /// does not fit and may not be passed again.
    #[must_use]
    pub fn violations(&self) -> Vec<Violation> {
        let limit = i64::from(self.ticket_limit);
        [
            (self.confirmed > limit, Violation::Oversold),
            (self.duplicate_live > 0, Violation::DuplicateLive),
            (self.stranded(), Violation::Stranded),
            (
                i64::from(self.seats_taken) != self.confirmed
                    || i64::from(self.waiting) != self.pending
                    || i64::from(self.seats_waiting) != self.pending_seats,
                Violation::CounterDrift,
            ),
        ]
        .into_iter()
        .filter_map(|(broken, violation)| broken.then_some(violation))
        .collect()
    }

    fn stranded(&self) -> bool {
        let free = u32::try_from((i64::from(self.ticket_limit) - self.confirmed).max(0)).unwrap_or(0);
        let line: Vec<Waiting> = self
            .line_ids
            .iter()
            .zip(&self.line_quantities)
            .zip(&self.line_overtaken)
            .filter_map(|((&id, &quantity), &overtaken)| {
                Some(Waiting {
                    booking: BookingId::new(id).ok()?,
                    quantity: u32::try_from(quantity).ok()?,
                    overtaken: u32::try_from(overtaken).ok()?,
                })
            })
            .collect();
        let k = u32::try_from(self.overtake_limit).unwrap_or(0);
        !serve(free, k, &line).serving.served.is_empty()
    }
}

/// Per event (every event when `$1` is null), the counts and the line invariants I1, I2, I3
/// and I5 are checked against: one statement, so one consistent snapshot even while bookings
/// run.
const INVARIANT_COUNTS: &str = "\
SELECT e.id, e.ticket_limit, e.overtake_limit, e.seats_taken, e.waiting, e.seats_waiting,
       (SELECT COALESCE(sum(quantity), 0)::int8 FROM bookings b
        WHERE b.event_id = e.id AND b.status IN ('CONFIRMED', 'OFFERED')) AS confirmed,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS pending,
       (SELECT COALESCE(sum(quantity), 0)::int8 FROM bookings b
        WHERE b.event_id = e.id AND b.status = 'PENDING') AS pending_seats,
       (SELECT count(*) FROM (SELECT user_id FROM bookings b
                              WHERE b.event_id = e.id AND b.status IN ('CONFIRMED', 'PENDING', 'OFFERED')
                              GROUP BY user_id HAVING count(*) > 1) d) AS duplicate_live,
       ARRAY(SELECT id FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING' ORDER BY id)
           AS line_ids,
       ARRAY(SELECT quantity FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING' ORDER BY id)
           AS line_quantities,
       ARRAY(SELECT overtaken FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING' ORDER BY id)
           AS line_overtaken
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

/// A booking passed once too often (I4): `served` got its seats — promoted, or confirmed on
/// arrival — in the change that wrote notification `notice`, while `passed_over`, ahead of it
/// in line, waited; that made `times` times `passed_over` was passed, more than the event's
/// overtake limit allows (with a limit of 0: any time).
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
    #[diesel(sql_type = BigInt)]
    pub times: i64,
    #[diesel(sql_type = Integer)]
    pub overtake_limit: i32,
}

impl fmt::Display for LineJump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "I4 event {}: booking {} was served (notification {}) while booking {}, ahead of it, waited; \
             that passed it {} times, K = {}",
            self.event, self.served, self.notice, self.passed_over, self.times, self.overtake_limit
        )
    }
}

/// I4 from what happened rather than from a place in line computed now (which, counted in id
/// order, would be in id order whatever the promotions did): each booking's wait is the span
/// from its `booking.waitlisted` notice to the first notice that ended it (promoted, offered
/// or cancelled); a `booking.promoted`, `booking.offered` or `booking.confirmed` notice of `p`
/// inside the wait of an earlier booking `q < p` passed `q` once more, and the `K + 1`-th time is out of turn (K the
/// event's overtake limit: 0 by default, so any). Notices are numbered in the order the guard
/// serialised their changes, so the replay is the history the guard made. Up to 20 jumps, of
/// event `$1` (every event when null), earliest first; none when the line was served in order.
const LINE_JUMPS: &str = "\
WITH booking_notices AS (
    SELECT id, event_id, booking_id, kind FROM notifications
    WHERE booking_id IS NOT NULL AND ($1::int8 IS NULL OR event_id = $1)
), ended AS (
    SELECT booking_id, min(id) AS at FROM booking_notices
    WHERE kind IN ('booking.promoted', 'booking.offered', 'booking.cancelled')
    GROUP BY booking_id
), waits AS (
    SELECT w.event_id, w.booking_id, w.id AS joined, coalesce(e.at, 9223372036854775807) AS left_at
    FROM booking_notices w LEFT JOIN ended e USING (booking_id)
    WHERE w.kind = 'booking.waitlisted'
), passes AS (
    SELECT s.event_id AS event, s.id AS notice, s.booking_id AS served, q.booking_id AS passed_over,
           row_number() OVER (PARTITION BY q.booking_id ORDER BY s.id) AS times
    FROM booking_notices s
    JOIN waits q ON q.event_id = s.event_id AND q.joined < s.id AND s.id < q.left_at
        AND q.booking_id < s.booking_id
    WHERE s.kind IN ('booking.promoted', 'booking.offered', 'booking.confirmed')
)
SELECT p.event, p.notice, p.served, p.passed_over, p.times, e.overtake_limit
FROM passes p JOIN events e ON e.id = p.event
WHERE p.times > e.overtake_limit
ORDER BY p.notice, p.passed_over
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

    /// An event of limit 4 with `confirmed` seats confirmed (and counted), and `line` waiting
    /// (quantity, overtake count), K = `k`.
    fn event(k: i32, confirmed: i64, line: &[(i32, i32)]) -> EventCounts {
        let pending_seats: i64 = line.iter().map(|&(q, _)| i64::from(q)).sum();
        EventCounts {
            id: 1,
            ticket_limit: 4,
            overtake_limit: k,
            seats_taken: i32::try_from(confirmed).unwrap(),
            waiting: i32::try_from(line.len()).unwrap(),
            seats_waiting: i32::try_from(pending_seats).unwrap(),
            confirmed,
            pending: i64::try_from(line.len()).unwrap(),
            pending_seats,
            duplicate_live: 0,
            line_ids: (1..=i64::try_from(line.len()).unwrap()).collect(),
            line_quantities: line.iter().map(|&(q, _)| q).collect(),
            line_overtaken: line.iter().map(|&(_, o)| o).collect(),
        }
    }

    #[test]
    fn consistent_counts_break_nothing() {
        assert!(event(0, 4, &[(1, 0), (2, 0)]).violations().is_empty());
        assert!(event(0, 1, &[]).violations().is_empty());
        assert!(event(0, 2, &[(3, 0), (1, 0)]).violations().is_empty(), "the seats are held for the head");
        assert!(event(1, 3, &[(3, 1), (1, 0)]).violations().is_empty(), "held for a head passed K times");
    }

    #[test]
    fn each_broken_invariant_is_named() {
        assert_eq!(event(0, 5, &[]).violations(), [Violation::Oversold]);
        assert_eq!(event(0, 3, &[(1, 0)]).violations(), [Violation::Stranded]);
        assert_eq!(event(1, 3, &[(3, 0), (1, 0)]).violations(), [Violation::Stranded], "it may pass once");
        let drift = EventCounts { seats_waiting: 9, ..event(0, 4, &[(1, 0)]) };
        assert_eq!(drift.violations(), [Violation::CounterDrift]);
        let twice = EventCounts { duplicate_live: 1, ..event(0, 1, &[]) };
        assert_eq!(twice.violations(), [Violation::DuplicateLive]);
    }
}
