//! What an offer churn must end with, known from its parameters alone: who in line is offered a
//! seat, who lets the offer lapse, how many deadlines that takes, and what every booking reads
//! afterwards. Pure, like the rest of `verify`, so the expectations are unit-tested.

use serde_json::Value;

use super::Placed;
use crate::api::Reply;

/// The run's plan over the line (the waiting bookings in id order, position 0 its head): the
/// cancels offer their seats to the first `cancels` at once; of the first `2 × lapses` in line
/// every second one (positions 1, 3, 5, …) lets the offer lapse, so its seat is offered to the
/// next in line once the deadline has passed; everyone else accepts. Every outcome is then
/// fixed whatever order the requests run in, as with the churn's promotions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferPlan {
    pub cancels: usize,
    pub lapses: usize,
}

impl OfferPlan {
    /// # Errors
    /// When the plan cannot play out as described: as many lapses as cancels or more (the last
    /// one would fall on someone the seats never reach: place `2 × lapses − 1` is reached only
    /// with `lapses − 1` lapses before it, when `cancels + lapses − 1` are offered), or a line
    /// too short for every seat to find someone who accepts it.
    pub fn new(cancels: usize, lapses: usize, line: usize) -> anyhow::Result<Self> {
        anyhow::ensure!(
            lapses == 0 || lapses < cancels,
            "{lapses} lapses need more cancels than that ({cancels})"
        );
        anyhow::ensure!(
            cancels + lapses <= line,
            "{cancels} cancels and {lapses} lapses need {} waiting, {line} wait",
            cancels + lapses
        );
        Ok(Self { cancels, lapses })
    }

    /// Whether the booking at `position` in line lets its offer lapse.
    #[must_use]
    pub const fn lapses_at(&self, position: usize) -> bool {
        position % 2 == 1 && position < 2 * self.lapses
    }

    /// How many in line are offered a seat in all: each lapse passes one seat one further, and
    /// (with fewer lapses than cancels) every planned lapse is reached.
    #[must_use]
    pub const fn offered(&self) -> usize {
        self.cancels + self.lapses
    }

    /// The deadlines the run waits through: the cancels' offers are round 1; the seats of the
    /// lapses among one round's offers are offered in the next, a window later.
    #[must_use]
    pub fn rounds(&self) -> usize {
        let (mut from, mut to, mut rounds) = (0, self.cancels, 0);
        while from < to {
            rounds += 1;
            let lapsed = (from..to).filter(|&p| self.lapses_at(p)).count();
            (from, to) = (to, to + lapsed);
        }
        rounds
    }
}

/// The line's bookings, head first.
#[must_use]
pub fn line(placed: &[Placed]) -> Vec<Placed> {
    let mut line: Vec<Placed> = placed.iter().filter(|p| !p.confirmed).cloned().collect();
    line.sort_by_key(|p| p.booking);
    line
}

