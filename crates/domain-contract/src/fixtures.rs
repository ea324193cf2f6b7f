//! Accounts, events and commands made through the ports, for the checks.

use std::time::Duration;

use domain::listing::Limit;
use domain::ports::{Catalog, Notifications, Users};
use domain::{
    Attendee, BookTicket, BookingQuery, EmailAddress, Event, EventChanges, EventDate, EventId, NewEvent,
    NewUser, NonEmptyText, PasswordHash, Price, TicketLimit, UserId,
};

#[must_use]
pub fn text(s: &str) -> NonEmptyText {
    NonEmptyText::parse(s).unwrap()
}

#[must_use]
pub fn email(local: &str) -> EmailAddress {
    EmailAddress::parse(&format!("{local}@contract.example")).unwrap()
}

#[must_use]
pub fn new_user(local: &str) -> NewUser {
    NewUser {
        email: email(local),
        password_hash: PasswordHash::new(format!("hash-of-{local}")),
        first_name: text(local),
        last_name: text("Tester"),
    }
}

/// A new account named `local`.
pub async fn user(store: &impl Users, local: &str) -> UserId {
    store.create_user(new_user(local), None).await.unwrap().id
}

/// `n` new accounts, `prefix0`, `prefix1`, …
pub async fn users(store: &impl Users, prefix: &str, n: usize) -> Vec<UserId> {
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(user(store, &format!("{prefix}{i}")).await);
    }
    ids
}

#[must_use]
pub fn new_event(organizer: UserId, seats: i64, date: &str, name: &str) -> NewEvent {
    new_event_at(organizer, seats, date, name, "Loopback Hall")
}

#[must_use]
pub fn new_event_at(organizer: UserId, seats: i64, date: &str, name: &str, location: &str) -> NewEvent {
    NewEvent::new(
        organizer,
        text(name),
        text("A contract check"),
        EventDate::parse(date).unwrap(),
        text(location),
        TicketLimit::new(seats).unwrap(),
        Price::from_cents(1500).unwrap(),
    )
}

/// A new event with `seats` seats.
pub async fn event(store: &impl Catalog, organizer: UserId, seats: i64) -> EventId {
    store.create_event(new_event(organizer, seats, "2027-05-20", "Concert"), None).await.unwrap().id
}

/// A new event on `date` named `name`.
pub async fn event_on(store: &impl Catalog, organizer: UserId, date: &str, name: &str) -> Event {
    store.create_event(new_event(organizer, 10, date, name), None).await.unwrap()
}

#[must_use]
pub fn book(user: UserId, event: EventId) -> BookTicket {
    BookTicket::new(user, event, None).unwrap()
}

/// A change of the ticket limit alone.
#[must_use]
pub fn limit(seats: i64) -> EventChanges {
    EventChanges { ticket_limit: TicketLimit::new(seats).ok(), ..EventChanges::default() }
}

/// Every booking of the event in booking-id order, paged through.
pub async fn bookings(store: &impl Catalog, event: EventId) -> Vec<Attendee> {
    let mut all = Vec::new();
    let mut query = BookingQuery { limit: Limit::LARGEST, ..BookingQuery::default() };
    loop {
        let page = store.attendees(event, query).await.unwrap();
        all.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return all,
        }
    }
}

/// How far a new reader may read: everything committed so far. Polls the watermark until no
/// gap holds it (a gap is a transaction still open; the checks have none left running).
pub async fn settled(store: &impl Notifications) -> i64 {
    let mut mark = store.watermark().await.unwrap();
    for _ in 0..1000 {
        let now = store.settlement(mark.walked(), 1000).await.unwrap();
        mark.advance(&now);
        if !mark.waiting() {
            return mark.settled_through();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the watermark did not settle in ten seconds");
}
