//! Following the outbox without skipping anything.
//!
//! Notification ids are drawn when a notice is written but become visible when its
//! transaction commits, so id 104 may appear after 105 has been read. A reader that moved its
//! cursor past 105 would never see 104. The watermark is the highest id below which nothing can
//! still appear: it moves over visible ids, and over a missing one only once every writer that
//! could still hold it has finished (then it was rolled back). Readers show nothing above it.
//!
//! "Every writer that could hold it": writers are numbered by the store (PostgreSQL's
//! transaction ids) and get their number before they draw a notification id. A gap seen while
//! `next_writer` was N can only belong to a writer numbered below N; once the oldest running
//! writer is numbered N or above, all of those have finished.

/// What the store shows a reader at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// The visible ids above the watermark, ascending (a bounded batch of them).
    pub ids: Vec<i64>,
    /// The number of the oldest writer still running (or of the next one, when none runs).
    pub oldest_running: u64,
    /// The number the next writer will get.
    pub next_writer: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
/// A reader's place in the outbox: nothing at or below [`Watermark::settled_through`] can still
/// appear.
pub struct Watermark {
    /// Ids up to here have been walked over.
    walked: i64,
    /// The first missing id above `walked`, and `next_writer` when it was first seen missing.
    gap: Option<(i64, u64)>,
    /// Set when starting mid-stream: `walked` is trusted once the oldest running writer is
    /// numbered at least this (every writer that could hold an id below it has finished).
    untrusted_until: Option<u64>,
}

impl Watermark {
    /// Starts after `newest`, the highest id visible when `next_writer` was the next number;
    /// nothing is settled until the writers that were running then have finished.
    #[must_use]
    pub const fn starting_after(newest: i64, next_writer: u64) -> Self {
        Self { walked: newest, gap: None, untrusted_until: Some(next_writer) }
    }

    /// Resumes a watermark that was saved with [`Self::walked`] and [`Self::gap`] (by a relay
    /// that keeps its place in the store); trusted, since it was built from the start.
    #[must_use]
    pub const fn resume(walked: i64, gap: Option<(i64, u64)>) -> Self {
        Self { walked, gap, untrusted_until: None }
    }

    /// The first missing id above [`Self::walked`] and the next writer's number when it was
    /// first seen missing, to be saved with it.
    #[must_use]
    pub const fn gap(&self) -> Option<(i64, u64)> {
        self.gap
    }

    /// Every id up to this one is settled: visible now, or never going to be. `0` until the
    /// first settlement proves the start.
    #[must_use]
    pub const fn settled_through(&self) -> i64 {
        if self.untrusted_until.is_some() { 0 } else { self.walked }
    }

    /// Where the next settlement's ids start (exclusive).
    #[must_use]
    pub const fn walked(&self) -> i64 {
        self.walked
    }

    /// Whether a missing id holds the watermark back: then it is worth asking again soon,
    /// even if nothing new is written.
    #[must_use]
    pub const fn waiting(&self) -> bool {
        self.gap.is_some() || self.untrusted_until.is_some()
    }

    /// Moves over what `now` shows; returns whether [`Self::settled_through`] moved.
    pub fn advance(&mut self, now: &Settlement) -> bool {
        let before = self.settled_through();
        if self.untrusted_until.is_some_and(|writer| now.oldest_running >= writer) {
            self.untrusted_until = None;
        }
        let mut next = self.walked.saturating_add(1);
        for &id in &now.ids {
            if id < next {
                continue;
            }
            if id > next {
                match self.gap {
                    Some((start, seen)) if start == next && now.oldest_running >= seen => {
                        self.gap = None;
                    }
                    Some((start, _)) if start == next => break,
                    _ => {
                        self.gap = Some((next, now.next_writer));
                        break;
                    }
                }
            }
            next = id.saturating_add(1);
        }
        self.walked = next.saturating_sub(1);
        if self.gap.is_some_and(|(start, _)| start <= self.walked) {
            self.gap = None;
        }
        self.settled_through() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ids: &[i64], oldest_running: u64, next_writer: u64) -> Settlement {
        Settlement { ids: ids.to_vec(), oldest_running, next_writer }
    }

    fn trusted(walked: i64) -> Watermark {
        let mut mark = Watermark::starting_after(walked, 1);
        mark.advance(&at(&[], 1, 1));
        mark
    }

    #[test]
    fn nothing_is_settled_until_the_writers_running_at_the_start_have_finished() {
        let mut mark = Watermark::starting_after(40, 100);
        assert_eq!(mark.settled_through(), 0);
        assert!(!mark.advance(&at(&[], 99, 101)));
        assert!(mark.waiting());
        assert!(mark.advance(&at(&[41], 100, 101)));
        assert_eq!(mark.settled_through(), 41);
    }

    #[test]
    fn contiguous_ids_are_walked_over_at_once() {
        let mut mark = trusted(10);
        assert!(mark.advance(&at(&[11, 12, 13], 5, 9)));
        assert_eq!(mark.settled_through(), 13);
        assert!(!mark.waiting());
    }

    #[test]
    fn a_missing_id_holds_the_mark_until_it_appears() {
        let mut mark = trusted(10);
        mark.advance(&at(&[11, 13, 14], 5, 9));
        assert_eq!(mark.settled_through(), 11, "12 may still commit");
        assert!(mark.waiting());
        mark.advance(&at(&[12, 13, 14], 6, 9));
        assert_eq!(mark.settled_through(), 14);
        assert!(!mark.waiting());
    }

    #[test]
    fn a_missing_id_is_passed_once_every_writer_that_could_hold_it_has_finished() {
        let mut mark = trusted(10);
        mark.advance(&at(&[12], 5, 9));
        assert_eq!(mark.settled_through(), 10);
        mark.advance(&at(&[12, 13], 8, 12));
        assert_eq!(mark.settled_through(), 10, "writer 8 could still hold 11");
        mark.advance(&at(&[12, 13], 9, 12));
        assert_eq!(mark.settled_through(), 13, "every writer below 9 has finished: 11 rolled back");
    }

    #[test]
    fn a_resumed_mark_keeps_waiting_on_its_saved_gap() {
        let mut first = trusted(10);
        first.advance(&at(&[12], 5, 9));
        let mut resumed = Watermark::resume(first.walked(), first.gap());
        assert_eq!(resumed, first);
        resumed.advance(&at(&[12], 8, 30));
        assert_eq!(resumed.settled_through(), 10, "still timed from when it was first seen");
        resumed.advance(&at(&[12], 9, 30));
        assert_eq!(resumed.settled_through(), 12);
    }

    #[test]
    fn a_later_gap_is_timed_from_when_it_is_first_seen() {
        let mut mark = trusted(10);
        mark.advance(&at(&[12, 14], 5, 9));
        mark.advance(&at(&[12, 14], 9, 20));
        assert_eq!(mark.settled_through(), 12, "11 passed; 13 first seen missing now");
        mark.advance(&at(&[14], 19, 21));
        assert_eq!(mark.settled_through(), 12);
        mark.advance(&at(&[14], 20, 21));
        assert_eq!(mark.settled_through(), 14);
    }
}
