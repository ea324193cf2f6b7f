//! A box office in memory: a concert with three seats, a stampede of eight buyers, a
//! cancellation, a bigger hall, and the evening called off — narrated from what the ports
//! answer. `cargo run -p infra-memory --example box_office`.

use std::error::Error;

use domain::ports::{Catalog as _, Sales as _, Users as _};
use domain::{
    BookTicket, BookingOutcome, CancelBooking, CancelEvent, CancelTarget, ChangeEvent, EmailAddress,
    EventChanges, EventDate, EventId, NewEvent, NewUser, NonEmptyText, PasswordHash, Price, TicketLimit,
    UserId,
};
use infra_memory::MemoryStore;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn Error>> {
    let store = MemoryStore::new();
    let organizer = person(&store, "kaneel").await?;
    let concert = NewEvent::new(
        organizer,
        NonEmptyText::parse("New Year's Eve")?,
        NonEmptyText::parse("Fireworks at midnight")?,
        EventDate::parse("2027-12-31")?,
        NonEmptyText::parse("Colombo")?,
        TicketLimit::new(3)?,
        Price::from_cents(2500)?,
    );
    let event = store.create_event(concert, None).await?.id;
    println!("event {event}: 3 seats on sale");

    let mut buyers = Vec::new();
    for name in ["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal"] {
        buyers.push((name, person(&store, name).await?));
    }
    let mut stampede = Vec::new();
    for &(name, buyer) in &buyers {
        let (store, command) = (store.clone(), BookTicket::new(buyer, event, None)?);
        stampede.push(tokio::spawn(async move { (name, store.book(command, None).await) }));
    }
    for booking in stampede {
        match booking.await? {
            (name, Ok(BookingOutcome::Confirmed(_))) => println!("  {name}: a seat"),
            (name, Ok(BookingOutcome::Waitlisted { position, .. })) => {
                println!("  {name}: in line, #{position}")
            }
            (name, Err(e)) => println!("  {name}: refused ({e})"),
        }
    }
    status(&store, event).await?;

    let (first, holder) = first_seated(&store, event, &buyers).await?;
    let cancel = CancelBooking { caller: holder, target: CancelTarget::LiveBookingFor(event) };
    let cancellation = store.cancel(cancel, None).await?;
    let promoted: Vec<&str> = cancellation.promoted.iter().map(|b| name_of(&buyers, b.user)).collect();
    let to = if promoted.is_empty() { "nobody".to_owned() } else { promoted.join(" and ") };
    println!("{first} cancels: the seat goes to {to}");

    let bigger = EventChanges { ticket_limit: Some(TicketLimit::new(5)?), ..EventChanges::default() };
    let change = store.change_event(ChangeEvent { caller: organizer, event, changes: bigger }, None).await?;
    let names: Vec<&str> = change.promoted.iter().map(|b| name_of(&buyers, b.user)).collect();
    println!("a bigger hall, 5 seats: {} promoted", names.join(" and "));
    status(&store, event).await?;

    let called_off = store.cancel_event(CancelEvent { caller: organizer, event }, None).await?;
    println!("called off: {} bookings cancelled", called_off.cancelled_bookings);
    let late = store.book(BookTicket::new(buyers[0].1, event, None)?, None).await;
    println!("booking afterwards: {}", late.err().map_or_else(|| "accepted?!".to_owned(), |e| e.to_string()));
    Ok(())
}

async fn person(store: &MemoryStore, name: &str) -> Result<UserId, Box<dyn Error>> {
    let user = NewUser {
        email: EmailAddress::parse(&format!("{name}@example.com"))?,
        // The store keeps whatever hash it is given; a real service hashes with Argon2id.
        password_hash: PasswordHash::new(format!("not-a-hash-of-{name}")),
        first_name: NonEmptyText::parse(name)?,
        last_name: NonEmptyText::parse("Example")?,
    };
    Ok(store.create_user(user, None).await?.id)
}

async fn status(store: &MemoryStore, event: EventId) -> Result<(), Box<dyn Error>> {
    let now = store.availability(event).await?;
    println!("status: {} seats free, {} waiting", now.tickets_available, now.waiting_list_count);
    Ok(())
}

/// The buyer holding the lowest-numbered seat.
async fn first_seated(
    store: &MemoryStore,
    event: EventId,
    buyers: &[(&'static str, UserId)],
) -> Result<(&'static str, UserId), Box<dyn Error>> {
    let query = domain::BookingQuery { status: Some(domain::BookingStatus::Confirmed), ..Default::default() };
    let page = store.attendees(event, query).await?;
    let holder = page.items.first().ok_or("nobody holds a seat")?.user.id;
    Ok((name_of(buyers, holder), holder))
}

fn name_of(buyers: &[(&'static str, UserId)], user: UserId) -> &'static str {
    buyers.iter().find(|&&(_, id)| id == user).map_or("someone", |&(name, _)| name)
}
