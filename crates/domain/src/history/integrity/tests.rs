use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::history::Actor;
use crate::ids::HistoryId;
use BookingStatus::{Cancelled, Confirmed, Expired, Offered, Pending};

/// Builds an event's history a commit at a time, and its stored state as it goes.
struct Trail {
    entries: Vec<HistoryEntry>,
    bookings: BTreeMap<i64, StoredBooking>,
    counters: Counted,
    version: i64,
    limit: u32,
    k: u32,
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::UNIX_EPOCH + Duration::seconds(1_000_000 + seconds)
}

impl Trail {
    fn new(limit: u32, k: u32) -> Self {
        Self {
            entries: Vec::new(),
            bookings: BTreeMap::new(),
            counters: Counted::default(),
            version: 0,
            limit,
            k,
        }
    }

    /// One commit of changes: (booking, from, to, quantity after).
    fn commit(&mut self, changes: &[(i64, Option<BookingStatus>, BookingStatus, u32)]) -> &mut Self {
        self.version += 1;
        for &(booking, from, to, quantity) in changes {
            let before = self.bookings.get(&booking).map_or(quantity, |b| b.quantity);
            let change = Change { from, to, quantity_before: before, quantity };
            self.push(booking, change, None, at(self.version));
        }
        self
    }

    fn push(&mut self, booking: i64, change: Change, deadline: Option<DateTime<Utc>>, when: DateTime<Utc>) {
        let id = BookingId::new(booking).unwrap();
        self.counters = self.counters.plus(change.deltas());
        self.bookings.insert(booking, StoredBooking { id, status: change.to, quantity: change.quantity });
        self.entries.push(HistoryEntry {
            id: HistoryId::new(i64::try_from(self.entries.len()).unwrap() + 1).unwrap(),
            event: EventId::new(1).unwrap(),
            event_version: self.version,
            booking: Some(id),
            actor: Actor::System,
            action: change.action().unwrap_or(Action::Imported),
            from: change.from,
            to: Some(change.to),
            quantity: Some(change.quantity),
            deltas: change.deltas(),
            ticket_limit: self.limit,
            overtake_limit: self.k,
            offer_expires_at: deadline,
            request: None,
            at: when,
        });
    }

    fn trail(&self) -> AuditTrail {
        AuditTrail {
            event: EventId::new(1).unwrap(),
            organizer: UserId::new(1).unwrap(),
            ticket_limit: self.limit,
            cancelled: false,
            counters: self.counters,
            bookings: self.bookings.values().copied().collect(),
            entries: self.entries.clone(),
        }
    }
}

fn failed(report: &IntegrityReport) -> Vec<(&'static str, Vec<i64>)> {
    report.violations().map(|c| (c.name, c.bookings.iter().map(|b| b.get()).collect())).collect()
}

fn sold_out_with_a_line() -> Trail {
    let mut trail = Trail::new(3, 0);
    trail
        .commit(&[(1, None, Confirmed, 2)])
        .commit(&[(2, None, Confirmed, 1)])
        .commit(&[(3, None, Pending, 2)])
        .commit(&[(4, None, Pending, 1)]);
    trail
}

#[test]
fn a_history_that_adds_up_passes_every_check() {
    let mut trail = sold_out_with_a_line();
    trail.commit(&[(1, Some(Confirmed), Cancelled, 2), (3, Some(Pending), Confirmed, 2)]);
    let report = check(&trail.trail());
    assert!(report.ok(), "{report:#?}");
    assert_eq!(report.checks.len(), 10);
}

#[test]
fn a_counter_changed_by_hand_is_named_with_what_was_expected() {
    let mut trail = sold_out_with_a_line().trail();
    trail.counters.seats -= 1;
    let report = check(&trail);
    let seats = report.checks.iter().find(|c| c.name == "seats_taken").unwrap();
    assert_eq!((seats.ok, seats.expected, seats.actual), (false, 3, 2));
    assert_eq!(failed(&report), [("seats_taken", vec![])]);
}

