//! What a stampede through a waiting room must show, from what the clients saw: one dense,
//! unique place per buyer; places given in the order joins were answered; and no admission
//! token before its place was reached, so none faster than the room's rate. Pure, like the rest
//! of `verify`, so the checks are unit-tested; each is O(n log n) in the buyers.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

/// How many examples a violation names.
const EXAMPLES: usize = 5;

/// One buyer's join as its client saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Join {
    pub buyer: usize,
    /// When the (first attempt of the) join was sent, from one instant common to every join.
    pub sent: Duration,
    /// When its (last attempt's) answer was in, from the same instant.
    pub answered: Duration,
    /// The place the answer gave; `None` when it gave none.
    pub position: Option<u64>,
}

/// One admission token as its client received it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    pub buyer: usize,
    /// The place the token's answer names.
    pub position: u64,
    /// When the answer was in, by the wall clock: the database's clock on this machine.
    pub received: DateTime<Utc>,
}

/// The room's admission schedule: place `p` is reached `p / rate` seconds after the sale's
/// start, by the database's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub sale_starts_at: DateTime<Utc>,
    /// Places reached a second.
    pub rate: u32,
    /// How far a receipt may fall before the reach it follows and still count as after it: the
    /// rounding of the start to the database's microseconds and of `p / rate` to ours. The
    /// clocks themselves are one (this machine's), and a token's answer leaves the server after
    /// the database read the time that let it through, so no skew needs allowing for.
    pub slack: Duration,
}

impl Schedule {
    /// When place `position` is reached (rounded down to the microsecond).
    #[must_use]
    pub fn reached_at(&self, position: u64) -> DateTime<Utc> {
        let micros = u128::from(position) * 1_000_000 / u128::from(self.rate.max(1));
        self.sale_starts_at + TimeDelta::microseconds(i64::try_from(micros).unwrap_or(i64::MAX))
    }

    /// How many places are reached by `at`, given [`Schedule::slack`]: `floor(rate × (at −
    /// start + slack))`.
    #[must_use]
    pub fn reached_by(&self, at: DateTime<Utc>) -> u64 {
        let since = at - self.sale_starts_at + TimeDelta::from_std(self.slack).unwrap_or(TimeDelta::zero());
        let micros = u128::try_from(since.num_microseconds().unwrap_or(i64::MAX)).unwrap_or(0);
        u64::try_from(micros * u128::from(self.rate) / 1_000_000).unwrap_or(u64::MAX)
    }
}

/// Every join got a place, and the places are exactly `1..=joins.len()`: none twice, none
/// skipped.
#[must_use]
pub fn positions(joins: &[Join]) -> Vec<String> {
    let mut violations = Vec::new();
    let without: Vec<usize> = joins.iter().filter(|j| j.position.is_none()).map(|j| j.buyer).collect();
    if !without.is_empty() {
        violations.push(format!(
            "{} join(s) answered without a place, buyers {:?}",
            without.len(),
            first(&without)
        ));
    }
    let mut places: Vec<u64> = joins.iter().filter_map(|j| j.position).collect();
    places.sort_unstable();
    let twice: Vec<u64> = places.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    if !twice.is_empty() {
        violations.push(format!("{} place(s) given twice: {:?}", twice.len(), first(&twice)));
    }
    places.dedup();
    let n = u64::try_from(joins.len()).unwrap_or(u64::MAX);
    let outside: Vec<u64> = places.iter().copied().filter(|p| !(1..=n).contains(p)).collect();
    if !outside.is_empty() {
        violations.push(format!("{} place(s) outside 1..={n}: {:?}", outside.len(), first(&outside)));
    }
    let mut skipped = Vec::new();
    let mut given = places.iter().peekable();
    for p in 1..=n {
        while given.next_if(|&&g| g < p).is_some() {}
        if given.next_if_eq(&&p).is_none() {
            skipped.push(p);
        }
    }
    if !skipped.is_empty() {
        violations.push(format!(
            "{} place(s) of 1..={n} given to nobody: {:?}",
            skipped.len(),
            first(&skipped)
        ));
    }
    violations
}

