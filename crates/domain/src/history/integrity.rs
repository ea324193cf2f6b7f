//! The integrity check: an event's history replayed, in commit order, against its counters and
//! its bookings as they stand — all read in one snapshot by the store. Pure: the store reads,
//! this decides, so every adapter is checked by the same rules.
//!
//! Each check names the guarantee it proves (docs/ARCHITECTURE.md, "Guarantees"): the seats
//! and the line as the history adds them up are the counters and the bookings (I1, I5); the
//! event's limit and sale status are what its entries left them; at every commit the seats
//! taken stayed within the limit then in force (I1 at every past moment); every booking's
//! entries are a legal path of its state machine ending where it is; every booking served went
//! ahead of nobody it should not have (I4); every offer was accepted before the deadline it was
//! given and expired at or after it (I7).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use super::{Action, Change, Counted, HistoryEntry};
use crate::booking::BookingStatus;
use crate::ids::{BookingId, EventId, UserId};

/// A booking as stored now (a lapsed offer not yet expired is still `OFFERED` here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBooking {
    /// The booking.
    pub id: BookingId,
    /// Its stored status.
    pub status: BookingStatus,
    /// Its seats.
    pub quantity: u32,
}

/// Everything the check reads of one event, from one snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditTrail {
    /// The event.
    pub event: EventId,
    /// Its organizer (who may run the check).
    pub organizer: UserId,
    /// Its ticket limit now.
    pub ticket_limit: u32,
    /// Whether it is called off now.
    pub cancelled: bool,
    /// The counters the store keeps on the event: seats taken, bookings waiting, seats waited
    /// for.
    pub counters: Counted,
    /// Its bookings as stored.
    pub bookings: Vec<StoredBooking>,
    /// Its history, archived or not, in any order.
    pub entries: Vec<HistoryEntry>,
}

/// One check's result. `expected` is what the history says, `actual` what the store holds
/// (for the checks over paths: no offending booking expected, and how many there are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    /// The check.
    pub name: &'static str,
    /// Whether it held.
    pub ok: bool,
    /// What it expected.
    pub expected: i64,
    /// What it found.
    pub actual: i64,
    /// The bookings that break it, by id.
    pub bookings: Vec<BookingId>,
}

/// Every check of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityReport {
    /// The event checked.
    pub event: EventId,
    /// Each check, in a fixed order.
    pub checks: Vec<CheckResult>,
}

impl IntegrityReport {
    /// Whether every check held.
    #[must_use]
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The checks that failed.
    pub fn violations(&self) -> impl Iterator<Item = &CheckResult> {
        self.checks.iter().filter(|c| !c.ok)
    }
}

/// Runs every check on `trail`.
#[must_use]
pub fn check(trail: &AuditTrail) -> IntegrityReport {
    let mut entries: Vec<&HistoryEntry> = trail.entries.iter().collect();
    entries.sort_by_key(|e| (e.event_version, e.id));
    let total = entries.iter().fold(Counted::default(), |sum, e| sum.plus(e.deltas));
    let held: i64 =
        trail.bookings.iter().filter(|b| b.status.holds_seats()).map(|b| i64::from(b.quantity)).sum();
    let checks = vec![
        compare("seats_taken", total.seats, trail.counters.seats),
        compare("seats_held", total.seats, held),
        compare("waiting", total.waiting, trail.counters.waiting),
        compare("waiting_seats", total.waiting_seats, trail.counters.waiting_seats),
        ticket_limit(&entries, trail.ticket_limit),
        compare(
            "sale_status",
            i64::from(entries.iter().any(|e| e.action == Action::EventCancelled)),
            i64::from(trail.cancelled),
        ),
        within_limit(&entries, trail.ticket_limit),
        paths("state_machine", state_machine(&entries, &trail.bookings)),
        paths("serving_order", serving_order(&entries)),
        paths("offer_deadlines", offer_deadlines(&entries)),
    ];
    IntegrityReport { event: trail.event, checks }
}

fn compare(name: &'static str, expected: i64, actual: i64) -> CheckResult {
    CheckResult { name, ok: expected == actual, expected, actual, bookings: Vec::new() }
}

fn paths(name: &'static str, offending: BTreeSet<BookingId>) -> CheckResult {
    let actual = i64::try_from(offending.len()).unwrap_or(i64::MAX);
    CheckResult {
        name,
        ok: offending.is_empty(),
        expected: 0,
        actual,
        bookings: offending.into_iter().collect(),
    }
}

/// The limit the entries leave in force is the event's, and it changed only where an entry
/// says so (created, or `limit_changed`): expected is the limit by the history and actual the
/// stored one — or, for a change no entry made, the limits before and after it.
fn ticket_limit(entries: &[&HistoryEntry], stored: u32) -> CheckResult {
    let check = |expected: u32, actual: u32| CheckResult {
        name: "ticket_limit",
        ok: expected == actual,
        expected: i64::from(expected),
        actual: i64::from(actual),
        bookings: Vec::new(),
    };
    for pair in entries.windows(2) {
        let (before, after) = (pair[0], pair[1]);
        let explained = matches!(after.action, Action::LimitChanged | Action::Created);
        if before.ticket_limit != after.ticket_limit && !explained {
            return check(before.ticket_limit, after.ticket_limit);
        }
    }
    check(entries.last().map_or(stored, |e| e.ticket_limit), stored)
}

