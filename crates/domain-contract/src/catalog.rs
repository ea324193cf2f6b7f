//! [`domain::ports::Catalog`]: events put on sale, and the reads of them.

use domain::listing::{DateRange, Limit, SearchText};
use domain::ports::{Catalog as _, Sales as _};
use domain::{
    BookingId, BookingQuery, BookingStatus, CreateEventError, EventDate, EventId, EventQuery, EventStatus,
    FindEventError, UserId,
};

use crate::Adapter;
use crate::fixtures::{book, event, event_on, new_event, new_event_at, user, users};

pub async fn an_event_needs_an_existing_organizer<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let nobody = UserId::new(999_999).unwrap();
    let organizer = user(&store, "organizer").await;

    let refused = store.create_event(new_event(nobody, 5, "2027-05-20", "Ghost"), None).await;
    let created = store.create_event(new_event(organizer, 5, "2027-05-20", "Concert"), None).await.unwrap();

    assert!(matches!(refused, Err(CreateEventError::OrganizerNotFound(id)) if id == nobody), "{refused:?}");
    assert_eq!((created.organizer, created.status), (organizer, EventStatus::OnSale));
    let availability = store.availability(created.id).await.unwrap();
    assert_eq!(availability.event, created);
    assert_eq!((availability.tickets_available, availability.waiting_list_count), (5, 0));
}

pub async fn an_unknown_event_is_not_found<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let nowhere = EventId::new(999_999).unwrap();

    let found = store.availability(nowhere).await;

    assert!(matches!(found, Err(FindEventError::NotFound(id)) if id == nowhere), "{found:?}");
    let page = store.attendees(nowhere, BookingQuery::default()).await.unwrap();
    assert!(page.items.is_empty() && page.next.is_none(), "an unknown event has no bookings");
}

pub async fn events_are_listed_by_date_then_id_a_page_at_a_time<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let late = event_on(&store, organizer, "2027-09-01", "Late jazz").await;
    let early = event_on(&store, organizer, "2027-03-01", "Early rock").await;
    let same_day = event_on(&store, organizer, "2027-09-01", "Late folk").await;
    let called_off = event_on(&store, organizer, "2027-06-01", "Jazz cancelled").await;
    store.cancel_event(domain::CancelEvent { caller: organizer, event: called_off.id }, None).await.unwrap();
    let two = Limit::new(2).unwrap();

    let first = store.list_events(EventQuery { limit: two, ..EventQuery::default() }).await.unwrap();
    let rest = store
        .list_events(EventQuery { limit: two, after: first.next, ..EventQuery::default() })
        .await
        .unwrap();
    let jazz = EventQuery { search: Some(SearchText::parse("JAZZ").unwrap()), ..EventQuery::default() };
    let jazz = store.list_events(jazz).await.unwrap();
    let on_sale = EventQuery { status: Some(EventStatus::OnSale), ..EventQuery::default() };
    let on_sale = store.list_events(on_sale).await.unwrap();
    let day = |d: &str| Some(EventDate::parse(d).unwrap());
    let summer =
        EventQuery { dates: DateRange::new(day("2027-06-01"), day("2027-08-31")), ..EventQuery::default() };
    let summer = store.list_events(summer).await.unwrap();

    let ids = |page: &domain::Page<domain::Availability, domain::EventCursor>| -> Vec<EventId> {
        page.items.iter().map(|a| a.event.id).collect()
    };
    let (first_of_day, second_of_day) =
        if late.id < same_day.id { (late.id, same_day.id) } else { (same_day.id, late.id) };
    assert_eq!(ids(&first), vec![early.id, called_off.id]);
    assert!(first.next.is_some());
    assert_eq!(ids(&rest), vec![first_of_day, second_of_day], "same day: by id");
    assert!(rest.next.is_none(), "the last page says so");
    assert_eq!(ids(&jazz), vec![called_off.id, late.id], "search ignores case");
    assert_eq!(ids(&on_sale), vec![early.id, first_of_day, second_of_day]);
    assert_eq!(ids(&summer), vec![called_off.id], "dates are inclusive");

    let in_rockhampton = store
        .create_event(new_event_at(organizer, 5, "2027-10-01", "Folk", "Rockhampton"), None)
        .await
        .unwrap();
    let hundred = store
        .create_event(new_event_at(organizer, 5, "2027-11-01", "Pop 100%", "Kandy"), None)
        .await
        .unwrap();
    let search =
        |text: &str| EventQuery { search: Some(SearchText::parse(text).unwrap()), ..EventQuery::default() };
    assert_eq!(
        ids(&store.list_events(search("rock")).await.unwrap()),
        vec![early.id, in_rockhampton.id],
        "name or location"
    );
    assert_eq!(ids(&store.list_events(search("00%")).await.unwrap()), vec![hundred.id], "a % is no wildcard");
    assert!(store.list_events(search("P_p")).await.unwrap().items.is_empty(), "nor is a _");
}

