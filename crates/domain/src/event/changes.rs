use super::{EventDate, MaxPerBooking, OvertakeLimit, Price, Promotion, TicketLimit};
use crate::ids::{EventId, UserId};
use crate::text::NonEmptyText;

/// What an organizer asks to change about an event: each field is either left alone or
/// replaced by an already valid value. One that exists changes at least one field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventChanges {
    /// A new name.
    pub name: Option<NonEmptyText>,
    /// A new description.
    pub description: Option<NonEmptyText>,
    /// A new day.
    pub date: Option<EventDate>,
    /// A new place.
    pub location: Option<NonEmptyText>,
    /// A new ticket limit: never below the seats taken; a raise seats the heads of the line.
    pub ticket_limit: Option<TicketLimit>,
    /// A new price, for seats booked from now on.
    pub price: Option<Price>,
    /// A new most seats per booking, for bookings made from now on (waiting groups keep theirs).
    pub max_per_booking: Option<MaxPerBooking>,
    /// A new overtake limit; the line is served again under it.
    pub overtake_limit: Option<OvertakeLimit>,
    /// Whether the line's next served bookings are confirmed or offered (open offers keep
    /// their deadlines).
    pub promotion: Option<Promotion>,
}

/// A change request that changes nothing: almost always a client's mistake (a misspelt field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("nothing to change")]
pub struct NoChanges;

impl EventChanges {
    /// # Errors
    /// [`NoChanges`] when every field is left alone.
    pub fn check(self) -> Result<Self, NoChanges> {
        let Self {
            name,
            description,
            date,
            location,
            ticket_limit,
            price,
            max_per_booking,
            overtake_limit,
            promotion,
        } = &self;
        let any = name.is_some()
            || description.is_some()
            || date.is_some()
            || location.is_some()
            || ticket_limit.is_some()
            || price.is_some()
            || max_per_booking.is_some()
            || overtake_limit.is_some()
            || promotion.is_some();
        if any { Ok(self) } else { Err(NoChanges) }
    }
}

/// A request by `caller` to change `event`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// Who asks: only the organizer may change the event.
    pub caller: UserId,
    /// The event to change.
    pub event: EventId,
    /// What changes ([`EventChanges::check`] refuses a request that changes nothing).
    pub changes: EventChanges,
}

/// A request by `caller` to call `event` off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelEvent {
    /// Who asks: only the organizer may call the event off.
    pub caller: UserId,
    /// The event to call off.
    pub event: EventId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_must_change_something() {
        assert_eq!(EventChanges::default().check(), Err(NoChanges));
        let raise = EventChanges { ticket_limit: TicketLimit::new(5).ok(), ..EventChanges::default() };
        assert!(raise.check().is_ok());
    }
}
