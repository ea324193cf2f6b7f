//! An event in offer mode as the database holds it after a run: every booking with its offer's
//! deadline and what became of it, read in one snapshot, and the checks and the measurement
//! made from them. The deadline and every moment compared with it are the database's clock, so
//! nothing here depends on the load generator's.

use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

/// The event's counters, as the service keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::QueryableByName)]
pub struct Counters {
    #[diesel(sql_type = Integer)]
    pub ticket_limit: i32,
    #[diesel(sql_type = Integer)]
    pub seats_taken: i32,
    #[diesel(sql_type = Integer)]
    pub waiting: i32,
    #[diesel(sql_type = Integer)]
    pub seats_waiting: i32,
}

/// One booking of the event and what its offer, if it had one, came to. Moments are
/// microseconds since 1970 on the database's clock.
#[derive(Debug, Clone, PartialEq, Eq, diesel::QueryableByName)]
pub struct Booking {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub quantity: i32,
    /// `offer_expires_at`: set when it was offered, kept whatever came after.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub deadline_us: Option<i64>,
    /// `updated_at`: the moment the statement that accepted the offer, or expired it, ran.
    #[diesel(sql_type = BigInt)]
    pub updated_us: i64,
    /// The `booking.offer_expired` notices naming it: one once its offer has lapsed.
    #[diesel(sql_type = BigInt)]
    pub expiries: i64,
    /// The `booking.offered` notices naming it: one per offer made to it.
    #[diesel(sql_type = BigInt)]
    pub offers: i64,
    /// For an `EXPIRED` booking, the `created_at` of the first `booking.offered` notice of the
    /// event written at or after its deadline: when the seats it let go were (at the latest)
    /// offered on. A notice is dated when its transaction began; the sweeper begins each
    /// event's only after finding its offers lapsed, so its notices are never dated before the
    /// deadline. A write that began before the deadline and expired the offer on its way dates
    /// its notices before it: such an offer is measured to the next offer after it.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub next_offer_us: Option<i64>,
}

/// One event's counters and bookings, from one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferLedger {
    pub counters: Counters,
    /// In id order, so the line's waiting ones in line order.
    pub bookings: Vec<Booking>,
}

const COUNTERS: &str = "\
SELECT ticket_limit, seats_taken, waiting, seats_waiting FROM events WHERE id = $1";

/// Every booking of event `$1` with its offer's moments. The event's offer notices are read
/// once (`notices`); each expired booking looks for the first offer at or after its deadline
/// among them.
const BOOKINGS: &str = "\
WITH notices AS (
    SELECT booking_id, kind, created_at FROM notifications
    WHERE event_id = $1 AND kind IN ('booking.offered', 'booking.offer_expired')
), per_booking AS (
    SELECT booking_id,
           count(*) FILTER (WHERE kind = 'booking.offered') AS offers,
           count(*) FILTER (WHERE kind = 'booking.offer_expired') AS expiries
    FROM notices GROUP BY booking_id
)
SELECT b.id, b.status, b.quantity,
       (extract(epoch FROM b.offer_expires_at) * 1000000)::int8 AS deadline_us,
       (extract(epoch FROM b.updated_at) * 1000000)::int8 AS updated_us,
       coalesce(p.expiries, 0) AS expiries,
       coalesce(p.offers, 0) AS offers,
       CASE WHEN b.status = 'EXPIRED' THEN
           (SELECT (extract(epoch FROM min(n.created_at)) * 1000000)::int8 FROM notices n
            WHERE n.kind = 'booking.offered' AND n.created_at >= b.offer_expires_at)
       END AS next_offer_us
FROM bookings b LEFT JOIN per_booking p ON p.booking_id = b.id
WHERE b.event_id = $1
ORDER BY b.id";

/// Reads `event`'s ledger, or `None` when there is no such event.
///
/// # Errors
/// When the database cannot be queried (one without offers has no `offer_expires_at`).
pub async fn ledger(database_url: &str, event: i64) -> anyhow::Result<Option<OfferLedger>> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    // Two statements, one snapshot: the counters and the bookings as of the same moment, even
    // while a sweeper moves the line on.
    conn.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let counters: Vec<Counters> =
        diesel::sql_query(COUNTERS).bind::<BigInt, _>(event).load(&mut conn).await?;
    let bookings: Vec<Booking> = diesel::sql_query(BOOKINGS).bind::<BigInt, _>(event).load(&mut conn).await?;
    conn.batch_execute("COMMIT").await?;
    Ok(counters.into_iter().next().map(|counters| OfferLedger { counters, bookings }))
}

impl OfferLedger {
    /// The seats of the bookings in `status`.
    #[must_use]
    pub fn seats(&self, status: &str) -> i64 {
        self.bookings.iter().filter(|b| b.status == status).map(|b| i64::from(b.quantity)).sum()
    }

    /// How many bookings are in `status`.
    #[must_use]
    pub fn count(&self, status: &str) -> usize {
        self.bookings.iter().filter(|b| b.status == status).count()
    }

