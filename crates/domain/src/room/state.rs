use chrono::{DateTime, Utc};

use super::{RoomError, RoomSettings, Serving};
use crate::ids::EventId;

/// An event's room as the store read it, with the store's clock at that read: every answer
/// about it is computed from these numbers and that moment, so instances agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    /// Whose room.
    pub event: EventId,
    /// As the organizer set it.
    pub settings: RoomSettings,
    /// The count of places reached.
    pub serving: Serving,
    /// The highest position given so far: places are exactly `1..=numbered`.
    pub numbered: u64,
    /// Everyone who joined, numbered or still waiting for the draw.
    pub joined: u64,
    /// Whether a shuffled room has numbered its early arrivals.
    pub drawn: bool,
    /// The store's clock when it was read.
    pub now: DateTime<Utc>,
}

/// One account's place in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// Its number; `None` until the draw for an early arrival in a shuffled room.
    pub position: Option<u64>,
    /// When it was reached, once the count changed course past it (a new rate, a pause, a
    /// batch let in): the count from then on no longer says.
    pub reached_at: Option<DateTime<Utc>>,
    /// When its holder was first given an admission token: from then on the place is used.
    pub token_issued_at: Option<DateTime<Utc>>,
}

/// Where a place stands at the room's moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Joined a shuffled room before its start: numbered by the draw at `draw_at`.
    Drawing {
        /// When the sale starts and the draw is made.
        draw_at: DateTime<Utc>,
    },
    /// Not reached yet.
    Waiting {
        /// The place.
        position: u64,
        /// Places still to be reached before it.
        ahead: u64,
        /// When it will be reached at the current rate; `None` while the room is paused.
        reached_at: Option<DateTime<Utc>>,
    },
    /// Reached: its holder may be given a token, until `until`.
    Admitted {
        /// The place.
        position: u64,
        /// When it was reached.
        at: DateTime<Utc>,
        /// The end of its validity, or once a token was issued, of that token's life.
        until: DateTime<Utc>,
    },
    /// Reached and left unused past its validity, or its token's life is over.
    Expired {
        /// The place.
        position: u64,
    },
}

