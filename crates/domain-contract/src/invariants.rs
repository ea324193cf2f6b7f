//! The invariants of docs/ARCHITECTURE.md, recounted through the ports.

use std::collections::{BTreeSet, HashSet};

use domain::notice::{NoticeKind, NotificationData};
use domain::ports::Store;
use domain::{BookingId, BookingStatus, EventId, UserId};

use crate::fixtures::{bookings, settled};

/// Panics unless the event keeps I1–I5: no more confirmed bookings than its limit (I1), at most
/// one live booking per user (I2), no free seat while someone waits (I3), every seat given in
/// line order (I4, replayed from the notices: [`assert_served_in_order`]), the line as long as
/// the pending bookings, and its free seats equal to the limit less the confirmed bookings (I5).
pub async fn assert_invariants(store: &impl Store, event: EventId) {
    let availability = store.availability(event).await.unwrap();
    let all = bookings(store, event).await;
    let limit = u64::from(availability.event.ticket_limit.get().unsigned_abs());
    let confirmed = all.iter().filter(|a| a.booking.booking.status == BookingStatus::Confirmed).count();
    let confirmed = u64::try_from(confirmed).unwrap();
    assert!(confirmed <= limit, "I1: {confirmed} confirmed of {limit} seats");

    let mut live = HashSet::new();
    for attendee in all.iter().filter(|a| a.booking.booking.status != BookingStatus::Cancelled) {
        assert!(
            live.insert(attendee.booking.booking.user),
            "I2: user {} holds two live bookings",
            attendee.user.id
        );
    }

    let waiting = all.iter().filter(|a| a.booking.booking.status == BookingStatus::Pending).count();
    if waiting > 0 {
        assert_eq!(availability.tickets_available, 0, "I3: a seat is free while {waiting} wait");
    }
    assert_eq!(availability.waiting_list_count, u64::try_from(waiting).unwrap(), "line length");
    assert_eq!(u64::from(availability.tickets_available), limit - confirmed, "I5: seat counter");
    let holders: Vec<UserId> = all.iter().map(|a| a.booking.booking.user).collect();
    assert_served_in_order(store, event, &holders).await;
}

/// I4 from what happened, not from a place in line computed now (counted in id order, that is
/// in id order whatever the promotions did): replays the event's booking notices — what
/// `holders` were sent, in the order the changes were made — and panics when a booking got a
/// seat while an earlier one waited: promoted past someone ahead of it in line, or confirmed on
/// arrival while anyone waited.
pub async fn assert_served_in_order(store: &impl Store, event: EventId, holders: &[UserId]) {
    let through = settled(store).await;
    let sent = store.for_recipients(0, through, holders).await.unwrap();
    let mut waiting: BTreeSet<BookingId> = BTreeSet::new();
    for notice in &sent {
        let NotificationData::Booking(view) = &notice.data else { continue };
        if view.booking.event != event {
            continue;
        }
        let booking = view.booking.id;
        match notice.kind {
            NoticeKind::BookingWaitlisted => {
                waiting.insert(booking);
            }
            NoticeKind::BookingPromoted => {
                let ahead: Vec<_> = waiting.range(..booking).collect();
                assert!(
                    ahead.is_empty(),
                    "I4: booking {booking} was promoted past {ahead:?}, ahead of it in line"
                );
                waiting.remove(&booking);
            }
            NoticeKind::BookingConfirmed => {
                assert!(
                    waiting.is_empty(),
                    "I4: booking {booking} took a seat on arrival while {waiting:?} waited"
                );
            }
            NoticeKind::BookingCancelled => {
                waiting.remove(&booking);
            }
            NoticeKind::EventUpdated | NoticeKind::EventCancelled => {}
        }
    }
}
