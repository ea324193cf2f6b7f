//! What each change notifies, in the order the notices are written (and so numbered).
//!
//! The adapter's statements must write exactly these; its tests compare what it stored with
//! what these functions return for the same outcome.

use super::{Notice, NoticeKind, Subject};
use crate::booking::{
    Booking, BookingOutcome, BookingStatus, Cancellation, Declination, QuantityChange, WaitlistPosition,
};
use crate::event::{EventCancellation, EventChange};

/// The kind of notice a new booking gets, by the status it was written with; `None` for a
/// status no new booking has.
#[must_use]
pub const fn kind_of_new_booking(status: BookingStatus) -> Option<NoticeKind> {
    match status {
        BookingStatus::Confirmed => Some(NoticeKind::BookingConfirmed),
        BookingStatus::Pending => Some(NoticeKind::BookingWaitlisted),
        BookingStatus::Cancelled
        | BookingStatus::Offered
        | BookingStatus::Expired
        | BookingStatus::Declined => None,
    }
}

/// The kind of notice a booking the line served gets: promoted when confirmed at once,
/// offered when its seats are held for it until a deadline.
#[must_use]
pub const fn kind_of_served(status: BookingStatus) -> NoticeKind {
    match status {
        BookingStatus::Offered => NoticeKind::BookingOffered,
        _ => NoticeKind::BookingPromoted,
    }
}

/// Offers that lapsed, expired by whichever change of the event came first after their
/// deadline (or the sweeper): each lapsed one, then each booking the line was served.
#[must_use]
pub fn of_expiry(expired: &[Booking], promoted: &[Booking]) -> Vec<Notice> {
    let mut notices: Vec<Notice> =
        expired.iter().map(|b| about(b, NoticeKind::BookingOfferExpired, None)).collect();
    notices.extend(promoted.iter().map(served));
    notices
}

/// An offer accepted: the booking now holds its seats.
#[must_use]
pub fn of_acceptance(accepted: &Booking) -> Notice {
    about(accepted, NoticeKind::BookingAccepted, None)
}

/// An offer declined: the booking, then each booking its seats served.
#[must_use]
pub fn of_declination(declination: &Declination) -> Vec<Notice> {
    let mut notices = vec![about(&declination.declined, NoticeKind::BookingDeclined, None)];
    notices.extend(declination.promoted.iter().map(served));
    notices
}

/// A booking: confirmed, or in line at its place.
#[must_use]
pub fn of_booking(outcome: &BookingOutcome) -> Notice {
    match outcome {
        BookingOutcome::Confirmed(booking) => about(booking, NoticeKind::BookingConfirmed, None),
        BookingOutcome::Waitlisted { booking, position, seats_ahead } => {
            about(booking, NoticeKind::BookingWaitlisted, Some((*position, *seats_ahead)))
        }
    }
}

/// A cancellation: the cancelled booking, then the booking that got its seat.
#[must_use]
pub fn of_cancellation(cancellation: &Cancellation) -> Vec<Notice> {
    let mut notices = vec![about(&cancellation.cancelled, NoticeKind::BookingCancelled, None)];
    notices.extend(cancellation.promoted.iter().map(served));
    notices
}

/// A waiting booking's quantity changed: a raise cancels the booking it replaces and puts the
/// new one in line at its place; then each booking the line was served, in line order. A
/// lowering that serves nobody notifies nothing (the booking is the holder's own change).
#[must_use]
pub fn of_quantity_change(change: &QuantityChange) -> Vec<Notice> {
    let mut notices = Vec::new();
    if let Some(replaced) = &change.replaced {
        notices.push(about(replaced, NoticeKind::BookingCancelled, None));
        let waiting = &change.booking;
        if waiting.booking.status == BookingStatus::Pending {
            let place = waiting.position.zip(waiting.seats_ahead);
            notices.push(about(&waiting.booking, NoticeKind::BookingWaitlisted, place));
        }
    }
    notices.extend(change.promoted.iter().map(served));
    notices
}

