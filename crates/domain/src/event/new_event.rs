use super::{EventDate, Price, Seating, TicketLimit};
use crate::ids::UserId;
use crate::text::NonEmptyText;

/// A request to put an event on sale. Made only of parsed values, so one that exists is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    organizer: UserId,
    name: NonEmptyText,
    description: NonEmptyText,
    date: EventDate,
    location: NonEmptyText,
    ticket_limit: TicketLimit,
    price: Price,
    seating: Seating,
}

impl NewEvent {
    #[must_use]
    /// An event to create; each part is valid already, so the event is.
    pub const fn new(
        organizer: UserId,
        name: NonEmptyText,
        description: NonEmptyText,
        date: EventDate,
        location: NonEmptyText,
        ticket_limit: TicketLimit,
        price: Price,
    ) -> Self {
        Self { organizer, name, description, date, location, ticket_limit, price, seating: Seating::DEFAULT }
    }

    #[must_use]
    /// The same event with `seating` instead of the default (ten seats a booking, first come,
    /// first served).
    pub fn with_seating(self, seating: Seating) -> Self {
        Self { seating, ..self }
    }

    #[must_use]
    /// How many seats one booking may take, and how the line is served.
    pub const fn seating(&self) -> Seating {
        self.seating
    }

    #[must_use]
    /// Who creates it, and so organises it.
    pub const fn organizer(&self) -> UserId {
        self.organizer
    }

    #[must_use]
    /// Its name.
    pub const fn name(&self) -> &NonEmptyText {
        &self.name
    }

    #[must_use]
    /// Its description.
    pub const fn description(&self) -> &NonEmptyText {
        &self.description
    }

    #[must_use]
    /// The day it takes place.
    pub const fn date(&self) -> EventDate {
        self.date
    }

    #[must_use]
    /// Where it takes place.
    pub const fn location(&self) -> &NonEmptyText {
        &self.location
    }

    #[must_use]
    /// How many seats it has.
    pub const fn ticket_limit(&self) -> TicketLimit {
        self.ticket_limit
    }

    #[must_use]
    /// What a seat costs.
    pub const fn price(&self) -> Price {
        self.price
    }
}
