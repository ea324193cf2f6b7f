//! Serving an event's waiting line: who gets the seats that are free, in one decision the
//! adapter makes while it holds the event's exclusive guard (after a cancel, a raise of the
//! ticket limit, a declined or lapsed offer) and then writes.
//!
//! The line is served in line order. An entry is served when its whole quantity is free: a
//! booking is a group of seats, all or nothing. With an overtake limit `K` of 0 (the default)
//! this is strictly first come, first served — the head is served when it fits and nobody
//! behind it goes first, so seats may stay free while a group waits for its last seat. With
//! `K > 0` a later entry that fits may go ahead of an earlier one that does not, but no entry
//! is overtaken more than `K` times: once an entry that does not fit has been passed over `K`
//! times, the free seats are held for it and nobody behind it is served.

use crate::ids::BookingId;

/// One waiting booking, as the routine needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// The booking; the line is in its order.
    pub booking: BookingId,
    /// The seats it needs, all at once.
    pub quantity: u32,
    /// How often a later booking was served ahead of it.
    pub overtaken: u32,
}

/// What serving the line decided.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Serving {
    /// The bookings served, in line order.
    pub served: Vec<BookingId>,
    /// The bookings a served one went ahead of, each once per booking that did, in line order
    /// of the first time: their `overtaken` counts rise by as many.
    pub overtaken: Vec<(BookingId, u32)>,
    /// The seats the served bookings take.
    pub seats: u32,
}

/// How far into the line the routine must look: every entry up to the one it stops at. An
/// adapter that reads the line a page at a time asks again with a longer prefix while the
/// decision says it would have read on ([`Serving`] over a prefix is the same as over the whole
/// line when it stopped inside the prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// What to write.
    pub serving: Serving,
    /// Whether the routine stopped before the end of what it was given: a longer line changes
    /// nothing. `false` means it ran out of entries with seats still free and could go on.
    pub settled: bool,
}

/// Serves `line` (in line order) with `free` seats under the overtake limit `k`.
#[must_use]
pub fn serve(free: u32, k: u32, line: &[Waiting]) -> Decision {
    let mut free = free;
    let mut serving = Serving::default();
    // Entries passed over so far, with their overtake counts as they now stand.
    let mut passed: Vec<(BookingId, u32, u32)> = Vec::new();
    for entry in line {
        if free == 0 {
            return Decision { serving: finish(serving, &passed), settled: true };
        }
        if entry.quantity <= free {
            if passed.iter().any(|&(_, overtaken, _)| overtaken >= k) {
                return Decision { serving: finish(serving, &passed), settled: true };
            }
            free -= entry.quantity;
            serving.seats += entry.quantity;
            serving.served.push(entry.booking);
            for (_, overtaken, added) in &mut passed {
                *overtaken += 1;
                *added += 1;
            }
        } else if entry.overtaken >= k {
            return Decision { serving: finish(serving, &passed), settled: true };
        } else {
            passed.push((entry.booking, entry.overtaken, 0));
        }
    }
    let settled = free == 0;
    Decision { serving: finish(serving, &passed), settled }
}

fn finish(mut serving: Serving, passed: &[(BookingId, u32, u32)]) -> Serving {
    serving.overtaken = passed
        .iter()
        .filter(|&&(_, _, added)| added > 0)
        .map(|&(booking, _, added)| (booking, added))
        .collect();
    serving
}

/// An event's line as a transaction holding the event's exclusive guard sees it, through a
/// sequence of changes (a batch of cancels, a cancel then its serving): seats freed, bookings
/// leaving, the line served after each, as many times as the changes need, with what to write
/// gathered at the end. The entries may be only a prefix of the line (the adapter reads it a
/// page at a time); a step that would need more says so ([`ReadMore`]), and the adapter reads a
/// longer prefix and replays its changes on a fresh `Line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    free: u32,
    k: u32,
    entries: Vec<Waiting>,
    complete: bool,
    changes: LineChanges,
}

/// What a [`Line`]'s steps changed, for the adapter to write.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineChanges {
    /// Every booking served, in the order served.
    pub served: Vec<BookingId>,
    /// The seats the served bookings take.
    pub seats_served: u32,
    /// The bookings whose overtake count rose, with their counts now, by id.
    pub overtaken: Vec<(BookingId, u32)>,
}

/// A step needs more of the line than was read: read a longer prefix and start again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("serving the line needs more of it than was read")]
pub struct ReadMore;

