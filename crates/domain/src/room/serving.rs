use chrono::{DateTime, Duration, Utc};

use super::AdmissionRate;

/// The room's serving number as a function of time: every place up to `base_pos` was reached by
/// `base_at`, and from then on `rate` more each second, unless paused. What the store keeps of
/// it is these three numbers and the flag; what it is at a moment is computed here, with the
/// store's clock, so no worker ticks it and every instance computes the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Serving {
    /// Every place up to this one was reached by `base_at`.
    pub base_pos: u64,
    /// When the count last changed course (the start, a new rate, a pause, a batch let in).
    pub base_at: DateTime<Utc>,
    /// Places reached a second after `base_at`.
    pub rate: AdmissionRate,
    /// A paused room reaches no one past `base_pos`.
    pub paused: bool,
}

impl Serving {
    /// The room as the sale starts: nobody reached yet, `rate` a second from `start`.
    #[must_use]
    pub const fn starting(start: DateTime<Utc>, rate: AdmissionRate) -> Self {
        Self { base_pos: 0, base_at: start, rate, paused: false }
    }

    /// The highest place reached at `now` (0: none yet).
    #[must_use]
    pub fn at(&self, now: DateTime<Utc>) -> u64 {
        if self.paused || now <= self.base_at {
            return self.base_pos;
        }
        let micros = u128::try_from((now - self.base_at).num_microseconds().unwrap_or(i64::MAX)).unwrap_or(0);
        let reached = micros * u128::from(self.rate.get()) / 1_000_000;
        self.base_pos.saturating_add(u64::try_from(reached).unwrap_or(u64::MAX))
    }

    /// When `position` is (or was) reached: at `base_at` or before for a place up to `base_pos`,
    /// else `base_at` plus its share of seconds at the rate; `None` while paused past it.
    #[must_use]
    pub fn reached_at(&self, position: u64) -> Option<DateTime<Utc>> {
        if position <= self.base_pos {
            return Some(self.base_at);
        }
        if self.paused {
            return None;
        }
        // The first moment `at` says `position`: ceil((position − base) / rate) in microseconds.
        let places = u128::from(position - self.base_pos);
        let micros = (places * 1_000_000).div_ceil(u128::from(self.rate.get()));
        let micros = i64::try_from(micros).ok()?;
        self.base_at.checked_add_signed(Duration::microseconds(micros))
    }

    /// When `position` was reached, if it was by `now`.
    #[must_use]
    pub fn reached_by(&self, position: u64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if position > self.at(now) {
            return None;
        }
        self.reached_at(position)
    }

    /// The count from `now` on, at `rate`, paused or not, with `bump` more places reached at
    /// once: the base rewritten at the current value, so nothing reached is unreached.
    #[must_use]
    pub fn rebased(&self, now: DateTime<Utc>, rate: AdmissionRate, paused: bool, bump: u64) -> Self {
        let base_at = if now > self.base_at { now } else { self.base_at };
        Self { base_pos: self.at(now).saturating_add(bump), base_at, rate, paused }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: f64) -> DateTime<Utc> {
        #[expect(clippy::cast_possible_truncation, reason = "test times are small")]
        let micros = (seconds * 1_000_000.0) as i64;
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::microseconds(micros)
    }

    fn rate(n: i64) -> AdmissionRate {
        AdmissionRate::new(n).unwrap()
    }

    #[test]
    fn serving_moves_with_time_at_the_rate_and_not_before_the_start() {
        let room = Serving::starting(t(0.0), rate(500));
        assert_eq!(room.at(t(-5.0)), 0);
        assert_eq!(room.at(t(0.0)), 0);
        assert_eq!(room.at(t(0.001)), 0);
        assert_eq!(room.at(t(0.002)), 1);
        assert_eq!(room.at(t(1.0)), 500);
        assert_eq!(room.at(t(20.0)), 10_000);
    }

    #[test]
    fn a_place_is_reached_exactly_when_serving_says_so() {
        let room = Serving::starting(t(0.0), rate(3));
        for position in 1..50 {
            let at = room.reached_at(position).unwrap();
            assert_eq!(room.at(at), position, "{position} reached at {at}");
            assert!(room.at(at - Duration::microseconds(1)) < position, "not before");
        }
    }

    #[test]
    fn a_place_is_reached_by_a_moment_or_not() {
        let room = Serving::starting(t(0.0), rate(10));
        assert_eq!(room.reached_by(25, t(2.4)), None);
        assert_eq!(room.reached_by(25, t(2.5)), Some(t(2.5)));
        assert_eq!(room.reached_by(25, t(100.0)), Some(t(2.5)));
    }

    #[test]
    fn a_pause_holds_the_count_and_a_new_rate_or_a_batch_moves_it_on_from_where_it_was() {
        let room = Serving::starting(t(0.0), rate(10));
        let paused = room.rebased(t(2.0), rate(10), true, 0);
        assert_eq!((paused.at(t(2.0)), paused.at(t(100.0))), (20, 20));
        assert_eq!((paused.reached_by(30, t(50.0)), paused.reached_at(30)), (None, None));
        let resumed = paused.rebased(t(100.0), rate(100), false, 5);
        assert_eq!(resumed.at(t(100.0)), 25, "a batch of five let in at once");
        assert_eq!(resumed.at(t(101.0)), 125, "then the new rate");
        for (before, after) in [(room, paused), (paused, resumed)] {
            assert!(after.at(after.base_at) >= before.at(after.base_at), "nothing reached is unreached");
        }
    }
}