/// After the run: every accept of the plan's accepters answered 200 with the booking
/// `CONFIRMED`; nobody who meant to let an offer lapse accepted; reads of the line's bookings
/// (`finals`, by position) say `CONFIRMED` for the accepters, `EXPIRED` for the lapses and
/// `PENDING` for everyone the seats never reached; the event's `status` counts no seat free
/// and those still waiting. `accepts` is by position, `None` where no accept was sent.
#[must_use]
pub fn offer_churn(
    plan: &OfferPlan,
    line: &[Placed],
    accepts: &[Option<Reply>],
    finals: &[Reply],
    status: &Value,
) -> Vec<String> {
    let mut violations = Vec::new();
    for (position, booking) in line.iter().enumerate() {
        let offered = position < plan.offered();
        let accept = accepts.get(position).and_then(Option::as_ref);
        match (offered && !plan.lapses_at(position), accept) {
            (true, Some(reply)) if reply.is(200) && reply.body["booking"]["status"] == "CONFIRMED" => {}
            (true, Some(reply)) => violations.push(format!(
                "accept of booking {} (place {position}): {:?} {}",
                booking.booking, reply.status, reply.body
            )),
            (true, None) => violations
                .push(format!("booking {} (place {position}) was never seen offered", booking.booking)),
            (false, Some(_)) => violations.push(format!(
                "booking {} (place {position}) accepted, though not planned to",
                booking.booking
            )),
            (false, None) => {}
        }
        let expected = match (offered, plan.lapses_at(position)) {
            (false, _) => "PENDING",
            (true, true) => "EXPIRED",
            (true, false) => "CONFIRMED",
        };
        let read = finals.get(position);
        let status = read.and_then(|r| r.body["booking"]["status"].as_str());
        if status != Some(expected) {
            violations.push(format!(
                "booking {} (place {position}) reads {:?}, expected {expected}",
                booking.booking,
                read.map(|r| &r.body)
            ));
        }
    }
    let waiting = line.len().saturating_sub(plan.offered());
    for (field, expected) in [("ticketsAvailable", 0), ("waitingListCount", waiting)] {
        if status[field].as_u64().and_then(|n| usize::try_from(n).ok()) != Some(expected) {
            violations.push(format!("status says {field} = {}, expected {expected}", status[field]));
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;

    fn reply(status: u16, booking_status: &str) -> Reply {
        Reply {
            status: Ok(status),
            body: json!({"booking": {"status": booking_status}}),
            latency: Duration::ZERO,
            retry_after: None,
            attempts: 1,
        }
    }

    fn waiting(n: i64) -> Vec<Placed> {
        (1..=n).map(|id| Placed { buyer: 0, booking: id * 10, confirmed: false, quantity: 1 }).collect()
    }

    #[test]
    fn every_second_of_the_first_two_lapses_lets_it_lapse() {
        let plan = OfferPlan::new(4, 2, 10).unwrap();
        let lapsing: Vec<usize> = (0..10).filter(|&p| plan.lapses_at(p)).collect();
        assert_eq!(lapsing, [1, 3]);
        assert_eq!(plan.offered(), 6);
        assert_eq!(plan.rounds(), 2, "the two lapses' seats go to places 4 and 5, who accept");
    }

    #[test]
    fn more_lapses_take_more_rounds() {
        // Places 0–3 offered; 1 and 3 lapse → 4 and 5 offered; 5 lapses → 6 offered, accepts.
        let plan = OfferPlan::new(4, 3, 10).unwrap();
        assert_eq!(plan.offered(), 7);
        assert_eq!(plan.rounds(), 3);
        assert_eq!(OfferPlan::new(4, 0, 4).unwrap().rounds(), 1);
    }

    #[test]
    fn a_plan_that_cannot_play_out_is_refused() {
        // With 4 and 4, place 7 is never offered: 1, 3 and 5 pass their seats to 4, 5 and 6.
        assert!(OfferPlan::new(4, 4, 10).is_err(), "as many lapses as cancels");
        assert!(OfferPlan::new(2, 3, 10).is_err(), "more lapses than cancels");
        assert!(OfferPlan::new(4, 2, 5).is_err(), "a line of 5 for 6 offers");
    }

    #[test]
    fn the_planned_end_has_no_violations_and_a_late_accept_is_caught() {
        let plan = OfferPlan::new(2, 1, 4).unwrap();
        let line = waiting(4);
        let accepts = [Some(reply(200, "CONFIRMED")), None, Some(reply(200, "CONFIRMED")), None];
        let finals =
            [reply(200, "CONFIRMED"), reply(200, "EXPIRED"), reply(200, "CONFIRMED"), reply(200, "PENDING")];
        let status = json!({"ticketsAvailable": 0, "waitingListCount": 1});
        assert_eq!(offer_churn(&plan, &line, &accepts, &finals, &status), Vec::<String>::new());

        let late = [Some(reply(200, "CONFIRMED")), None, Some(reply(409, "EXPIRED")), None];
        let violations = offer_churn(&plan, &line, &late, &finals, &status);
        assert!(violations.len() == 1 && violations[0].contains("booking 30 (place 2)"), "{violations:?}");
    }

    #[test]
    fn an_offer_past_the_plan_or_a_lapse_that_was_accepted_is_caught() {
        let plan = OfferPlan::new(2, 1, 4).unwrap();
        let line = waiting(4);
        let accepts = [Some(reply(200, "CONFIRMED")), Some(reply(200, "CONFIRMED")), None, None];
        let finals =
            [reply(200, "CONFIRMED"), reply(200, "CONFIRMED"), reply(200, "OFFERED"), reply(200, "OFFERED")];
        let status = json!({"ticketsAvailable": 0, "waitingListCount": 0});
        let violations = offer_churn(&plan, &line, &accepts, &finals, &status);
        assert!(violations.iter().any(|v| v.contains("accepted, though not planned")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("place 3) reads")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("waitingListCount")), "{violations:?}");
    }
}