impl Line {
    /// The line with `free` seats, overtake limit `k`, and `entries` (in line order), which
    /// hold the whole line when `complete`.
    #[must_use]
    pub const fn new(free: u32, k: u32, entries: Vec<Waiting>, complete: bool) -> Self {
        let changes = LineChanges { served: Vec::new(), seats_served: 0, overtaken: Vec::new() };
        Self { free, k, entries, complete, changes }
    }

    /// Free seats now.
    #[must_use]
    pub const fn free(&self) -> u32 {
        self.free
    }

    /// Seats given back (a confirmed booking cancelled).
    pub const fn release(&mut self, seats: u32) {
        self.free += seats;
    }

    /// A waiting booking leaves the line (cancelled, or replaced); nothing when it is not among
    /// the entries read, where it cannot affect a decision.
    pub fn leave(&mut self, booking: BookingId) {
        self.entries.retain(|entry| entry.booking != booking);
    }

    /// A waiting booking now waits for fewer seats, keeping its place.
    pub fn lower(&mut self, booking: BookingId, quantity: u32) {
        if let Some(entry) = self.entries.iter_mut().find(|entry| entry.booking == booking) {
            entry.quantity = quantity;
        }
    }

    /// Serves the line with the seats free now ([`serve`]); returns the bookings served.
    ///
    /// # Errors
    /// [`ReadMore`] when the decision depends on entries not read; nothing changed.
    pub fn serve(&mut self) -> Result<Vec<BookingId>, ReadMore> {
        let decision = serve(self.free, self.k, &self.entries);
        if !decision.settled && !self.complete {
            return Err(ReadMore);
        }
        let Serving { served, overtaken, seats } = decision.serving;
        self.free -= seats;
        self.changes.seats_served += seats;
        for (booking, added) in overtaken {
            if let Some(entry) = self.entries.iter_mut().find(|entry| entry.booking == booking) {
                entry.overtaken += added;
                let now = entry.overtaken;
                match self.changes.overtaken.iter_mut().find(|(b, _)| *b == booking) {
                    Some((_, count)) => *count = now,
                    None => self.changes.overtaken.push((booking, now)),
                }
            }
        }
        self.entries.retain(|entry| !served.contains(&entry.booking));
        self.changes.served.extend(&served);
        Ok(served)
    }

    /// A newcomer for `quantity` seats joins the back of the line as `booking` (an id after
    /// every entry's; an adapter that has not written it yet may pass a stand-in): it is served
    /// at once when nobody waits and its seats are free, or behind others where the overtake
    /// limit lets it pass them all ([`serve`] on the line with it at the back). Returns whether
    /// it was served; if not, it waits at the back. Its seats, when served, are taken from
    /// [`Line::free`] but not counted in [`LineChanges`], which are about the entries already
    /// waiting (the overtake counts it raised are among them).
    ///
    /// # Errors
    /// [`ReadMore`] when the answer depends on entries not read; nothing changed.
    pub fn arrive(&mut self, booking: BookingId, quantity: u32) -> Result<bool, ReadMore> {
        let newcomer = Waiting { booking, quantity, overtaken: 0 };
        if quantity > self.free {
            if self.complete {
                self.entries.push(newcomer);
            }
            // Not read to its end, the line has unread entries before the newcomer; any later
            // step that reaches the end of what was read asks for more.
            return Ok(false);
        }
        let mut with_newcomer = self.clone();
        with_newcomer.complete = true;
        with_newcomer.entries.push(newcomer);
        let served = with_newcomer.serve()?;
        if !served.contains(&booking) {
            // Stopped before reaching it, among the entries read: unread ones change nothing.
            if self.complete {
                *self = with_newcomer;
            }
            return Ok(false);
        }
        if !self.complete {
            // It passed every entry read, and entries not read wait between them and it.
            return Err(ReadMore);
        }
        with_newcomer.changes.served.retain(|&b| b != booking);
        with_newcomer.changes.seats_served -= quantity;
        *self = with_newcomer;
        Ok(true)
    }