/// A change of an event: the event, then each booking a raised limit confirmed, in line order.
#[must_use]
pub fn of_change(change: &EventChange) -> Vec<Notice> {
    let event = change.event.event.id;
    let mut notices = vec![Notice { kind: NoticeKind::EventUpdated, event, subject: Subject::Event }];
    notices.extend(change.promoted.iter().map(served));
    notices
}

/// An event called off: the event, then each live booking that ended with it, by id.
#[must_use]
pub fn of_event_cancellation(cancellation: &EventCancellation, ended: &[Booking]) -> Vec<Notice> {
    let event = cancellation.event.event.id;
    let mut notices = vec![Notice { kind: NoticeKind::EventCancelled, event, subject: Subject::Event }];
    notices.extend(ended.iter().map(|b| about(b, NoticeKind::BookingCancelled, None)));
    notices
}

/// The notice of a booking the line served ([`kind_of_served`]).
fn served(booking: &Booking) -> Notice {
    about(booking, kind_of_served(booking.status), None)
}

/// A notice about `booking`; `place` is its place in line and the seats ahead of it, for a
/// booking that joined the line.
fn about(booking: &Booking, kind: NoticeKind, place: Option<(WaitlistPosition, u64)>) -> Notice {
    Notice {
        kind,
        event: booking.event,
        subject: Subject::Booking {
            booking: booking.id,
            holder: booking.user,
            quantity: booking.quantity,
            position: place.map(|(position, _)| position),
            seats_ahead: place.map(|(_, seats)| seats),
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::event::{Availability, Event, EventDate, EventStatus, Price, TicketLimit};
    use crate::ids::{BookingId, EventId, UserId};
    use crate::text::NonEmptyText;

    fn booking(id: i64, user: i64, status: BookingStatus) -> Booking {
        Booking {
            id: BookingId::new(id).unwrap(),
            event: EventId::new(7).unwrap(),
            user: UserId::new(user).unwrap(),
            status,
            quantity: crate::booking::Quantity::ONE,
            created_at: Utc::now(),
            offer_expires_at: None,
        }
    }

    fn event() -> Availability {
        let text = |s: &str| NonEmptyText::parse(s).unwrap();
        Availability {
            event: Event {
                id: EventId::new(7).unwrap(),
                organizer: UserId::new(1).unwrap(),
                name: text("n"),
                description: text("d"),
                date: EventDate::parse("2030-01-01").unwrap(),
                location: text("l"),
                ticket_limit: TicketLimit::new(3).unwrap(),
                price: Price::from_cents(0).unwrap(),
                status: EventStatus::OnSale,
                seating: crate::event::Seating::DEFAULT,
            },
            tickets_available: 0,
            waiting_list_count: 0,
            seats_on_offer: 0,
        }
    }

    fn kinds_and_subjects(notices: &[Notice]) -> Vec<(NoticeKind, Option<i64>)> {
        notices
            .iter()
            .map(|n| match n.subject {
                Subject::Booking { booking, .. } => (n.kind, Some(booking.get())),
                Subject::Event => (n.kind, None),
            })
            .collect()
    }

    #[test]
    fn a_waitlisted_booking_is_told_its_place_and_a_confirmed_one_none() {
        let position = WaitlistPosition::new(4).unwrap();
        let waiting = BookingOutcome::Waitlisted {
            booking: booking(5, 2, BookingStatus::Pending),
            position,
            seats_ahead: 6,
        };
        let notice = of_booking(&waiting);
        assert_eq!(notice.kind, NoticeKind::BookingWaitlisted);
        assert_eq!(
            notice.subject,
            Subject::Booking {
                booking: BookingId::new(5).unwrap(),
                holder: UserId::new(2).unwrap(),
                quantity: crate::booking::Quantity::ONE,
                position: Some(position),
                seats_ahead: Some(6),
            }
        );
        let seated = of_booking(&BookingOutcome::Confirmed(booking(6, 3, BookingStatus::Confirmed)));
        assert_eq!(seated.kind, NoticeKind::BookingConfirmed);
        assert!(matches!(seated.subject, Subject::Booking { position: None, .. }));
    }

    #[test]
    fn a_cancel_that_frees_a_seat_notifies_the_canceller_then_the_promoted() {
        let with_promotion = Cancellation {
            cancelled: booking(1, 2, BookingStatus::Cancelled),
            promoted: vec![booking(9, 3, BookingStatus::Confirmed)],
        };
        assert_eq!(
            kinds_and_subjects(&of_cancellation(&with_promotion)),
            [(NoticeKind::BookingCancelled, Some(1)), (NoticeKind::BookingPromoted, Some(9))]
        );
        let alone = Cancellation { promoted: vec![], ..with_promotion };
        assert_eq!(kinds_and_subjects(&of_cancellation(&alone)), [(NoticeKind::BookingCancelled, Some(1))]);
    }

    #[test]
    fn a_raise_notifies_the_event_then_each_promotion_in_line_order() {
        let change = EventChange {
            event: event(),
            promoted: vec![booking(4, 2, BookingStatus::Confirmed), booking(8, 3, BookingStatus::Confirmed)],
        };
        assert_eq!(
            kinds_and_subjects(&of_change(&change)),
            [
                (NoticeKind::EventUpdated, None),
                (NoticeKind::BookingPromoted, Some(4)),
                (NoticeKind::BookingPromoted, Some(8))
            ]
        );
    }

    #[test]
    fn calling_an_event_off_notifies_the_event_then_every_ended_booking() {
        let cancellation = EventCancellation { event: event(), cancelled_bookings: 2 };
        let ended = [booking(3, 2, BookingStatus::Cancelled), booking(5, 4, BookingStatus::Cancelled)];
        assert_eq!(
            kinds_and_subjects(&of_event_cancellation(&cancellation, &ended)),
            [
                (NoticeKind::EventCancelled, None),
                (NoticeKind::BookingCancelled, Some(3)),
                (NoticeKind::BookingCancelled, Some(5))
            ]
        );
    }

    #[test]
    fn served_bookings_are_told_they_were_promoted_or_offered_by_their_status() {
        let cancel = Cancellation {
            cancelled: booking(1, 2, BookingStatus::Cancelled),
            promoted: vec![booking(9, 3, BookingStatus::Offered)],
        };
        assert_eq!(
            kinds_and_subjects(&of_cancellation(&cancel)),
            [(NoticeKind::BookingCancelled, Some(1)), (NoticeKind::BookingOffered, Some(9))]
        );
        let lapsed = [booking(9, 3, BookingStatus::Expired)];
        assert_eq!(
            kinds_and_subjects(&of_expiry(&lapsed, &[booking(11, 4, BookingStatus::Offered)])),
            [(NoticeKind::BookingOfferExpired, Some(9)), (NoticeKind::BookingOffered, Some(11))]
        );
        let declined = Declination {
            declined: booking(11, 4, BookingStatus::Declined),
            promoted: vec![booking(12, 5, BookingStatus::Offered)],
        };
        assert_eq!(
            kinds_and_subjects(&of_declination(&declined)),
            [(NoticeKind::BookingDeclined, Some(11)), (NoticeKind::BookingOffered, Some(12))]
        );
        assert_eq!(
            of_acceptance(&booking(12, 5, BookingStatus::Confirmed)).kind,
            NoticeKind::BookingAccepted
        );
    }

    #[test]
    fn only_live_statuses_start_a_booking() {
        assert_eq!(kind_of_new_booking(BookingStatus::Confirmed), Some(NoticeKind::BookingConfirmed));
        assert_eq!(kind_of_new_booking(BookingStatus::Pending), Some(NoticeKind::BookingWaitlisted));
        assert_eq!(kind_of_new_booking(BookingStatus::Cancelled), None);
    }
}
