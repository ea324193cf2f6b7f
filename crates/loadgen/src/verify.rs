//! The invariants, checked from what the API answered. Pure functions over the answers, so the
//! checks themselves are unit-tested.

pub mod offers;
pub mod room;

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::api::Reply;

/// A buyer's booking as `/book` reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    /// Index into the scenario's buyers.
    pub buyer: usize,
    pub booking: i64,
    pub confirmed: bool,
    /// Its seats (1 when the answer names none, as the original service's did).
    pub quantity: u32,
}

/// The seats of `placed` that are (or are not) confirmed.
fn seats(placed: &[Placed], confirmed: bool) -> usize {
    placed.iter().filter(|p| p.confirmed == confirmed).map(|p| p.quantity as usize).sum()
}

/// The bookings the answers report, and every answer that is not a well-formed 201.
#[must_use]
pub fn placed(replies: &[Reply]) -> (Vec<Placed>, Vec<String>) {
    placed_by(replies.iter().enumerate())
}

/// As [`placed`], for answers of some of the buyers only, each with its buyer's index.
#[must_use]
pub fn placed_by<'a>(replies: impl IntoIterator<Item = (usize, &'a Reply)>) -> (Vec<Placed>, Vec<String>) {
    let mut placed = Vec::new();
    let mut violations = Vec::new();
    for (buyer, reply) in replies {
        let booking = &reply.body["booking"];
        match (&reply.status, booking["id"].as_i64(), booking["status"].as_str()) {
            (Ok(201), Some(id), Some(status @ ("CONFIRMED" | "PENDING"))) => {
                let quantity = booking["quantity"].as_u64().and_then(|q| u32::try_from(q).ok()).unwrap_or(1);
                placed.push(Placed { buyer, booking: id, confirmed: status == "CONFIRMED", quantity });
            }
            (status, _, _) => {
                violations.push(format!("buyer {buyer}: booking answered {status:?} {}", reply.body))
            }
        }
    }
    (placed, violations)
}

/// A hot drop of `buyers` for `capacity` seats, first come first served (overtake limit 0): no
/// more seats confirmed than the event has; every confirmed booking before every waiting one in
/// line (id) order — nobody passed the line; the first who waits did not fit the seats left, so
/// nobody waits while their seats are free; one booking per buyer; the event's status agreeing.
/// With one seat each: exactly min(C, N) confirmed.
#[must_use]
pub fn hotdrop(capacity: u32, buyers: usize, replies: &[Reply], status: &Value) -> Vec<String> {
    let (placed, mut violations) = placed(replies);
    violations.extend(seating(capacity, buyers, &placed, status));
    violations
}

/// [`hotdrop`]'s checks of the bookings once read from the answers.
#[must_use]
pub fn seating(capacity: u32, buyers: usize, placed: &[Placed], status: &Value) -> Vec<String> {
    let mut violations = Vec::new();
    let limit = usize::try_from(capacity).unwrap_or(usize::MAX);
    let (confirmed, waiting) = (seats(placed, true), seats(placed, false));
    if confirmed > limit {
        violations.push(format!(
            "{confirmed} seats confirmed of {capacity} (capacity {capacity}, {buyers} buyers)"
        ));
    }
    let last_seated = placed.iter().filter(|p| p.confirmed).map(|p| p.booking).max();
    let mut line: Vec<&Placed> = placed.iter().filter(|p| !p.confirmed).collect();
    line.sort_by_key(|p| p.booking);
    match line.first() {
        Some(head) if last_seated.is_some_and(|seated| seated > head.booking) => violations.push(format!(
            "booking {} was confirmed after booking {}, ahead of it, had to wait",
            last_seated.unwrap_or_default(),
            head.booking
        )),
        Some(head) if head.quantity as usize <= limit.saturating_sub(confirmed) => violations.push(format!(
            "booking {} waits for {} seats while {} are free",
            head.booking,
            head.quantity,
            limit.saturating_sub(confirmed)
        )),
        _ => {}
    }
    let distinct: BTreeSet<i64> = placed.iter().map(|p| p.booking).collect();
    if distinct.len() != placed.len() {
        violations.push(format!(
            "{} booking ids for {} bookings: an id was reported twice",
            distinct.len(),
            placed.len()
        ));
    }
    expect_number(status, "ticketsAvailable", limit.saturating_sub(confirmed), &mut violations);
    expect_number(status, "waitingListCount", waiting, &mut violations);
    violations
}