pub async fn a_booking_is_read_with_its_organizer_and_place_in_line<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 1).await;
    let [a, b] = users(&store, "buyer", 2).await[..] else { unreachable!() };
    let seated = store.book(book(a, event), None).await.unwrap().booking().clone();
    let waiting = store.book(book(b, event), None).await.unwrap().booking().clone();

    let (seat_view, seat_organizer) = store.booking(seated.id).await.unwrap().unwrap();
    let (line_view, _) = store.booking(waiting.id).await.unwrap().unwrap();
    let unknown = store.booking(BookingId::new(999_999).unwrap()).await.unwrap();

    assert_eq!((seat_view.booking, seat_view.position, seat_organizer), (seated, None, organizer));
    assert_eq!(line_view.booking, waiting);
    assert_eq!(line_view.position.map(std::num::NonZeroU64::get), Some(1));
    assert!(unknown.is_none());
}

pub async fn a_users_bookings_come_newest_first<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let buyer = user(&store, "buyer").await;
    let mut booked = Vec::new();
    for seats in [1, 1, 1] {
        let event = event(&store, organizer, seats).await;
        store.book(book(organizer, event), None).await.unwrap();
        booked.push(store.book(book(buyer, event), None).await.unwrap().booking().id);
    }
    let two = Limit::new(2).unwrap();

    let first =
        store.user_bookings(buyer, BookingQuery { limit: two, ..BookingQuery::default() }).await.unwrap();
    let rest = store
        .user_bookings(buyer, BookingQuery { limit: two, after: first.next, ..BookingQuery::default() })
        .await
        .unwrap();
    let confirmed = BookingQuery { status: Some(BookingStatus::Confirmed), ..BookingQuery::default() };
    let confirmed = store.user_bookings(buyer, confirmed).await.unwrap();

    let ids: Vec<BookingId> = first.items.iter().chain(&rest.items).map(|v| v.booking.id).collect();
    assert_eq!(ids, vec![booked[2], booked[1], booked[0]]);
    assert!(first.items.iter().all(|v| v.position.map(std::num::NonZeroU64::get) == Some(1)));
    assert!(rest.next.is_none());
    assert!(confirmed.items.is_empty(), "every one of them waits");
}

pub async fn attendees_come_in_booking_order_a_page_at_a_time<A: Adapter>() {
    let (store, _keep) = A::setup().await;
    let organizer = user(&store, "organizer").await;
    let event = event(&store, organizer, 2).await;
    let buyers = users(&store, "buyer", 5).await;
    for &buyer in &buyers {
        store.book(book(buyer, event), None).await.unwrap();
    }
    let three = Limit::new(3).unwrap();

    let first =
        store.attendees(event, BookingQuery { limit: three, ..BookingQuery::default() }).await.unwrap();
    let rest = store
        .attendees(event, BookingQuery { limit: three, after: first.next, ..BookingQuery::default() })
        .await
        .unwrap();
    let waiting = BookingQuery { status: Some(BookingStatus::Pending), ..BookingQuery::default() };
    let waiting = store.attendees(event, waiting).await.unwrap();

    let holders: Vec<UserId> = first.items.iter().chain(&rest.items).map(|a| a.user.id).collect();
    assert_eq!(holders, buyers);
    assert!(first.items.iter().chain(&rest.items).all(|a| a.user.id == a.booking.booking.user));
    let places: Vec<Option<u64>> =
        waiting.items.iter().map(|a| a.booking.position.map(std::num::NonZeroU64::get)).collect();
    assert_eq!(places, vec![Some(1), Some(2), Some(3)]);
}
