//! Reading bookings back: one, a user's, an event's; places in line exact on every read.

use domain::ports::{Catalog, Sales};
use domain::{BookingId, BookingQuery, BookingStatus, CancelBooking, CancelTarget, Limit, UserId};

use crate::helpers::Fixture;

#[tokio::test]
async fn a_booking_reads_back_with_its_organizer_and_exact_place_in_line() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 1).await;
    let buyers = fx.users(4).await;
    let mut bookings = Vec::new();
    for &buyer in &buyers {
        bookings.push(fx.book(event, buyer).await.booking().id);
    }
    // The second in line leaves: the third and fourth move up.
    fx.store
        .cancel(CancelBooking { caller: buyers[2], target: CancelTarget::Booking(bookings[2]) })
        .await
        .unwrap();

    let (held, held_by) = fx.store.booking(bookings[0]).await.unwrap().unwrap();
    let (last, _) = fx.store.booking(bookings[3]).await.unwrap().unwrap();
    let (gone, _) = fx.store.booking(bookings[2]).await.unwrap().unwrap();

    assert_eq!((held.booking.status, held.position, held_by), (BookingStatus::Confirmed, None, organizer));
    assert_eq!((last.booking.status, last.position.map(|p| p.get())), (BookingStatus::Pending, Some(2)));
    assert_eq!((gone.booking.status, gone.position), (BookingStatus::Cancelled, None));
    assert!(fx.store.booking(BookingId::new(999_999).unwrap()).await.unwrap().is_none());
}

#[tokio::test]
async fn a_users_bookings_come_newest_first_in_pages_and_by_status() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let buyer = fx.user("buyer").await;
    let mut booked = Vec::new();
    for seats in [1, 1, 1, 1, 1] {
        let event = fx.event(organizer, seats).await;
        booked.push(fx.book(event, buyer).await.booking().id);
    }
    let other = fx.user("other").await;
    let full = fx.event(organizer, 1).await;
    fx.book(full, other).await;
    let waiting = fx.book(full, buyer).await.booking().id;
    booked.push(waiting);
    booked.reverse();

    let limit = Limit::new(4).unwrap();
    let first =
        fx.store.user_bookings(buyer, BookingQuery { limit, ..BookingQuery::default() }).await.unwrap();
    let second = fx
        .store
        .user_bookings(buyer, BookingQuery { limit, after: first.next, ..BookingQuery::default() })
        .await
        .unwrap();
    let pending = fx
        .store
        .user_bookings(
            buyer,
            BookingQuery { status: Some(BookingStatus::Pending), ..BookingQuery::default() },
        )
        .await
        .unwrap();

    let ids = |page: &[domain::BookingView]| page.iter().map(|v| v.booking.id).collect::<Vec<_>>();
    assert_eq!(ids(&first.items), booked[..4]);
    assert_eq!(first.next, Some(booked[3]));
    assert_eq!(ids(&second.items), booked[4..]);
    assert_eq!(second.next, None);
    assert_eq!(ids(&pending.items), [waiting]);
    assert_eq!(pending.items[0].position.map(|p| p.get()), Some(1));
}

#[tokio::test]
async fn an_events_bookings_list_their_holders_in_line_order() {
    let fx = Fixture::new().await;
    let organizer = fx.user("organizer").await;
    let event = fx.event(organizer, 2).await;
    let buyers: Vec<UserId> = fx.users(5).await;
    for &buyer in &buyers {
        fx.book(event, buyer).await;
    }

    let all = fx.store.attendees(event, BookingQuery::default()).await.unwrap();
    let line = fx
        .store
        .attendees(event, BookingQuery { status: Some(BookingStatus::Pending), ..BookingQuery::default() })
        .await
        .unwrap();

    assert_eq!(all.items.iter().map(|a| a.user.id).collect::<Vec<_>>(), buyers);
    assert!(all.items[0].user.email.as_str().starts_with("buyer1-"), "{:?}", all.items[0].user);
    let positions: Vec<u64> = line.items.iter().filter_map(|a| a.booking.position.map(|p| p.get())).collect();
    assert_eq!(positions, [1, 2, 3]);
    assert_eq!(line.items.iter().map(|a| a.user.id).collect::<Vec<_>>(), buyers[2..]);
    assert_eq!(all.next, None);
}