/// Whenever a join was answered before another was sent, its place is the lower: the service
/// numbers places in the order it answers joins. Sweeps the joins by send time, keeping the
/// highest place among those answered before.
#[must_use]
pub fn join_order(joins: &[Join]) -> Vec<String> {
    let placed: Vec<(&Join, u64)> = joins.iter().filter_map(|j| Some((j, j.position?))).collect();
    let mut by_answer = placed.clone();
    by_answer.sort_by_key(|(j, _)| j.answered);
    let mut by_send = placed;
    by_send.sort_by_key(|(j, _)| j.sent);
    let mut answered = by_answer.iter().peekable();
    let mut highest: Option<(&Join, u64)> = None;
    let mut inversions = Vec::new();
    for &(later, place) in &by_send {
        while let Some(&(earlier, earlier_place)) = answered.next_if(|(j, _)| j.answered < later.sent) {
            if highest.is_none_or(|(_, p)| earlier_place > p) {
                highest = Some((earlier, earlier_place));
            }
        }
        if let Some((earlier, earlier_place)) = highest
            && earlier_place >= place
        {
            inversions.push(format!(
                "buyer {} (place {earlier_place}, answered at {:.1} ms) before buyer {} was sent \
                 (at {:.1} ms, place {place})",
                earlier.buyer,
                ms(earlier.answered),
                later.buyer,
                ms(later.sent)
            ));
        }
    }
    if inversions.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "{} join(s) placed no later than one answered before they were sent, e.g. {}",
        inversions.len(),
        first(&inversions).join("; ")
    )]
}

/// Each buyer's token names the place its join gave it, and no place has two tokens.
#[must_use]
pub fn tokens_match_places(joins: &[Join], admissions: &[Admission]) -> Vec<String> {
    let places: HashMap<usize, Option<u64>> = joins.iter().map(|j| (j.buyer, j.position)).collect();
    let mismatched: Vec<String> = admissions
        .iter()
        .filter(|a| places.get(&a.buyer).copied().flatten() != Some(a.position))
        .map(|a| {
            format!("buyer {}: token for place {}, joined at {:?}", a.buyer, a.position, places.get(&a.buyer))
        })
        .collect();
    let mut violations = Vec::new();
    if !mismatched.is_empty() {
        violations.push(format!(
            "{} token(s) for another place than the join's: {}",
            mismatched.len(),
            first(&mismatched).join("; ")
        ));
    }
    let mut tokened: Vec<u64> = admissions.iter().map(|a| a.position).collect();
    tokened.sort_unstable();
    let twice: Vec<u64> = tokened.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    if !twice.is_empty() {
        violations.push(format!("{} place(s) with two tokens: {:?}", twice.len(), first(&twice)));
    }
    violations
}

/// No token before its place was reached: each received no earlier than its place's reach
/// ([`Schedule::reached_at`], less the slack); and so, counted the way the issue states it, the
/// `k`-th token received (by time) came when at least `k − 1` places were reached — never
/// faster than the rate plus one.
#[must_use]
pub fn admissions(schedule: &Schedule, admissions: &[Admission]) -> Vec<String> {
    let mut violations = Vec::new();
    let slack = TimeDelta::from_std(schedule.slack).unwrap_or(TimeDelta::zero());
    let early: Vec<String> = admissions
        .iter()
        .filter(|a| a.received + slack < schedule.reached_at(a.position))
        .map(|a| {
            let before = schedule.reached_at(a.position) - a.received;
            format!(
                "buyer {} got the token of place {} {:.1} ms before it was reached",
                a.buyer,
                a.position,
                before.num_microseconds().map_or(f64::MAX, ms_of_micros)
            )
        })
        .collect();
    if !early.is_empty() {
        violations.push(format!(
            "{} token(s) before their place was reached: {}",
            early.len(),
            first(&early).join("; ")
        ));
    }
    let mut received: Vec<DateTime<Utc>> = admissions.iter().map(|a| a.received).collect();
    received.sort_unstable();
    let too_fast: Vec<String> = (1_u64..)
        .zip(&received)
        .filter(|&(k, &at)| k > schedule.reached_by(at).saturating_add(1))
        .map(|(k, at)| {
            let after = (*at - schedule.sale_starts_at).num_microseconds().map_or(f64::MAX, ms_of_micros);
            format!("token {k} at {after:.1} ms, when {} places were reached", schedule.reached_by(*at))
        })
        .collect();
    if !too_fast.is_empty() {
        violations.push(format!(
            "{} token(s) faster than {} a second plus one: {}",
            too_fast.len(),
            schedule.rate,
            first(&too_fast).join("; ")
        ));
    }
    violations
}

