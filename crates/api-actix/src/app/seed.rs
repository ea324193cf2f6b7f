//! The original service's demo data: ten users (all with password `abcd@123`) and a few events.
//! Idempotent: users that exist are left alone, and the events are created only along with
//! their organizer, so running it twice adds nothing.

use domain::ports::{Catalog, PasswordHasher, Users};
use domain::service::AccountService;
use domain::{
    BoxError, CreateEventError, EmailAddress, EventDate, NewEvent, NonEmptyText, Password, Price,
    RegisterError, Registration, TicketLimit,
};

pub const DEMO_PASSWORD: &str = "abcd@123";

/// The first one organises the demo events; the original's README logs in with it.
const DEMO_USERS: [(&str, &str, &str); 10] = [
    ("kaneeldias@gmail.com", "Kaneel", "Dias"),
    ("john@doe.com", "John", "Doe"),
    ("jane@doe.com", "Jane", "Doe"),
    ("alice@example.com", "Alice", "Anderson"),
    ("bob@example.com", "Bob", "Brown"),
    ("charlie@example.com", "Charlie", "Clark"),
    ("david@example.com", "David", "Davis"),
    ("eva@example.com", "Eva", "Evans"),
    ("frank@example.com", "Frank", "Fischer"),
    ("grace@example.com", "Grace", "Green"),
];

/// Name, description, date, location, seats, price.
const DEMO_EVENTS: [(&str, &str, &str, &str, i64, &str); 4] = [
    ("Concert", "Live music concert", "2027-05-20", "New York", 500, "50"),
    ("Rust Conference", "Two days of talks and workshops", "2027-09-14", "Colombo", 200, "199.99"),
    ("Community Meetup", "Lightning talks, free entry", "2027-03-02", "Kandy", 50, "0"),
    (
        "Intimate Gig",
        "An acoustic set for a tiny room: two seats, so it sells out",
        "2027-01-15",
        "London",
        2,
        "25.50",
    ),
];

/// What a seeding run added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeded {
    pub users: usize,
    pub events: usize,
}

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    /// A demo value does not parse: a bug in the table above.
    #[error("the demo data is invalid")]
    DemoData(#[source] BoxError),
    #[error("creating demo user {email}")]
    User {
        email: &'static str,
        #[source]
        source: RegisterError,
    },
    #[error("creating demo event {name}")]
    Event {
        name: &'static str,
        #[source]
        source: CreateEventError,
    },
}

fn demo<T, E: std::error::Error + Send + Sync + 'static>(parsed: Result<T, E>) -> Result<T, SeedError> {
    parsed.map_err(|e| SeedError::DemoData(Box::new(e)))
}

/// Creates whatever demo data is missing.
///
/// # Errors
/// [`SeedError`] when the store fails; an existing user is not an error.
pub async fn seed<U: Users, H: PasswordHasher>(
    accounts: &AccountService<U, H>,
    catalog: &impl Catalog,
) -> Result<Seeded, SeedError> {
    let mut seeded = Seeded { users: 0, events: 0 };
    let mut new_organizer = None;
    for (index, (email, first, last)) in DEMO_USERS.into_iter().enumerate() {
        let email_address = demo(EmailAddress::parse(email))?;
        let registration = Registration {
            password: demo(Password::new(DEMO_PASSWORD.to_owned(), &email_address))?,
            email: email_address,
            first_name: demo(NonEmptyText::parse(first))?,
            last_name: demo(NonEmptyText::parse(last))?,
        };
        match accounts.register(registration, None).await {
            Ok(user) => {
                seeded.users += 1;
                if index == 0 {
                    new_organizer = Some(user.id);
                }
            }
            Err(RegisterError::EmailTaken) => {}
            Err(source) => return Err(SeedError::User { email, source }),
        }
    }
    if let Some(organizer) = new_organizer {
        for (name, description, date, location, seats, price) in DEMO_EVENTS {
            let event = NewEvent::new(
                organizer,
                demo(NonEmptyText::parse(name))?,
                demo(NonEmptyText::parse(description))?,
                demo(EventDate::parse(date))?,
                demo(NonEmptyText::parse(location))?,
                demo(TicketLimit::new(seats))?,
                demo(Price::parse(price))?,
            );
            catalog.create_event(event, None).await.map_err(|source| SeedError::Event { name, source })?;
            seeded.events += 1;
        }
    }
    Ok(seeded)
}