/// Acknowledged bookings against stored ones: each acknowledged one stored, nothing stored
/// that was not acknowledged.
#[must_use]
pub fn exactly_once(acknowledged: &BTreeSet<i64>, stored: &BTreeSet<i64>) -> Vec<String> {
    let mut violations = Vec::new();
    let lost: Vec<&i64> = acknowledged.difference(stored).collect();
    if !lost.is_empty() {
        violations.push(format!("database: {} acknowledged booking(s) missing: {lost:?}", lost.len()));
    }
    let unacknowledged: Vec<&i64> = stored.difference(acknowledged).collect();
    if !unacknowledged.is_empty() {
        violations.push(format!(
            "database: {} booking(s) stored that no answer acknowledged: {unacknowledged:?}",
            unacknowledged.len()
        ));
    }
    violations
}

/// The bookings the cancels must have served, first come first served: with the line (the
/// waiting bookings, in id order) and `free` seats once every cancel has given its seats back,
/// the longest head of the line whose seats fit — whatever order the cancels ran in, since each
/// serves the head while it fits and the seats only grow.
#[must_use]
pub fn expected_promotions(placed: &[Placed], free: usize) -> BTreeSet<i64> {
    let mut line: Vec<&Placed> = placed.iter().filter(|p| !p.confirmed).collect();
    line.sort_by_key(|p| p.booking);
    let mut left = free;
    line.into_iter()
        .take_while(|p| {
            let fits = p.quantity as usize <= left;
            left = left.saturating_sub(if fits { p.quantity as usize } else { 0 });
            fits
        })
        .map(|p| p.booking)
        .collect()
}

/// After `cancelled` seat holders of an event of `capacity` seats cancelled: every cancel
/// succeeded, the freed seats went to the head of the line as far as it fits (so exactly those
/// first ones in line now hold seats), and the status agrees. `rebooks` are the waiting buyers
/// booking again, by index into `placed`: the answer says whether they hold a seat ("User
/// already has a booking") or still wait.
#[must_use]
pub fn churn(
    capacity: u32,
    placed: &[Placed],
    cancelled: &[Placed],
    cancel_replies: &[Reply],
    status_after: &Value,
    rebooks: &[(usize, Reply)],
) -> Vec<String> {
    let mut violations = cancels(cancelled, cancel_replies);
    let limit = usize::try_from(capacity).unwrap_or(usize::MAX);
    let freed = seats(cancelled, true);
    let free = limit.saturating_sub(seats(placed, true)) + freed;
    let promoted = expected_promotions(placed, free);
    let promoted_seats: usize =
        placed.iter().filter(|p| promoted.contains(&p.booking)).map(|p| p.quantity as usize).sum();
    expect_number(status_after, "waitingListCount", seats(placed, false) - promoted_seats, &mut violations);
    expect_number(status_after, "ticketsAvailable", free - promoted_seats, &mut violations);
    let by_index: HashMap<usize, &Placed> = placed.iter().enumerate().collect();
    for (index, reply) in rebooks {
        let Some(row) = by_index.get(index) else { continue };
        let expected = if promoted.contains(&row.booking) {
            "User already has a booking"
        } else {
            "User is already on wait list"
        };
        if reply.body["error"] != expected {
            violations.push(format!(
                "booking {} should answer {expected:?} after the cancels, got {:?} {}",
                row.booking, reply.status, reply.body
            ));
        }
    }
    violations
}

/// Every cancel of `cancelled` answered 200 with its booking `CANCELLED`.
#[must_use]
pub fn cancels(cancelled: &[Placed], replies: &[Reply]) -> Vec<String> {
    cancelled
        .iter()
        .zip(replies)
        .filter(|(_, reply)| !reply.is(200) || reply.body["booking"]["status"] != "CANCELLED")
        .map(|(target, reply)| {
            format!("cancel of booking {}: {:?} {}", target.booking, reply.status, reply.body)
        })
        .collect()
}

