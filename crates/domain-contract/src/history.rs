//! History: every change writes one entry per booking it touches, in the change's own
//! transaction and in commit order, with who made it and in which request; a refused change
//! writes none; the event's entries read newest first a page at a time, and the integrity check
//! of a store that kept its promises finds nothing.

use domain::history::{Action, Actor, HistoryEntry, HistoryQuery, RequestId};
use domain::ports::{Audit as _, Catalog as _, RequestScoped as _, Sales as _, Store};
use domain::{
    AnswerOffer, BookError, BookingId, BookingStatus, CancelBooking, CancelEvent, CancelTarget, ChangeEvent,
    ChangeQuantity, EventId, HistoryId, Limit, OfferWindow, Promotion, Quantity, Seating, UserId,
};

use crate::Adapter;
use crate::fixtures::{book, bookings, event, limit, new_event, user, users};
use crate::invariants::{assert_history_adds_up, assert_invariants};

/// The event's entries, oldest first.
async fn trail<S: Store>(store: &S, event: EventId) -> Vec<HistoryEntry> {
    let mut entries = store.audit_trail(event).await.unwrap().expect("a trail").entries;
    entries.sort_by_key(|e| (e.event_version, e.id));
    entries
}

/// (booking, action, actor) of each entry.
fn steps(entries: &[HistoryEntry]) -> Vec<(Option<BookingId>, Action, Actor)> {
    entries.iter().map(|e| (e.booking, e.action, e.actor)).collect()
}

/// An organizer's event of `seats` seats, and two buyers who have not booked it yet.
async fn event_and_two_buyers<S: Store>(store: &S, seats: i64) -> (UserId, EventId, [UserId; 2]) {
    let organizer = user(store, "organizer").await;
    let ev = event(store, organizer, seats).await;
    let [a, b] = users(store, "buyer", 2).await[..] else { unreachable!() };
    (organizer, ev, [a, b])
}

async fn booking_of<S: Store>(store: &S, event: EventId, holder: UserId) -> BookingId {
    bookings(store, event)
        .await
        .into_iter()
        .map(|a| a.booking.booking)
        .filter(|b| b.user == holder)
        .max_by_key(|b| b.id)
        .expect("a booking")
        .id
}

/// Limit 1: A books (booked), B waits (waitlisted); A cancels — one change, two entries, A's
/// then B's promotion, both A's doing, under one new version; the organizer raises the limit
/// (its entry, then nothing else); B reads its own history in order, A and the organizer may,
/// a stranger may not; calling the event off ends B with the event's own entry last.
pub async fn every_change_writes_one_entry_per_booking_it_touches_in_order<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (organizer, ev, [a, b]) = event_and_two_buyers(&store, 1).await;
    store.book(book(a, ev), None).await.unwrap();
    store.book(book(b, ev), None).await.unwrap();
    let (ba, bb) = (booking_of(&store, ev, a).await, booking_of(&store, ev, b).await);
    store.cancel(CancelBooking { caller: a, target: CancelTarget::Booking(ba) }, None).await.unwrap();
    store.change_event(ChangeEvent { caller: organizer, event: ev, changes: limit(3) }, None).await.unwrap();

    let entries = trail(&store, ev).await;
    assert_eq!(
        steps(&entries),
        [
            (None, Action::Created, Actor::Organizer(organizer)),
            (Some(ba), Action::Booked, Actor::User(a)),
            (Some(bb), Action::Waitlisted, Actor::User(b)),
            (Some(ba), Action::Cancelled, Actor::User(a)),
            (Some(bb), Action::Promoted, Actor::User(a)),
            (None, Action::LimitChanged, Actor::Organizer(organizer)),
        ]
    );
    let versions: Vec<i64> = entries.iter().map(|e| e.event_version).collect();
    assert!(versions.windows(2).all(|w| w[0] <= w[1]), "{versions:?}");
    assert_eq!(versions[3], versions[4], "a cancel and the promotion it makes are one commit");
    assert!(versions[2] < versions[3] && versions[4] < versions[5], "{versions:?}");
    let cancelled = &entries[3];
    assert_eq!(
        (cancelled.from, cancelled.to, cancelled.deltas.seats),
        (Some(BookingStatus::Confirmed), Some(BookingStatus::Cancelled), -1)
    );
    let promoted = &entries[4];
    assert_eq!((promoted.deltas.seats, promoted.deltas.waiting, promoted.ticket_limit), (1, -1, 1));
    assert_eq!(entries[5].ticket_limit, 3);

    let own = domain::service::audit::booking_history(&store, b, bb).await.unwrap();
    assert_eq!(own.iter().map(|e| e.action).collect::<Vec<_>>(), [Action::Waitlisted, Action::Promoted]);
    assert!(domain::service::audit::booking_history(&store, organizer, bb).await.is_ok());
    let stranger = domain::service::audit::booking_history(&store, a, bb).await;
    assert!(stranger.is_err(), "A may not read B's booking's history");

    store.cancel_event(CancelEvent { caller: organizer, event: ev }, None).await.unwrap();
    let entries = trail(&store, ev).await;
    assert_eq!(
        steps(&entries[6..]),
        [
            (Some(bb), Action::Cancelled, Actor::Organizer(organizer)),
            (None, Action::EventCancelled, Actor::Organizer(organizer)),
        ]
    );
    assert_history_adds_up(&store, ev).await;
}