impl Room {
    /// Whether people may join.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.now >= self.settings.opens_at
    }

    /// Whether the sale has started: places are being reached.
    #[must_use]
    pub fn has_started(&self) -> bool {
        self.now >= self.settings.sale_starts_at
    }

    /// Whether early arrivals wait for a draw that is due: the first write after the start
    /// makes it.
    #[must_use]
    pub fn needs_draw(&self) -> bool {
        self.settings.shuffle && !self.drawn && self.has_started()
    }

    /// Whether a join now waits for the draw rather than taking the next number.
    #[must_use]
    pub fn joins_the_draw(&self) -> bool {
        self.settings.shuffle && !self.has_started()
    }

    /// The highest place reached that someone holds: what the room shows as "now serving". It
    /// never goes back, and never runs past the line into numbers nobody has.
    #[must_use]
    pub fn serving_number(&self) -> u64 {
        self.serving.at(self.now).min(self.numbered)
    }

    /// The count restarted at the back of the line when it has run past everyone in it, so
    /// that whoever joins an idle room later is still let in at the rate, not all at once;
    /// `None` while the count is behind the line (or paused, or before the start).
    #[must_use]
    pub fn caught_up(&self) -> Option<Serving> {
        let ahead_of_line =
            self.has_started() && !self.serving.paused && self.serving.at(self.now) > self.numbered;
        ahead_of_line.then_some(Serving { base_pos: self.numbered, base_at: self.now, ..self.serving })
    }

    /// A new room for `event` as `settings` say, read at `now`: nobody joined yet, the count
    /// starting at the sale's start.
    #[must_use]
    pub const fn new(event: EventId, settings: RoomSettings, now: DateTime<Utc>) -> Self {
        Self {
            event,
            settings,
            serving: Serving::starting(settings.sale_starts_at, settings.rate),
            numbered: 0,
            joined: 0,
            drawn: false,
            now,
        }
    }

    /// `settings` in place of the room's own, the count starting afresh at the new start: only
    /// before the sale starts, and keeping whether early arrivals are shuffled once anyone has
    /// joined.
    ///
    /// # Errors
    /// [`RoomError::Started`] or [`RoomError::ShuffleFixed`], and the room is left as it was.
    pub fn resettle(&mut self, settings: RoomSettings) -> Result<(), RoomError> {
        if self.has_started() {
            return Err(RoomError::Started);
        }
        if self.joined > 0 && settings.shuffle != self.settings.shuffle {
            return Err(RoomError::ShuffleFixed);
        }
        self.serving = Serving::starting(settings.sale_starts_at, settings.rate);
        self.settings = settings;
        Ok(())
    }

    /// Where `place` stands now.
    #[must_use]
    pub fn standing(&self, place: &Place) -> Standing {
        let Some(position) = place.position else {
            return Standing::Drawing { draw_at: self.settings.sale_starts_at };
        };
        let reached = if position <= self.serving.base_pos {
            Some(place.reached_at.unwrap_or(self.serving.base_at))
        } else {
            self.serving.reached_by(position, self.now)
        };
        let Some(at) = reached else {
            return Standing::Waiting {
                position,
                ahead: position - self.serving.at(self.now) - 1,
                reached_at: self.serving.reached_at(position),
            };
        };
        let until = match place.token_issued_at {
            Some(issued) => issued + self.settings.token_ttl,
            None => at + self.settings.place_validity,
        };
        if self.now < until {
            Standing::Admitted { position, at, until }
        } else {
            Standing::Expired { position }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::room::AdmissionRate;

    fn t(seconds: i64) -> DateTime<Utc> {
        DateTime::UNIX_EPOCH + Duration::days(20_000) + Duration::seconds(seconds)
    }

    fn room(now: i64) -> Room {
        let rate = AdmissionRate::new(10).unwrap();
        let settings = RoomSettings::new(t(-60), t(0), rate).unwrap();
        Room {
            event: EventId::new(1).unwrap(),
            settings: RoomSettings { place_validity: Duration::seconds(60), ..settings },
            serving: Serving::starting(t(0), rate),
            numbered: 100,
            joined: 100,
            drawn: false,
            now: t(now),
        }
    }

    fn numbered(position: u64) -> Place {
        Place { position: Some(position), reached_at: None, token_issued_at: None }
    }

    #[test]
    fn a_place_waits_then_is_valid_for_a_while_then_expires_unused() {
        assert_eq!(
            room(1).standing(&numbered(25)),
            Standing::Waiting {
                position: 25,
                ahead: 14,
                reached_at: Some(t(2) + Duration::milliseconds(500))
            }
        );
        let reached = t(2) + Duration::milliseconds(500);
        assert_eq!(
            room(3).standing(&numbered(25)),
            Standing::Admitted { position: 25, at: reached, until: reached + Duration::seconds(60) }
        );
        assert_eq!(room(63).standing(&numbered(25)), Standing::Expired { position: 25 });
    }

    #[test]
    fn a_used_place_lasts_as_long_as_its_token_and_a_place_reached_before_a_rebase_keeps_its_time() {
        let mut later = room(1_000);
        later.serving = Serving { base_pos: 50, base_at: t(900), ..later.serving };
        let used = Place { token_issued_at: Some(t(990)), reached_at: Some(t(2)), ..numbered(20) };
        let until = t(990) + later.settings.token_ttl;
        assert_eq!(later.standing(&used), Standing::Admitted { position: 20, at: t(2), until });
        let unused = Place { reached_at: Some(t(2)), ..numbered(20) };
        assert_eq!(later.standing(&unused), Standing::Expired { position: 20 }, "not revived by the rebase");
    }

    #[test]
    fn the_serving_number_stays_within_the_line_and_an_idle_room_restarts_at_its_back() {
        let busy = room(5);
        assert_eq!((busy.serving_number(), busy.caught_up()), (50, None));
        let idle = room(20);
        assert_eq!(idle.serving_number(), 100);
        let restarted = idle.caught_up().unwrap();
        assert_eq!((restarted.base_pos, restarted.base_at, restarted.at(t(21))), (100, t(20), 110));
        assert_eq!(room(-1).caught_up(), None, "not before the start");
    }

    #[test]
    fn settings_change_only_before_the_start_and_shuffle_only_before_anyone_joins() {
        let mut before = room(-10);
        let faster = RoomSettings { rate: AdmissionRate::new(20).unwrap(), ..before.settings };
        before.resettle(faster).unwrap();
        assert_eq!(before.serving.rate.get(), 20);
        assert!(matches!(room(0).resettle(faster), Err(RoomError::Started)));
        let shuffled = RoomSettings { shuffle: true, ..before.settings };
        assert!(matches!(before.resettle(shuffled), Err(RoomError::ShuffleFixed)));
        assert_eq!(before.serving.rate.get(), 20, "left as it was");
        assert!(Room { joined: 0, ..before }.resettle(shuffled).is_ok());
    }

    #[test]
    fn early_arrivals_in_a_shuffled_room_wait_for_the_draw_at_the_start() {
        let mut before = room(-10);
        before.settings.shuffle = true;
        assert!(before.joins_the_draw() && !before.needs_draw());
        let unnumbered = Place { position: None, reached_at: None, token_issued_at: None };
        assert_eq!(before.standing(&unnumbered), Standing::Drawing { draw_at: t(0) });
        let after = Room { now: t(0), ..before };
        assert!(after.needs_draw() && !after.joins_the_draw());
        assert!(!Room { drawn: true, ..after }.needs_draw());
    }
}