    /// What the steps so far changed.
    #[must_use]
    pub fn changes(&self) -> &LineChanges {
        &self.changes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(entries: &[(i64, u32, u32)]) -> Vec<Waiting> {
        entries
            .iter()
            .map(|&(id, quantity, overtaken)| Waiting {
                booking: BookingId::new(id).unwrap(),
                quantity,
                overtaken,
            })
            .collect()
    }

    fn ids(raw: &[i64]) -> Vec<BookingId> {
        raw.iter().map(|&id| BookingId::new(id).unwrap()).collect()
    }

    #[test]
    fn first_come_first_served_holds_seats_for_a_head_that_does_not_fit() {
        let waiting = line(&[(1, 3, 0), (2, 1, 0)]);

        let one_free = serve(1, 0, &waiting);
        let three_free = serve(3, 0, &waiting);
        let four_free = serve(4, 0, &waiting);

        assert_eq!(one_free.serving, Serving::default(), "D(1) fits but may not pass G(3)");
        assert!(one_free.settled);
        assert_eq!((three_free.serving.served, three_free.serving.seats), (ids(&[1]), 3));
        assert_eq!((four_free.serving.served, four_free.serving.seats), (ids(&[1, 2]), 4));
    }

    #[test]
    fn with_an_overtake_limit_a_later_booking_may_pass_that_many_times_and_no_more() {
        // K = 1: G(3) at the head, D(1) and E(1) behind it.
        let first = serve(1, 1, &line(&[(1, 3, 0), (2, 1, 0)]));
        assert_eq!(first.serving.served, ids(&[2]), "D passes G once");
        assert_eq!(first.serving.overtaken, vec![(BookingId::new(1).unwrap(), 1)]);

        let held = serve(2, 1, &line(&[(1, 3, 1), (3, 1, 0)]));
        assert_eq!(held.serving, Serving::default(), "the seats are held for G, even from E");
        assert!(held.settled);

        let served = serve(3, 1, &line(&[(1, 3, 1), (3, 1, 0)]));
        assert_eq!(served.serving.served, ids(&[1]));
    }

    #[test]
    fn one_serving_may_overtake_an_entry_up_to_its_limit_and_then_stops() {
        // K = 2, 3 free: A(5) does not fit; B(1), C(1) pass it (its count reaches 2); D(1) may not.
        let decision = serve(3, 2, &line(&[(1, 5, 0), (2, 1, 0), (3, 1, 0), (4, 1, 0)]));
        assert_eq!(decision.serving.served, ids(&[2, 3]));
        assert_eq!(decision.serving.overtaken, vec![(BookingId::new(1).unwrap(), 2)]);
        assert!(decision.settled);
    }

    #[test]
    fn a_line_that_runs_out_with_seats_free_says_so() {
        let decision = serve(5, 0, &line(&[(1, 2, 0)]));
        assert_eq!(decision.serving.served, ids(&[1]));
        assert!(!decision.settled, "a longer line could take the rest");
        assert!(!serve(1, 0, &[]).settled);
        assert!(serve(0, 0, &line(&[(1, 1, 0)])).settled);
    }

    #[test]
    fn a_line_serves_after_each_step_and_gathers_what_to_write() {
        // K = 1, G(3) then D(1), nothing free.
        let mut waiting = Line::new(0, 1, line(&[(1, 3, 0), (2, 1, 0)]), true);
        waiting.release(1);
        assert_eq!(waiting.serve(), Ok(ids(&[2])), "D passes G");
        assert_eq!(waiting.arrive(BookingId::new(3).unwrap(), 1), Ok(false), "E may not pass G again");
        waiting.release(3);
        assert_eq!(waiting.serve(), Ok(ids(&[1])), "G is served, E waits behind");
        assert_eq!(waiting.free(), 0);
        waiting.release(1);
        assert_eq!(waiting.serve(), Ok(ids(&[3])));
        let changes = waiting.changes();
        assert_eq!((changes.served.clone(), changes.seats_served), (ids(&[2, 1, 3]), 5));
        assert_eq!(changes.overtaken, vec![(BookingId::new(1).unwrap(), 1)]);
    }

    #[test]
    fn a_prefix_of_the_line_asks_for_more_only_when_its_end_matters() {
        let mut prefix = Line::new(4, 0, line(&[(1, 1, 0)]), false);
        assert_eq!(prefix.serve(), Err(ReadMore), "seats are left for whoever comes next");
        let mut blocked = Line::new(2, 0, line(&[(1, 3, 0)]), false);
        assert_eq!(blocked.serve(), Ok(vec![]), "the head holds the seats");
        assert_eq!(blocked.arrive(BookingId::new(9).unwrap(), 1), Ok(false));
        let mut passable = Line::new(2, 1, line(&[(1, 3, 0)]), false);
        let arrival = passable.arrive(BookingId::new(9).unwrap(), 1);
        assert_eq!(arrival, Err(ReadMore), "others may wait behind the entries read");
        let mut whole = Line::new(2, 1, line(&[(1, 3, 0)]), true);
        assert_eq!(whole.arrive(BookingId::new(9).unwrap(), 1), Ok(true));
        assert_eq!(whole.changes().overtaken, vec![(BookingId::new(1).unwrap(), 1)]);
        assert_eq!(whole.changes().served, vec![], "the newcomer is the caller's to write");
        assert_eq!((whole.free(), whole.changes().seats_served), (1, 0));
    }

    #[test]
    fn leaving_and_lowering_change_what_the_line_can_serve() {
        let mut waiting = Line::new(2, 0, line(&[(1, 3, 0), (2, 2, 0)]), true);
        assert_eq!(waiting.serve(), Ok(vec![]));
        waiting.lower(BookingId::new(1).unwrap(), 2);
        assert_eq!(waiting.serve(), Ok(ids(&[1])));
        let mut left = Line::new(2, 0, line(&[(1, 3, 0), (2, 2, 0)]), true);
        left.leave(BookingId::new(1).unwrap());
        assert_eq!(left.serve(), Ok(ids(&[2])));
    }

    proptest::proptest! {
        /// The rules of the line as the guarantees state them, over any line: no more seats than
        /// are free, every served booking whole; a booking goes ahead of an earlier waiting one
        /// only while that one does not fit and has been passed fewer than K times; and when
        /// the routine stops with seats free, the waiting entry that stops it is one whose
        /// quantity does not fit and which may not be passed again (K = 0: the head).
        #[test]
        fn serving_keeps_the_line_rules(
            free in 0_u32..12,
            k in 0_u32..3,
            entries in proptest::collection::vec((1_u32..6, 0_u32..3), 0..12),
        ) {
            let waiting: Vec<Waiting> = entries
                .iter()
                .enumerate()
                .map(|(i, &(quantity, overtaken))| Waiting {
                    booking: BookingId::new(i64::try_from(i).unwrap() + 1).unwrap(),
                    quantity,
                    overtaken: overtaken.min(k),
                })
                .collect();
            let decision = serve(free, k, &waiting);
            let served = &decision.serving.served;

            proptest::prop_assert!(decision.serving.seats <= free);
            let mut left = free;
            let mut counts: Vec<u32> = waiting.iter().map(|w| w.overtaken).collect();
            for (i, entry) in waiting.iter().enumerate() {
                if served.contains(&entry.booking) {
                    proptest::prop_assert!(entry.quantity <= left, "served whole");
                    for (j, earlier) in waiting[..i].iter().enumerate() {
                        if !served.contains(&earlier.booking) {
                            proptest::prop_assert!(earlier.quantity > left, "passed one that fitted");
                            proptest::prop_assert!(counts[j] < k, "passed one more than K times");
                            counts[j] += 1;
                        }
                    }
                    left -= entry.quantity;
                }
            }
            proptest::prop_assert_eq!(decision.serving.seats, free - left);
            for (j, entry) in waiting.iter().enumerate() {
                let added = decision.serving.overtaken.iter().find(|(b, _)| *b == entry.booking).map_or(0, |(_, n)| *n);
                proptest::prop_assert_eq!(entry.overtaken + added, counts[j]);
            }
            let unserved: Vec<usize> = (0..waiting.len()).filter(|&i| !served.contains(&waiting[i].booking)).collect();
            if let Some(&first_fitting) = unserved.iter().find(|&&i| waiting[i].quantity <= left) {
                // Something that fits still waits: an earlier entry that does not fit holds
                // the seats, having been passed K times.
                let blocked = unserved
                    .iter()
                    .take_while(|&&i| i < first_fitting)
                    .any(|&i| waiting[i].quantity > left && counts[i] >= k);
                proptest::prop_assert!(blocked, "a seat left free while {first_fitting} fits: {decision:?}");
            }
        }
    }

    #[test]
    fn newcomers_wait_behind_a_group_that_does_not_fit_unless_they_may_pass_it() {
        // Two free, nobody waiting: A(3) waits; B(1) may not pass it with K = 0, may with K = 1.
        for (k, b_served) in [(0, false), (1, true)] {
            let mut line = Line::new(2, k, Vec::new(), true);
            assert_eq!(line.arrive(BookingId::new(1).unwrap(), 3), Ok(false));
            assert_eq!(line.arrive(BookingId::new(2).unwrap(), 1), Ok(b_served), "K = {k}");
            assert_eq!(line.arrive(BookingId::new(3).unwrap(), 1), Ok(false), "K = {k}: held for A");
        }
        let mut empty = Line::new(2, 0, Vec::new(), true);
        assert_eq!(empty.arrive(BookingId::new(1).unwrap(), 2), Ok(true));
        assert_eq!(empty.free(), 0);
    }
}
