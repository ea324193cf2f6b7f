//! Rules for managing an event, applied by the adapter while it holds the event's exclusive
//! guard and its row, so that the decision and the write see the same state. Pure functions:
//! tested here without a database.

use super::{CancelEventError, ChangeEventError, EventChanges, EventStatus};
use crate::ids::{EventId, UserId};

/// An event as the guarded write found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Managed {
    /// The event.
    pub id: EventId,
    /// Who may manage it.
    pub organizer: UserId,
    /// Whether it is still on sale.
    pub status: EventStatus,
    /// Seats taken, read under the guard.
    pub seats_taken: u32,
    /// The ticket limit before the change.
    pub ticket_limit: u32,
}

/// What a change does besides rewriting the event's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangePlan {
    /// Free seats after the change, with which the line is served next
    /// ([`crate::line::serve`], under the event's overtake limit as changed).
    pub free_seats: u32,
}

/// Decides whether `caller` may change `event` this way, and how many seats are free after it.
/// A limit below a waiting group's quantity is allowed: the group waits for more.
///
/// # Errors
/// [`ChangeEventError::NotOrganizer`] unless the caller organises the event (checked first,
/// so a stranger learns nothing about its state); [`ChangeEventError::EventCancelled`] for a
/// cancelled event; [`ChangeEventError::LimitBelowTaken`] when the new ticket limit is below
/// the seats already confirmed.
pub fn plan_change(
    caller: UserId,
    event: &Managed,
    changes: &EventChanges,
) -> Result<ChangePlan, ChangeEventError> {
    if caller != event.organizer {
        return Err(ChangeEventError::NotOrganizer(event.id));
    }
    if event.status == EventStatus::Cancelled {
        return Err(ChangeEventError::EventCancelled(event.id));
    }
    let limit = changes.ticket_limit.map_or(event.ticket_limit, |l| u32::try_from(l.get()).unwrap_or(0));
    let free_seats = limit
        .checked_sub(event.seats_taken)
        .ok_or(ChangeEventError::LimitBelowTaken { event: event.id, taken: event.seats_taken })?;
    Ok(ChangePlan { free_seats })
}

/// Decides whether `caller` may cancel `event`. Cancelling ends every live booking — confirmed
/// and pending alike become cancelled — and frees every seat.
///
/// # Errors
/// [`CancelEventError::NotOrganizer`] unless the caller organises the event;
/// [`CancelEventError::AlreadyCancelled`] when it was cancelled before.
pub fn plan_event_cancellation(caller: UserId, event: &Managed) -> Result<(), CancelEventError> {
    if caller != event.organizer {
        return Err(CancelEventError::NotOrganizer(event.id));
    }
    match event.status {
        EventStatus::OnSale => Ok(()),
        EventStatus::Cancelled => Err(CancelEventError::AlreadyCancelled(event.id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::TicketLimit;

    fn event(status: EventStatus, seats_taken: u32) -> Managed {
        Managed {
            id: EventId::new(4).unwrap(),
            organizer: UserId::new(1).unwrap(),
            status,
            seats_taken,
            ticket_limit: 10,
        }
    }

    fn limit(seats: i64) -> EventChanges {
        EventChanges { ticket_limit: TicketLimit::new(seats).ok(), ..EventChanges::default() }
    }

    fn organizer() -> UserId {
        UserId::new(1).unwrap()
    }

    #[test]
    fn raising_the_limit_fills_the_new_seats_from_the_line() {
        let plan = plan_change(organizer(), &event(EventStatus::OnSale, 10), &limit(13));
        assert_eq!(plan.unwrap().free_seats, 3);
    }

    #[test]
    fn lowering_the_limit_to_the_seats_taken_is_allowed_and_frees_nothing() {
        let plan = plan_change(organizer(), &event(EventStatus::OnSale, 6), &limit(6));
        assert_eq!(plan.unwrap().free_seats, 0);
    }

    #[test]
    fn lowering_the_limit_below_the_seats_taken_is_refused() {
        let plan = plan_change(organizer(), &event(EventStatus::OnSale, 10), &limit(9));
        assert!(matches!(plan, Err(ChangeEventError::LimitBelowTaken { taken: 10, .. })));
    }

    #[test]
    fn changing_anything_else_keeps_the_free_seats() {
        let rename =
            EventChanges { name: crate::text::NonEmptyText::parse("New").ok(), ..EventChanges::default() };
        assert_eq!(plan_change(organizer(), &event(EventStatus::OnSale, 3), &rename).unwrap().free_seats, 7);
    }

    #[test]
    fn only_the_organizer_may_manage_and_a_stranger_learns_nothing_about_the_state() {
        let stranger = UserId::new(2).unwrap();
        for status in [EventStatus::OnSale, EventStatus::Cancelled] {
            assert!(matches!(
                plan_change(stranger, &event(status, 0), &limit(5)),
                Err(ChangeEventError::NotOrganizer(_))
            ));
            assert!(matches!(
                plan_event_cancellation(stranger, &event(status, 0)),
                Err(CancelEventError::NotOrganizer(_))
            ));
        }
    }

    #[test]
    fn a_cancelled_event_can_be_neither_changed_nor_cancelled_again() {
        let cancelled = event(EventStatus::Cancelled, 0);
        assert!(matches!(
            plan_change(organizer(), &cancelled, &limit(5)),
            Err(ChangeEventError::EventCancelled(_))
        ));
        assert!(matches!(
            plan_event_cancellation(organizer(), &cancelled),
            Err(CancelEventError::AlreadyCancelled(_))
        ));
        assert!(plan_event_cancellation(organizer(), &event(EventStatus::OnSale, 7)).is_ok());
    }
}
