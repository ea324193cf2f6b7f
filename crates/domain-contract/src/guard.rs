//! The event's guard, proved by forcing the interleaving it exists for: a change held by the
//! adapter's [`Gate`] after its decision and before its write, while a second change of the
//! same event comes through another instance ([`Adapter::another`]). With the guard the second waits for it ([`Gate::someone_waits_for_a_guard`])
//! and then decides on what the first wrote; without it the second decides on what the first
//! has not yet written, both reach the gate, and the invariants break. Either way the checks
//! end without a timer: they wait for one of the two states, then open the gate.

use std::time::Duration;

use domain::ports::Sales as _;
use domain::{BookingOutcome, BookingStatus, CancelBooking, CancelTarget, EventChanges, TicketLimit};

use crate::fixtures::{book, bookings, event, user, users};
use crate::invariants::assert_invariants;
use crate::{Adapter, Gate};

// The second change runs on another instance: an instance may queue an event's changes in
// its own memory (group commit), and only the guard keeps instances apart.

/// Waits until the second change is either held out by the guard or parked beside the first
/// (`parked` at the gate), then opens the gate.
pub(crate) async fn second_comes_then_open(gate: &impl Gate, parked: usize) {
    for _ in 0..2000 {
        if gate.parked() >= parked || gate.someone_waits_for_a_guard().await {
            gate.open();
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    gate.open();
    panic!("the second change neither waited for the guard nor reached the gate in ten seconds");
}

/// Waits until `n` changes are parked at the gate.
pub(crate) async fn parked(gate: &impl Gate, n: usize) {
    for _ in 0..2000 {
        if gate.parked() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    gate.open();
    panic!("no change reached the gate in ten seconds");
}

fn cancel_of(caller: domain::UserId, event: domain::EventId) -> CancelBooking {
    CancelBooking { caller, target: CancelTarget::LiveBookingFor(event) }
}

/// Two seats taken, two in line; two holders cancel, the first held after deciding to promote
/// the head: the second must promote the next in line, not the head again.
pub async fn a_cancel_held_between_decision_and_write_keeps_another_cancel_out<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 2).await;
    let buyers = users(&store, "buyer", 4).await;
    for &buyer in &buyers {
        store.book(book(buyer, event), None).await.unwrap();
    }
    let gate = A::gate(&store, &keep);

    gate.close();
    let first = tokio::spawn({
        let (store, buyer) = (store.clone(), buyers[0]);
        async move { store.cancel(cancel_of(buyer, event), None).await }
    });
    parked(&gate, 1).await;
    let second = tokio::spawn({
        let (store, buyer) = (A::another(&store, &keep), buyers[1]);
        async move { store.cancel(cancel_of(buyer, event), None).await }
    });
    second_comes_then_open(&gate, 2).await;
    let (first, second) = (first.await.unwrap().unwrap(), second.await.unwrap().unwrap());

    let promoted: Vec<_> = first.promoted.iter().chain(&second.promoted).map(|b| b.user).collect();
    assert_eq!(promoted, [buyers[2], buyers[3]], "each seat freed went to the next in line, once");
    assert_invariants(&store, event).await;
}

/// One seat taken; a booker decides to join the line and is held; the holder cancels: the
/// seat must go to the booker, not stay free while it waits.
pub async fn a_booking_held_between_decision_and_write_keeps_a_cancel_out<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let [holder, booker] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    store.book(book(holder, event), None).await.unwrap();
    let gate = A::gate(&store, &keep);

    gate.close();
    let joining = tokio::spawn({
        let store = store.clone();
        async move { store.book(book(booker, event), None).await }
    });
    parked(&gate, 1).await;
    let cancel = tokio::spawn({
        let store = A::another(&store, &keep);
        async move { store.cancel(cancel_of(holder, event), None).await }
    });
    second_comes_then_open(&gate, 2).await;
    let joined = joining.await.unwrap().unwrap();
    let cancelled = cancel.await.unwrap().unwrap();

    assert!(matches!(joined, BookingOutcome::Waitlisted { .. }), "it decided to wait: {joined:?}");
    assert_eq!(
        cancelled.promoted.iter().map(|b| b.user).collect::<Vec<_>>(),
        [booker],
        "the seat went to it"
    );
    let all = bookings(&store, event).await;
    assert!(all.iter().any(|a| a.booking.booking.user == booker && a.booking.booking.status == BookingStatus::Confirmed));
    assert_invariants(&store, event).await;
}

/// A full event of one seat with two in line; the organizer raises the limit to two and is
/// held after deciding to serve the head; the holder cancels meanwhile: both in line get seats,
/// each once.
pub async fn a_raise_held_between_decision_and_write_keeps_a_cancel_out<A: Adapter>() {
    let (store, keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let buyers = users(&store, "buyer", 3).await;
    for &buyer in &buyers {
        store.book(book(buyer, event), None).await.unwrap();
    }
    let gate = A::gate(&store, &keep);

    gate.close();
    let raise = tokio::spawn({
        let store = store.clone();
        let changes = EventChanges { ticket_limit: TicketLimit::new(2).ok(), ..EventChanges::default() };
        async move { store.change_event(domain::ChangeEvent { caller: organizer, event, changes }, None).await }
    });
    parked(&gate, 1).await;
    let cancel = tokio::spawn({
        let (store, buyer) = (A::another(&store, &keep), buyers[0]);
        async move { store.cancel(cancel_of(buyer, event), None).await }
    });
    second_comes_then_open(&gate, 2).await;
    let raised = raise.await.unwrap().unwrap();
    let cancelled = cancel.await.unwrap().unwrap();

    let promoted: Vec<_> = raised.promoted.iter().chain(&cancelled.promoted).map(|b| b.user).collect();
    assert_eq!(promoted, [buyers[1], buyers[2]], "each in line got a seat, once");
    assert_invariants(&store, event).await;
}