#[test]
fn a_status_changed_by_hand_is_named_by_the_state_machine_and_the_seats() {
    let mut trail = sold_out_with_a_line().trail();
    trail.bookings[3].status = Confirmed;
    let report = check(&trail);
    assert_eq!(failed(&report), [("seats_held", vec![]), ("state_machine", vec![4])]);
}

#[test]
fn an_illegal_step_or_a_forged_delta_offends_the_state_machine() {
    let mut trail = sold_out_with_a_line();
    trail.commit(&[(2, Some(Confirmed), Pending, 1)]);
    assert_eq!(failed(&check(&trail.trail())), [("state_machine", vec![2])]);

    let mut forged = sold_out_with_a_line().trail();
    forged.entries[0].deltas.seats = 1;
    forged.counters.seats -= 1;
    assert_eq!(failed(&check(&forged)), [("seats_held", vec![]), ("state_machine", vec![1])]);
}

#[test]
fn a_booking_without_history_or_history_without_its_booking_offends() {
    let mut trail = sold_out_with_a_line().trail();
    trail.entries.retain(|e| e.booking.map(BookingId::get) != Some(4));
    trail.counters = Counted { seats: 3, waiting: 1, waiting_seats: 2 };
    assert_eq!(failed(&check(&trail)), [("state_machine", vec![4])]);
}

#[test]
fn seats_over_the_limit_at_any_past_commit_are_caught_though_they_add_up_now() {
    let mut trail = Trail::new(2, 0);
    trail.commit(&[(1, None, Confirmed, 2)]).commit(&[(2, None, Confirmed, 1)]);
    trail.commit(&[(1, Some(Confirmed), Cancelled, 2)]);
    let report = check(&trail.trail());
    let within = report.checks.iter().find(|c| c.name == "within_limit").unwrap();
    assert_eq!(
        (within.ok, within.expected, within.actual, within.bookings.clone()),
        (false, 2, 3, vec![BookingId::new(2).unwrap()])
    );
}

#[test]
fn a_limit_or_sale_status_changed_by_hand_is_caught() {
    let trail = sold_out_with_a_line();
    let mut raised = trail.trail();
    raised.ticket_limit = 5;
    assert_eq!(failed(&check(&raised)), [("ticket_limit", vec![])]);
    let limit = check(&raised).checks.into_iter().find(|c| c.name == "ticket_limit").unwrap();
    assert_eq!((limit.expected, limit.actual), (3, 5));
    let mut called_off = trail.trail();
    called_off.cancelled = true;
    assert_eq!(failed(&check(&called_off)), [("sale_status", vec![])]);

    // Changed by hand between two changes: the next entry carries the limit no entry set.
    let mut hidden = sold_out_with_a_line();
    hidden.limit = 4;
    hidden.commit(&[(5, None, Pending, 1)]);
    assert_eq!(failed(&check(&hidden.trail())), [("ticket_limit", vec![])]);
}

#[test]
fn a_raised_limit_is_the_one_in_force_from_its_commit() {
    let mut trail = Trail::new(1, 0);
    trail.commit(&[(1, None, Confirmed, 1)]);
    trail.limit = 3;
    trail.version += 1;
    trail.entries.push(HistoryEntry {
        id: HistoryId::new(100).unwrap(),
        booking: None,
        action: Action::LimitChanged,
        from: None,
        to: None,
        quantity: None,
        deltas: Counted::default(),
        ticket_limit: 3,
        event_version: trail.version,
        ..trail.entries[0].clone()
    });
    trail.commit(&[(2, None, Confirmed, 2)]);
    assert!(check(&trail.trail()).ok(), "{:#?}", check(&trail.trail()));
}