fn first<T: Clone>(items: &[T]) -> Vec<T> {
    items.iter().take(EXAMPLES).cloned().collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn ms_of_micros(us: i64) -> f64 {
    f64::from(i32::try_from(us).unwrap_or(i32::MAX)) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(buyer: usize, sent_ms: u64, answered_ms: u64, position: Option<u64>) -> Join {
        Join {
            buyer,
            sent: Duration::from_millis(sent_ms),
            answered: Duration::from_millis(answered_ms),
            position,
        }
    }

    fn start() -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + TimeDelta::days(20_000)
    }

    fn admitted(buyer: usize, position: u64, after_ms: i64) -> Admission {
        Admission { buyer, position, received: start() + TimeDelta::milliseconds(after_ms) }
    }

    fn schedule(rate: u32) -> Schedule {
        Schedule { sale_starts_at: start(), rate, slack: Duration::from_millis(1) }
    }

    #[test]
    fn dense_unique_places_pass_and_gaps_repeats_and_strays_are_caught() {
        let joins = [join(0, 0, 5, Some(2)), join(1, 0, 6, Some(1)), join(2, 1, 7, Some(3))];
        assert_eq!(positions(&joins), Vec::<String>::new());
        let broken =
            [join(0, 0, 5, Some(2)), join(1, 0, 6, Some(2)), join(2, 1, 7, Some(9)), join(3, 1, 7, None)];
        let violations = positions(&broken);
        assert!(violations.iter().any(|v| v.contains("without a place, buyers [3]")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("given twice: [2]")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("outside 1..=4: [9]")), "{violations:?}");
        assert!(violations.iter().any(|v| v.contains("given to nobody: [1, 3, 4]")), "{violations:?}");
    }

    #[test]
    fn overlapping_joins_may_take_either_order_but_one_answered_first_is_ahead() {
        // 0 and 1 overlap: either order is right. 2 was sent after both were answered.
        let fine = [join(0, 0, 10, Some(2)), join(1, 1, 9, Some(1)), join(2, 11, 20, Some(3))];
        assert_eq!(join_order(&fine), Vec::<String>::new());
        let passed = [join(0, 0, 10, Some(3)), join(1, 1, 9, Some(1)), join(2, 11, 20, Some(2))];
        let violations = join_order(&passed);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(
            violations[0].starts_with("1 join(s)") && violations[0].contains("buyer 0 (place 3"),
            "{violations:?}"
        );
    }

    #[test]
    fn a_token_for_another_place_or_a_place_tokened_twice_is_caught() {
        let joins = [join(0, 0, 1, Some(1)), join(1, 0, 1, Some(2))];
        assert!(tokens_match_places(&joins, &[admitted(0, 1, 10), admitted(1, 2, 10)]).is_empty());
        let violations = tokens_match_places(&joins, &[admitted(0, 2, 10), admitted(1, 2, 10)]);
        assert_eq!(violations.len(), 2, "{violations:?}");
    }

    #[test]
    fn tokens_at_the_rate_pass_and_an_early_one_is_caught() {
        // 10 a second: place p is reached at 100·p ms.
        let on_time: Vec<Admission> =
            (1..=20).map(|p| admitted(0, p, 100 * i64::try_from(p).unwrap() + 3)).collect();
        assert_eq!(admissions(&schedule(10), &on_time), Vec::<String>::new());
        let just_within = [admitted(0, 5, 499)];
        assert_eq!(admissions(&schedule(10), &just_within), Vec::<String>::new(), "within the slack");
        let early = [admitted(0, 5, 450)];
        let violations = admissions(&schedule(10), &early);
        assert!(violations[0].contains("place 5 50.0 ms before it was reached"), "{violations:?}");
    }

    #[test]
    fn tokens_faster_than_the_rate_plus_one_are_caught_whatever_places_they_name() {
        // Three tokens at 150 ms when one place was reached, each naming that place (as a
        // broken server might): none early, but one more than the rate allows plus one.
        let burst = [admitted(0, 1, 150), admitted(1, 1, 150), admitted(2, 1, 150)];
        let violations = admissions(&schedule(10), &burst);
        assert_eq!(violations.len(), 1, "{violations:?}");
        assert!(violations[0].starts_with("1 token(s) faster than 10 a second plus one"), "{violations:?}");
        assert_eq!(admissions(&schedule(10), &burst[..2]), Vec::<String>::new());
    }
}
