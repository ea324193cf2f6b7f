//! The invariants of docs/ARCHITECTURE.md, recounted through the ports.

use std::collections::HashSet;

use domain::ports::Catalog;
use domain::{BookingStatus, EventId};

use crate::fixtures::bookings;

/// Panics unless the event keeps I1–I5: no more confirmed bookings than its limit (I1), at most
/// one live booking per user (I2), no free seat while someone waits (I3), the line numbered
/// 1, 2, … in booking-id order (I4), and its free seats equal to the limit less the confirmed
/// bookings (I5).
pub async fn assert_invariants(store: &impl Catalog, event: EventId) {
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

    let line: Vec<_> = all.iter().filter(|a| a.booking.booking.status == BookingStatus::Pending).collect();
    if !line.is_empty() {
        assert_eq!(availability.tickets_available, 0, "I3: a seat is free while {} wait", line.len());
    }
    for (place, attendee) in line.iter().enumerate() {
        let expected = u64::try_from(place + 1).unwrap();
        assert_eq!(
            attendee.booking.position.map(std::num::NonZeroU64::get),
            Some(expected),
            "I4: line order"
        );
    }
    assert_eq!(availability.waiting_list_count, u64::try_from(line.len()).unwrap(), "I4: line length");
    assert_eq!(u64::from(availability.tickets_available), limit - confirmed, "I5: seat counter");
}