/// A refused booking, cancel, event change or quantity change writes nothing.
pub async fn a_refused_change_writes_no_history<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, ev, [a, b]) = event_and_two_buyers(&store, 1).await;
    store.book(book(a, ev), None).await.unwrap();
    store.book(book(b, ev), None).await.unwrap();
    let before = trail(&store, ev).await.len();

    assert!(matches!(store.book(book(a, ev), None).await, Err(BookError::AlreadyBooked)));
    let ba = booking_of(&store, ev, a).await;
    assert!(
        store.cancel(CancelBooking { caller: b, target: CancelTarget::Booking(ba) }, None).await.is_err()
    );
    assert!(store.change_event(ChangeEvent { caller: a, event: ev, changes: limit(5) }, None).await.is_err());
    let bb = booking_of(&store, ev, b).await;
    let raise = ChangeQuantity { caller: a, booking: bb, quantity: Quantity::new(2).unwrap() };
    assert!(store.change_quantity(raise, None).await.is_err());
    assert!(store.accept(AnswerOffer { caller: b, booking: bb }, None).await.is_err());

    assert_eq!(trail(&store, ev).await.len(), before, "refusals left no entry");
    assert_invariants(&store, ev).await;
}

/// A change made through a store scoped to a request records its id; one made without, none.
pub async fn a_change_records_the_request_that_made_it<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let (_, ev, [a, b]) = event_and_two_buyers(&store, 5).await;
    let request = RequestId::parse("req-7f3a").unwrap();
    store.for_request(request.clone()).book(book(a, ev), None).await.unwrap();
    store.book(book(b, ev), None).await.unwrap();

    let entries = trail(&store, ev).await;
    let requests: Vec<Option<&str>> =
        entries.iter().skip(1).map(|e| e.request.as_ref().map(RequestId::as_str)).collect();
    assert_eq!(requests, [Some("req-7f3a"), None]);
}

/// Offers: the offer, its acceptance (before its deadline, which the entry keeps), a lowered
/// quantity in line and a declined offer each write their entry.
pub async fn answers_to_offers_and_quantity_changes_are_recorded<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let window = OfferWindow::new(600).unwrap();
    let seating = Seating { promotion: Promotion::Offer(window), ..Seating::DEFAULT };
    let date = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    let new = new_event(organizer, 2, &date, "Offers").with_seating(seating);
    let ev = store.create_event(new, None).await.unwrap().id;
    let [a, b, c] = users(&store, "buyer", 3).await[..] else { unreachable!() };
    store.book(book(a, ev).with_quantity(Quantity::new(2).unwrap()), None).await.unwrap();
    store.book(book(b, ev).with_quantity(Quantity::new(2).unwrap()), None).await.unwrap();
    store.book(book(c, ev), None).await.unwrap();
    let (ba, bb, bc) =
        (booking_of(&store, ev, a).await, booking_of(&store, ev, b).await, booking_of(&store, ev, c).await);
    store
        .change_quantity(ChangeQuantity { caller: b, booking: bb, quantity: Quantity::ONE }, None)
        .await
        .unwrap();
    store.cancel(CancelBooking { caller: a, target: CancelTarget::Booking(ba) }, None).await.unwrap();
    store.accept(AnswerOffer { caller: b, booking: bb }, None).await.unwrap();
    store.decline(AnswerOffer { caller: c, booking: bc }, None).await.unwrap();

    let entries = trail(&store, ev).await;
    let actions: Vec<(Option<BookingId>, Action)> = entries.iter().map(|e| (e.booking, e.action)).collect();
    assert_eq!(
        actions[4..],
        [
            (Some(bb), Action::QuantityChanged),
            (Some(ba), Action::Cancelled),
            (Some(bb), Action::Offered),
            (Some(bc), Action::Offered),
            (Some(bb), Action::Accepted),
            (Some(bc), Action::Declined),
        ]
    );
    let accepted = entries.iter().find(|e| e.action == Action::Accepted).unwrap();
    let deadline = accepted.offer_expires_at.expect("the accepted offer's deadline");
    assert!(accepted.at < deadline, "accepted at {} before {deadline}", accepted.at);
    assert_eq!(accepted.actor, Actor::User(b));
    assert_invariants(&store, ev).await;
}

/// An event's history reads newest first, a page at a time, filtered by action.
pub async fn an_events_history_pages_newest_first_and_filters_by_action<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let ev = event(&store, organizer, 2).await;
    for buyer in users(&store, "buyer", 5).await {
        store.book(book(buyer, ev), None).await.unwrap();
    }
    let all: Vec<HistoryId> = trail(&store, ev).await.iter().rev().map(|e| e.id).collect();
    let two = Limit::new(2).unwrap();
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = store.event_history(ev, HistoryQuery { action: None, limit: two, before }).await.unwrap();
        seen.extend(page.items.iter().map(|e| e.id));
        match page.next {
            Some(next) => before = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, all, "every entry once, newest first");
    let waiting = HistoryQuery { action: Some(Action::Waitlisted), ..HistoryQuery::default() };
    let page = store.event_history(ev, waiting).await.unwrap();
    assert_eq!(page.items.len(), 3);
    assert!(page.items.iter().all(|e| e.action == Action::Waitlisted));
    let other = event(&store, organizer, 1).await;
    assert_eq!(
        store.event_history(other, HistoryQuery::default()).await.unwrap().items.len(),
        1,
        "its creation"
    );
}
