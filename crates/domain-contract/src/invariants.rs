//! The invariants of docs/ARCHITECTURE.md, recounted through the ports.

use std::collections::{BTreeMap, HashSet};

use domain::notice::{NoticeKind, NotificationData};
use domain::ports::Store;
use domain::{BookingId, BookingStatus, EventId, UserId};

use crate::fixtures::{bookings, settled};

/// Panics unless the event keeps I1–I5 with groups and offers: no more seats confirmed or
/// offered than its limit (I1), at most one live booking per user (I2), no seat left free that a waiting booking fits
/// unless an earlier one that does not fit holds it — with an overtake limit of 0, the head of
/// the line does not fit the free seats (I3), every seat given in line order as far as the
/// overtake limit allows (I4, replayed from the notices: [`assert_served_in_order`]), and the
/// seats waited for and the free seats equal to what the bookings say (I5).
pub async fn assert_invariants(store: &impl Store, event: EventId) {
    // A read shows a lapsed offer expired before any write has given its seats back: pass them
    // on first, as the next write of the event would, so the counters can be compared exactly.
    store.sweep_offers(u32::MAX).await.unwrap();
    let availability = store.availability(event).await.unwrap();
    let all = bookings(store, event).await;
    let limit = u64::from(availability.event.ticket_limit.get().unsigned_abs());
    let seats = |status| -> u64 {
        all.iter()
            .filter(|a| a.booking.booking.status == status)
            .map(|a| u64::from(a.booking.booking.quantity.get()))
            .sum()
    };
    let confirmed = seats(BookingStatus::Confirmed) + seats(BookingStatus::Offered);
    assert!(confirmed <= limit, "I1: {confirmed} seats confirmed or offered of {limit}");
    assert_eq!(
        u64::from(availability.seats_on_offer),
        seats(BookingStatus::Offered),
        "the seats on offer are the offered bookings'"
    );

    let mut live = HashSet::new();
    for attendee in all.iter().filter(|a| a.booking.booking.status.is_live()) {
        assert!(
            live.insert(attendee.booking.booking.user),
            "I2: user {} holds two live bookings",
            attendee.user.id
        );
    }

    let free = u64::from(availability.tickets_available);
    assert_eq!(free, limit - confirmed, "I5: the free seats are the limit less the seats held");
    assert_eq!(availability.waiting_list_count, seats(BookingStatus::Pending), "I5: the seats waited for");
    let line: Vec<(BookingId, u64)> = all
        .iter()
        .filter(|a| a.booking.booking.status == BookingStatus::Pending)
        .map(|a| (a.booking.booking.id, u64::from(a.booking.booking.quantity.get())))
        .collect();
    let k = availability.event.seating.overtake_limit.get();
    for (i, &(booking, quantity)) in line.iter().enumerate() {
        let held_by = line[..i].iter().find(|&&(_, ahead)| ahead > free);
        let stranded = quantity <= free && held_by.is_none();
        assert!(
            !stranded,
            "I3: {free} seats free while booking {booking} waits for {quantity} ({line:?}, K = {k})"
        );
    }
    let holders: Vec<UserId> = all.iter().map(|a| a.booking.booking.user).collect();
    assert_served_in_order(store, event, &holders, k).await;
    assert_history_adds_up(store, event).await;
}

/// Panics unless the event's history, replayed, agrees with its counters and its bookings
/// (every check of [`domain::history::integrity`]).
pub async fn assert_history_adds_up(store: &impl Store, event: EventId) {
    let trail = store.audit_trail(event).await.unwrap().expect("the event has a trail");
    let report = domain::history::integrity::check(&trail);
    let failed: Vec<_> = report.violations().collect();
    assert!(failed.is_empty(), "the history of event {event} does not add up: {failed:#?}");
}

/// I4 from what happened, not from a place in line computed now: replays the event's booking
/// notices — what `holders` were sent, in the order the changes were made — and panics when a
/// booking got its seats while an earlier one waited more often than the overtake limit `k`
/// allows (with `k` = 0: ever), whether it was served from the line or confirmed on arrival.
pub async fn assert_served_in_order(store: &impl Store, event: EventId, holders: &[UserId], k: u32) {
    let through = settled(store).await;
    let sent = store.for_recipients(0, through, holders).await.unwrap();
    // Each waiting booking, with how often a later one was served while it waited.
    let mut waiting: BTreeMap<BookingId, u32> = BTreeMap::new();
    for notice in &sent {
        let NotificationData::Booking(view) = &notice.data else { continue };
        if view.booking.event != event {
            continue;
        }
        let booking = view.booking.id;
        match notice.kind {
            NoticeKind::BookingWaitlisted => {
                waiting.insert(booking, 0);
            }
            NoticeKind::BookingPromoted | NoticeKind::BookingOffered | NoticeKind::BookingConfirmed => {
                waiting.remove(&booking);
                for (earlier, passed) in waiting.range_mut(..booking) {
                    *passed += 1;
                    assert!(
                        *passed <= k,
                        "I4: booking {booking} got its seats while {earlier}, ahead of it in line, \
                         waited; {earlier} was passed {passed} times, K = {k}"
                    );
                }
            }
            NoticeKind::BookingCancelled => {
                waiting.remove(&booking);
            }
            NoticeKind::EventUpdated
            | NoticeKind::EventCancelled
            | NoticeKind::BookingOfferExpired
            | NoticeKind::BookingAccepted
            | NoticeKind::BookingDeclined => {}
        }
    }
}
