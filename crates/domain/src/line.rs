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
}