fn expect_number(status: &Value, field: &str, expected: usize, violations: &mut Vec<String>) {
    let actual = status[field].as_u64().and_then(|n| usize::try_from(n).ok());
    if actual != Some(expected) {
        violations.push(format!("status says {field} = {}, expected {expected}", status[field]));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn booked(id: i64, status: &str) -> Reply {
        group(id, status, 1)
    }

    fn group(id: i64, status: &str, quantity: u32) -> Reply {
        Reply {
            status: Ok(201),
            body: json!({"booking": {"id": id, "status": status, "quantity": quantity}}),
            latency: Duration::ZERO,
            retry_after: None,
            attempts: 1,
        }
    }

    fn error(message: &str) -> Reply {
        Reply {
            status: Ok(400),
            body: json!({"error": message}),
            latency: Duration::ZERO,
            retry_after: None,
            attempts: 1,
        }
    }

    #[test]
    fn a_correct_hot_drop_has_no_violations() {
        let replies = [booked(1, "CONFIRMED"), booked(2, "CONFIRMED"), booked(3, "PENDING")];
        let status = json!({"ticketsAvailable": 0, "waitingListCount": 1});
        assert_eq!(hotdrop(2, 3, &replies, &status), Vec::<String>::new());
    }

    #[test]
    fn an_oversold_hot_drop_is_caught() {
        let replies = [booked(1, "CONFIRMED"), booked(2, "CONFIRMED"), booked(3, "CONFIRMED")];
        let status = json!({"ticketsAvailable": 0, "waitingListCount": 0});
        let violations = hotdrop(2, 3, &replies, &status);
        assert!(violations.iter().any(|v| v.starts_with("3 seats confirmed of 2")), "{violations:?}");
    }

    #[test]
    fn a_group_that_passed_the_line_or_waits_while_it_fits_is_caught() {
        let status = json!({"ticketsAvailable": 1, "waitingListCount": 3});
        let fair = [group(1, "CONFIRMED", 3), group(2, "PENDING", 3)];
        assert_eq!(hotdrop(4, 2, &fair, &status), Vec::<String>::new());
        let passed = [group(1, "PENDING", 3), group(2, "CONFIRMED", 3)];
        assert!(hotdrop(4, 2, &passed, &status).iter().any(|v| v.contains("had to wait")));
        let stranded = [group(1, "CONFIRMED", 3), group(2, "PENDING", 1)];
        let status = json!({"ticketsAvailable": 1, "waitingListCount": 1});
        assert!(hotdrop(4, 2, &stranded, &status).iter().any(|v| v.contains("while 1 are free")));
    }

    #[test]
    fn a_lost_or_unacknowledged_booking_is_caught() {
        let acknowledged = BTreeSet::from([1, 2, 3]);
        assert!(exactly_once(&acknowledged, &BTreeSet::from([1, 2, 3])).is_empty());
        let lost = exactly_once(&acknowledged, &BTreeSet::from([1, 2]));
        assert!(lost.len() == 1 && lost[0].contains("missing: [3]"), "{lost:?}");
        let extra = exactly_once(&acknowledged, &BTreeSet::from([1, 2, 3, 4]));
        assert!(extra.len() == 1 && extra[0].contains("no answer acknowledged: [4]"), "{extra:?}");
    }

    #[test]
    fn a_failed_request_and_a_repeated_id_are_caught() {
        let failed = Reply {
            status: Ok(503),
            body: json!({}),
            latency: Duration::ZERO,
            retry_after: None,
            attempts: 1,
        };
        let replies = [booked(1, "CONFIRMED"), booked(1, "PENDING"), failed];
        let status = json!({"ticketsAvailable": 0, "waitingListCount": 1});
        let violations = hotdrop(1, 3, &replies, &status);
        assert!(violations.iter().any(|v| v.contains("buyer 2")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("reported twice")), "{violations:?}");
    }

    #[test]
    fn promotions_go_to_the_head_of_the_line_as_far_as_it_fits() {
        let placed = [
            Placed { buyer: 0, booking: 9, confirmed: false, quantity: 1 },
            Placed { buyer: 1, booking: 4, confirmed: false, quantity: 1 },
            Placed { buyer: 2, booking: 1, confirmed: true, quantity: 1 },
            Placed { buyer: 3, booking: 6, confirmed: false, quantity: 1 },
        ];
        assert_eq!(expected_promotions(&placed, 2), BTreeSet::from([4, 6]));
        let groups = [
            Placed { buyer: 0, booking: 4, confirmed: false, quantity: 2 },
            Placed { buyer: 1, booking: 6, confirmed: false, quantity: 3 },
            Placed { buyer: 2, booking: 9, confirmed: false, quantity: 1 },
        ];
        assert_eq!(expected_promotions(&groups, 4), BTreeSet::from([4]), "9 fits but may not pass 6");
    }

    #[test]
    fn a_promotion_out_of_order_is_caught() {
        let placed = vec![
            Placed { buyer: 0, booking: 1, confirmed: true, quantity: 1 },
            Placed { buyer: 1, booking: 2, confirmed: false, quantity: 1 },
            Placed { buyer: 2, booking: 3, confirmed: false, quantity: 1 },
        ];
        let cancelled = [placed[0].clone()];
        let cancels = [Reply {
            status: Ok(200),
            body: json!({"booking": {"status": "CANCELLED"}}),
            latency: Duration::ZERO,
            retry_after: None,
            attempts: 1,
        }];
        let status = json!({"ticketsAvailable": 0, "waitingListCount": 1});
        let in_order = [(1, error("User already has a booking")), (2, error("User is already on wait list"))];
        let out_of_order =
            [(1, error("User is already on wait list")), (2, error("User already has a booking"))];

        assert_eq!(churn(1, &placed, &cancelled, &cancels, &status, &in_order), Vec::<String>::new());
        assert_eq!(churn(1, &placed, &cancelled, &cancels, &status, &out_of_order).len(), 2);
    }
}
