//! [`domain::ports::Notifications`]: the notices every change writes, read back in order, and
//! the watermark and wake-ups readers follow them with.

use std::time::Duration;

use domain::listing::Limit;
use domain::notice::{NoticeKind, Notification, NotificationData};
use domain::ports::{NewsListener as _, Notifications as _, Sales as _};
use domain::{BookingStatus, CancelBooking, CancelEvent, CancelTarget, ChangeEvent, UserId};

use crate::fixtures::{book, event, limit, settled, user, users};
use domain::ports::Store;

use crate::Adapter;

/// Everything `users` were sent, oldest first.
async fn sent(store: &impl Store, users: &[UserId]) -> Vec<Notification> {
    let through = settled(store).await;
    store.for_recipients(0, through, users).await.unwrap()
}

fn kinds(sent: &[Notification]) -> Vec<(UserId, NoticeKind)> {
    sent.iter().map(|n| (n.recipient().unwrap(), n.kind)).collect()
}

pub async fn every_change_writes_its_notices_in_order<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let [a, b, c] = users(&store, "buyer", 3).await[..] else { unreachable!() };

    store.book(book(a, event), None).await.unwrap();
    store.book(book(b, event), None).await.unwrap();
    store.book(book(c, event), None).await.unwrap();
    store
        .cancel(CancelBooking { caller: a, target: CancelTarget::LiveBookingFor(event) }, None)
        .await
        .unwrap();
    store.change_event(ChangeEvent { caller: organizer, event, changes: limit(2) }, None).await.unwrap();
    store.cancel_event(CancelEvent { caller: organizer, event }, None).await.unwrap();
    let all = sent(&store, &[a, b, c]).await;

    use NoticeKind::{BookingCancelled, BookingConfirmed, BookingPromoted, BookingWaitlisted};
    assert_eq!(
        kinds(&all),
        vec![
            (a, BookingConfirmed),
            (b, BookingWaitlisted),
            (c, BookingWaitlisted),
            (a, BookingCancelled),
            (b, BookingPromoted),
            (c, BookingPromoted),
            (b, BookingCancelled),
            (c, BookingCancelled),
        ]
    );
    assert!(all.windows(2).all(|w| w[0].id < w[1].id), "numbered in order");
    let NotificationData::Booking(waitlisted) = &all[2].data else { panic!("{:?}", all[2]) };
    assert_eq!(waitlisted.position.map(std::num::NonZeroU64::get), Some(2), "the place it joined at");
    let NotificationData::Booking(promoted) = &all[4].data else { panic!("{:?}", all[4]) };
    assert_eq!(promoted.booking.status, BookingStatus::Confirmed);
}

pub async fn a_feed_holds_its_users_notices_between_bounds<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let [a, b] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    for _ in 0..3 {
        let event = event(&store, organizer, 5).await;
        store.book(book(a, event), None).await.unwrap();
        store.book(book(b, event), None).await.unwrap();
    }
    let through = settled(&store).await;

    let everything = store.feed(a, None, through, Limit::DEFAULT).await.unwrap();
    let first_two = store.feed(a, None, through, Limit::new(2).unwrap()).await.unwrap();
    let after_first = store.feed(a, Some(everything[0].id), through, Limit::DEFAULT).await.unwrap();
    let bounded = store.feed(a, None, everything[1].id.get(), Limit::DEFAULT).await.unwrap();

    assert_eq!(everything.len(), 3);
    assert!(everything.iter().all(|n| n.recipient() == Some(a)));
    assert_eq!(first_two, everything[..2].to_vec());
    assert_eq!(after_first, everything[1..].to_vec());
    assert_eq!(bounded, everything[..2].to_vec(), "nothing above `through`");
    let none = store.feed(a, None, 0, Limit::DEFAULT).await.unwrap();
    assert!(none.is_empty());
    let unknown = store.feed(UserId::new(999_999).unwrap(), None, through, Limit::DEFAULT).await.unwrap();
    assert!(unknown.is_empty());
}

pub async fn a_watermark_starts_at_the_newest_and_moves_over_what_commits<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 5).await;
    let buyers = users(&store, "buyer", 2).await;
    store.book(book(buyers[0], event), None).await.unwrap();
    let before = settled(&store).await;

    let mut mark = store.watermark().await.unwrap();
    store.book(book(buyers[1], event), None).await.unwrap();
    let mut moved = false;
    for _ in 0..100 {
        let now = store.settlement(mark.walked(), 1000).await.unwrap();
        moved |= mark.advance(&now);
        if !mark.waiting() && mark.settled_through() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    assert!(moved);
    let news = store.for_recipients(before, mark.settled_through(), &buyers).await.unwrap();
    assert_eq!(
        kinds(&news),
        vec![(buyers[1], NoticeKind::BookingConfirmed)],
        "only what came after the start"
    );
}

pub async fn a_cancel_wakes_a_listener<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let buyer = user(&store, "buyer").await;
    store.book(book(buyer, event), None).await.unwrap();
    let mut listener = store.listen().await.unwrap();

    store
        .cancel(CancelBooking { caller: buyer, target: CancelTarget::LiveBookingFor(event) }, None)
        .await
        .unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(5), listener.wake()).await;

    assert!(matches!(woken, Ok(Ok(()))), "{woken:?}");
}
