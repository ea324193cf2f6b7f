use super::{EventDate, Price, TicketLimit};
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
}

impl NewEvent {
    #[must_use]
    pub const fn new(
        organizer: UserId,
        name: NonEmptyText,
        description: NonEmptyText,
        date: EventDate,
        location: NonEmptyText,
        ticket_limit: TicketLimit,
        price: Price,
    ) -> Self {
        Self { organizer, name, description, date, location, ticket_limit, price }
    }

    #[must_use]
    pub const fn organizer(&self) -> UserId {
        self.organizer
    }

    #[must_use]
    pub const fn name(&self) -> &NonEmptyText {
        &self.name
    }

    #[must_use]
    pub const fn description(&self) -> &NonEmptyText {
        &self.description
    }

    #[must_use]
    pub const fn date(&self) -> EventDate {
        self.date
    }

    #[must_use]
    pub const fn location(&self) -> &NonEmptyText {
        &self.location
    }

    #[must_use]
    pub const fn ticket_limit(&self) -> TicketLimit {
        self.ticket_limit
    }

    #[must_use]
    pub const fn price(&self) -> Price {
        self.price
    }
}