#[test]
fn serving_a_later_booking_while_an_earlier_one_fits_breaks_the_order() {
    let mut trail = sold_out_with_a_line();
    // Two seats freed: booking 3 (two seats) fits, yet 4 is served.
    trail.commit(&[(1, Some(Confirmed), Cancelled, 2), (4, Some(Pending), Confirmed, 1)]);
    assert_eq!(failed(&check(&trail.trail())), [("serving_order", vec![4])]);
}

#[test]
fn an_overtake_within_the_limit_is_allowed_and_one_more_is_not() {
    let mut trail = Trail::new(2, 1);
    trail
        .commit(&[(1, None, Confirmed, 1)])
        .commit(&[(2, None, Confirmed, 1)])
        .commit(&[(3, None, Pending, 2)])
        .commit(&[(4, None, Pending, 1)])
        .commit(&[(5, None, Pending, 1)]);
    // One seat freed: 3 does not fit and 4 passes it (its first overtake).
    trail.commit(&[(1, Some(Confirmed), Cancelled, 1), (4, Some(Pending), Confirmed, 1)]);
    assert!(check(&trail.trail()).ok());
    // Another: 3 has been passed once, the limit; the seat is held for it, so 5 may not go.
    trail.commit(&[(2, Some(Confirmed), Cancelled, 1), (5, Some(Pending), Confirmed, 1)]);
    assert_eq!(failed(&check(&trail.trail())), [("serving_order", vec![5])]);
}

#[test]
fn an_offer_accepted_at_its_deadline_or_expired_before_it_is_caught() {
    let mut trail = Trail::new(1, 0);
    trail.commit(&[(1, None, Confirmed, 1)]).commit(&[(2, None, Pending, 1)]);
    trail.version += 1;
    trail.push(1, Change::status(Confirmed, Cancelled, 1), None, at(10));
    trail.push(2, Change::status(Pending, Offered, 1), Some(at(20)), at(10));
    trail.version += 1;
    trail.push(2, Change::status(Offered, Confirmed, 1), Some(at(20)), at(19));
    assert!(check(&trail.trail()).ok(), "{:#?}", check(&trail.trail()));

    let mut late = trail.trail();
    late.entries.last_mut().unwrap().at = at(20);
    assert_eq!(failed(&check(&late)), [("offer_deadlines", vec![2])]);

    // A deadline moved later with no entry: the answer repeats a deadline no offer was given.
    let mut moved = trail.trail();
    let last = moved.entries.last_mut().unwrap();
    (last.offer_expires_at, last.at) = (Some(at(30)), at(25));
    assert_eq!(failed(&check(&moved)), [("offer_deadlines", vec![2])]);

    let mut early = trail.trail();
    let last = early.entries.last_mut().unwrap();
    (last.action, last.to, last.deltas) =
        (Action::Expired, Some(Expired), Change::status(Offered, Expired, 1).deltas());
    early.bookings[1].status = Expired;
    early.counters.seats -= 1;
    assert_eq!(failed(&check(&early)), [("offer_deadlines", vec![2])]);
}

#[test]
fn imported_bookings_start_their_paths_where_they_stood() {
    let mut trail = Trail::new(2, 0);
    trail.version = 1;
    trail.push(1, Change::new_booking(Confirmed, 2), None, at(0));
    trail.push(2, Change::new_booking(Pending, 1), None, at(0));
    for entry in &mut trail.entries {
        entry.action = Action::Imported;
    }
    trail.commit(&[(1, Some(Confirmed), Cancelled, 2), (2, Some(Pending), Confirmed, 1)]);
    assert!(check(&trail.trail()).ok());
}

#[test]
fn an_entry_that_does_not_go_on_from_where_the_last_one_left_its_booking_offends() {
    let mut trail = sold_out_with_a_line();
    // Booking 4 waits for one seat; an entry claims it was confirmed when it was cancelled.
    trail.version += 1;
    trail.push(4, Change::status(Confirmed, Cancelled, 1), None, at(9));
    assert_eq!(failed(&check(&trail.trail())), [("seats_held", vec![]), ("state_machine", vec![4])]);
}