    /// What offer mode must never break: I1 and I5 with offered seats taken (`seats_taken` =
    /// confirmed + offered seats, within the limit; the waiting counters equal to the waiting
    /// bookings); an offer expired only once its deadline had passed (`updated_at`, set by the
    /// expiring statement, at or after it) and with one notice; an offer accepted only before
    /// its deadline (`updated_at`, set by the accept, before it); every offered booking with a
    /// deadline; no booking offered twice (an offer ends accepted, expired or declined, and the
    /// booking leaves the line with it). Up to 20 bookings named per check.
    #[must_use]
    pub fn violations(&self) -> Vec<String> {
        let c = self.counters;
        let taken = self.seats("CONFIRMED") + self.seats("OFFERED");
        let mut violations = Vec::new();
        if taken > i64::from(c.ticket_limit) {
            violations.push(format!("database: I1 oversold: {taken} seats confirmed or offered ({c:?})"));
        }
        let pending = i64::try_from(self.count("PENDING")).unwrap_or(i64::MAX);
        if i64::from(c.seats_taken) != taken
            || i64::from(c.waiting) != pending
            || i64::from(c.seats_waiting) != self.seats("PENDING")
        {
            violations.push(format!(
                "database: I5 counters {c:?}, bookings: {taken} seats confirmed or offered, {pending} waiting \
                 for {} seats",
                self.seats("PENDING")
            ));
        }
        let mut named = |what: &str, broken: &dyn Fn(&Booking) -> bool| {
            let ids: Vec<i64> = self.bookings.iter().filter(|b| broken(b)).map(|b| b.id).collect();
            if !ids.is_empty() {
                let shown: Vec<i64> = ids.iter().copied().take(20).collect();
                violations.push(format!("database: {} booking(s) {what}: {shown:?}", ids.len()));
            }
        };
        named("expired before their deadline, or with no deadline", &|b| {
            b.status == "EXPIRED" && b.deadline_us.is_none_or(|deadline| deadline > b.updated_us)
        });
        named("with an offer_expired notice other than once when expired", &|b| {
            b.expiries != i64::from(b.status == "EXPIRED")
        });
        named("confirmed by an accept at or after their deadline", &|b| {
            b.status == "CONFIRMED" && b.deadline_us.is_some_and(|deadline| b.updated_us >= deadline)
        });
        named("offered with no deadline", &|b| b.status == "OFFERED" && b.deadline_us.is_none());
        named("offered more than once", &|b| b.offers > 1);
        violations
    }

    /// For each expired offer, from its deadline to the next offer of the event (the
    /// first `booking.offered` notice written at or after it), in microseconds, sorted; and how
    /// many expired offers had none (the line had run out).
    #[must_use]
    pub fn deadline_to_next_offer_us(&self) -> (Vec<u128>, usize) {
        let expired = self.bookings.iter().filter(|b| b.status == "EXPIRED");
        let mut lags: Vec<u128> =
            expired.clone().filter_map(|b| u128::try_from(b.next_offer_us? - b.deadline_us?).ok()).collect();
        lags.sort_unstable();
        let without = expired.count() - lags.len();
        (lags, without)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn booking(id: i64, status: &str, deadline_us: Option<i64>, updated_us: i64) -> Booking {
        Booking {
            id,
            status: status.to_owned(),
            quantity: 1,
            deadline_us,
            updated_us,
            expiries: i64::from(status == "EXPIRED"),
            offers: i64::from(deadline_us.is_some()),
            next_offer_us: None,
        }
    }

    /// Limit 3: one confirmed from the start, one accepted in time, one expired (its seat
    /// offered on 120 ms after the deadline, to the one now offered), one waiting.
    fn consistent() -> OfferLedger {
        OfferLedger {
            counters: Counters { ticket_limit: 3, seats_taken: 3, waiting: 1, seats_waiting: 1 },
            bookings: vec![
                booking(1, "CONFIRMED", None, 0),
                booking(2, "CONFIRMED", Some(10_000_000), 9_999_999),
                Booking {
                    next_offer_us: Some(10_120_000),
                    ..booking(3, "EXPIRED", Some(10_000_000), 10_100_000)
                },
                booking(4, "OFFERED", Some(20_120_000), 10_120_000),
                booking(5, "PENDING", None, 0),
            ],
        }
    }

    #[test]
    fn a_consistent_ledger_breaks_nothing_and_measures_the_lapse() {
        let ledger = consistent();
        assert_eq!(ledger.violations(), Vec::<String>::new());
        assert_eq!(ledger.deadline_to_next_offer_us(), (vec![120_000], 0));
    }

    #[test]
    fn an_accept_at_the_deadline_and_an_early_expiry_are_caught() {
        let mut ledger = consistent();
        ledger.bookings[1].updated_us = 10_000_000;
        ledger.bookings[2].updated_us = 9_999_000;
        let violations = ledger.violations();
        assert!(violations.iter().any(|v| v.contains("at or after their deadline: [2]")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("before their deadline") && v.ends_with("[3]")));
        ledger.bookings[2].expiries = 2;
        assert!(ledger.violations().iter().any(|v| v.contains("other than once when expired: [3]")));
    }

    #[test]
    fn offered_seats_count_as_taken() {
        let mut ledger = consistent();
        ledger.counters.seats_taken = 2;
        assert!(ledger.violations().iter().any(|v| v.contains("I5")), "the offered seat is taken");
        ledger.counters = Counters { ticket_limit: 2, seats_taken: 3, waiting: 1, seats_waiting: 1 };
        assert!(ledger.violations().iter().any(|v| v.contains("I1")));
    }

    #[test]
    fn a_second_offer_and_an_expiry_with_no_next_offer_are_told_apart() {
        let mut ledger = consistent();
        ledger.bookings[3].offers = 2;
        ledger.bookings[2].next_offer_us = None;
        assert!(ledger.violations().iter().any(|v| v.contains("offered more than once: [4]")));
        assert_eq!(ledger.deadline_to_next_offer_us(), (vec![], 1));
    }
}
