//! The same invariants counted in the database itself, when a database URL is given: the
//! adapter's own recount (`infra_postgres::invariants`), plus the totals this run expects. On an
//! event that offers seats, an offered booking holds its seats as a confirmed one does: the
//! recount's held seats, which `seats_taken` must equal, are confirmed and offered ones alike
//! (`offers` has what is particular to offers).

pub mod history;
pub mod offers;

use std::collections::BTreeSet;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use infra_postgres::invariants::{EventCounts, booking_ids, line_jumps, recount};

/// No oversell, one live booking per user, no seat left free that the line would give someone,
/// the counters equal to the bookings, the line served in order (replayed from the
/// notifications), and the expected totals: `held` seats (confirmed, or on offer), `pending`
/// bookings waiting.
///
/// # Errors
/// When the database cannot be queried.
pub async fn check_event(
    database_url: &str,
    event: i64,
    held: usize,
    pending: usize,
) -> anyhow::Result<Vec<String>> {
    let (counts, mut violations) = match invariants(database_url, event).await? {
        Ok(checked) => checked,
        Err(missing) => return Ok(vec![missing]),
    };
    if usize::try_from(counts.confirmed).ok() != Some(held) {
        violations.push(format!("database: {held} seats confirmed or offered expected ({counts:?})"));
    }
    if usize::try_from(counts.pending).ok() != Some(pending) {
        violations.push(format!("database: {pending} bookings waiting expected ({counts:?})"));
    }
    Ok(violations)
}

/// Every invariant of the event by SQL, whatever the totals: no oversell, one live booking per
/// user, no seat the line would give someone left free, the counters equal to the bookings, and
/// nobody passed more often than the overtake limit allows (replayed from the notifications).
///
/// # Errors
/// When the database cannot be queried.
pub async fn check_invariants(database_url: &str, event: i64) -> anyhow::Result<Vec<String>> {
    Ok(match invariants(database_url, event).await? {
        Ok((_, violations)) => violations,
        Err(missing) => vec![missing],
    })
}

/// The event's counts and the violations of its invariants, or why there are none to check.
async fn invariants(
    database_url: &str,
    event: i64,
) -> anyhow::Result<Result<(EventCounts, Vec<String>), String>> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let Some(counts) = recount(&mut conn, Some(event)).await?.pop() else {
        return Ok(Err(format!("database: event {event} does not exist")));
    };
    let mut violations: Vec<String> =
        counts.violations().iter().map(|v| format!("database: {v} ({counts:?})")).collect();
    violations
        .extend(line_jumps(&mut conn, Some(event)).await?.iter().map(|jump| format!("database: {jump}")));
    Ok(Ok((counts, violations)))
}

/// Exactly-once, whatever the retries: every booking the API acknowledged exists, and no
/// booking of the event exists that the API never acknowledged (a retried write that took
/// effect twice, or took effect without its client hearing of it).
///
/// # Errors
/// When the database cannot be queried.
pub async fn check_acknowledged(
    database_url: &str,
    event: i64,
    acknowledged: &BTreeSet<i64>,
) -> anyhow::Result<Vec<String>> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    let stored: BTreeSet<i64> = booking_ids(&mut conn, event).await?.into_iter().collect();
    Ok(crate::verify::exactly_once(acknowledged, &stored))
}