/// I1 at every commit: the seats the history adds up to, after each of the event's versions,
/// between zero and the limit then in force. Expected is the limit and actual the seats at the
/// first commit that broke it (the limit now and the most seats ever taken when none did).
fn within_limit(entries: &[&HistoryEntry], limit_now: u32) -> CheckResult {
    let mut seats = 0_i64;
    let mut peak = 0_i64;
    for commit in entries.chunk_by(|a, b| a.event_version == b.event_version) {
        seats += commit.iter().map(|e| e.deltas.seats).sum::<i64>();
        let limit = commit.last().map_or(0, |e| i64::from(e.ticket_limit));
        if seats > limit || seats < 0 {
            let bookings: BTreeSet<BookingId> = commit.iter().filter_map(|e| e.booking).collect();
            return CheckResult {
                name: "within_limit",
                ok: false,
                expected: limit,
                actual: seats,
                bookings: bookings.into_iter().collect(),
            };
        }
        peak = peak.max(seats);
    }
    CheckResult {
        name: "within_limit",
        ok: true,
        expected: i64::from(limit_now),
        actual: peak,
        bookings: Vec::new(),
    }
}

/// Each booking's entries, in order, are a legal path from its creation (or its import) that
/// ends in its stored status and quantity, each entry's deltas those of its change; a booking
/// with no entries, or entries of a booking that is not there, offends too.
fn state_machine(entries: &[&HistoryEntry], bookings: &[StoredBooking]) -> BTreeSet<BookingId> {
    let mut offending = BTreeSet::new();
    let mut last: HashMap<BookingId, (BookingStatus, u32)> = HashMap::new();
    for entry in entries {
        let Some(booking) = entry.booking else {
            continue;
        };
        let (Some(to), Some(quantity)) = (entry.to, entry.quantity) else {
            offending.insert(booking);
            continue;
        };
        let previous = last.get(&booking).copied();
        let change = Change {
            from: entry.from,
            to,
            quantity_before: previous.map_or(quantity, |(_, before)| before),
            quantity,
        };
        // It goes on from where the previous entry left the booking (a first one from nowhere),
        // by a step the state machine allows (an import may start it anywhere).
        let continues = entry.from == previous.map(|(status, _)| status);
        let allowed =
            (previous.is_none() && entry.action == Action::Imported) || change.action() == Some(entry.action);
        if !continues || !allowed || change.deltas() != entry.deltas {
            offending.insert(booking);
        }
        last.insert(booking, (to, quantity));
    }
    for booking in bookings {
        if last.remove(&booking.id) != Some((booking.status, booking.quantity)) {
            offending.insert(booking.id);
        }
    }
    offending.extend(last.into_keys());
    offending
}

/// I4 replayed: a booking served (a newcomer taking seats, a waiting one confirmed or offered)
/// while earlier bookings wait went ahead of each of them, which is allowed only when that one
/// did not fit in the seats free then and had been passed fewer times than the overtake limit
/// in force. Every pass counts one more against the booking passed.
fn serving_order(entries: &[&HistoryEntry]) -> BTreeSet<BookingId> {
    let mut offending = BTreeSet::new();
    // The line: each waiting booking's seats and how often it was passed.
    let mut line: BTreeMap<BookingId, (u32, u32)> = BTreeMap::new();
    let mut seats = 0_i64;
    for entry in entries {
        if let Some(booking) = entry.booking {
            let serves = matches!(entry.action, Action::Booked | Action::Promoted | Action::Offered);
            if serves {
                let free = i64::from(entry.ticket_limit) - seats;
                let k = entry.overtake_limit;
                for (_, (quantity, passed)) in line.range_mut(..booking) {
                    if i64::from(*quantity) <= free || *passed >= k {
                        offending.insert(booking);
                    }
                    *passed += 1;
                }
            }
            match (entry.to, entry.quantity) {
                (Some(BookingStatus::Pending), Some(quantity)) => {
                    let passed = line.get(&booking).map_or(0, |&(_, passed)| passed);
                    line.insert(booking, (quantity, passed));
                }
                _ => {
                    line.remove(&booking);
                }
            }
        }
        seats += entry.deltas.seats;
    }
    offending
}

/// I7: an offer accepted before its deadline, and expired at or after it, by the store's clock
/// — the deadline its offer (or the last move of it) was given, which the answer's entry
/// repeats.
fn offer_deadlines(entries: &[&HistoryEntry]) -> BTreeSet<BookingId> {
    let mut offending = BTreeSet::new();
    let mut deadlines: HashMap<BookingId, DateTime<Utc>> = HashMap::new();
    for entry in entries {
        let Some(booking) = entry.booking else { continue };
        let given = deadlines.get(&booking).copied();
        let late = match (entry.action, entry.offer_expires_at) {
            (Action::Offered | Action::DeadlineMoved, Some(deadline)) => {
                deadlines.insert(booking, deadline);
                false
            }
            (Action::Imported, Some(deadline)) if entry.to == Some(BookingStatus::Offered) => {
                deadlines.insert(booking, deadline);
                false
            }
            (Action::Accepted, Some(deadline)) => given != Some(deadline) || entry.at >= deadline,
            (Action::Expired, Some(deadline)) => given != Some(deadline) || entry.at < deadline,
            (Action::Accepted | Action::Expired | Action::Offered | Action::DeadlineMoved, None) => true,
            _ => false,
        };
        if late {
            offending.insert(booking);
        }
    }
    offending
}

#[cfg(test)]
mod tests;
