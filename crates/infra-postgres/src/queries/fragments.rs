//! The parts that several statements share, each written once: a change to a row's columns or
//! to how a seat is taken reaches every statement that reads or writes it. Macros rather than
//! constants because `concat!` joins only literals, and the statements must stay `&'static str`
//! to stay prepared ([`super::Prepared`]).

/// The seat-taking write both booking statements start with: a seat is taken only while one is
/// free and the event is on sale; the CHECK on `seats_taken` is the last line of defence
/// behind this condition.
macro_rules! take_seat {
    () => {
        "seat AS (
    UPDATE events SET seats_taken = seats_taken + 1
    WHERE id = $1 AND seats_taken < ticket_limit AND status = 'ON_SALE'
    RETURNING id
)"
    };
}
pub(crate) use take_seat;

/// A booking's columns, as `BookingRow` reads them, for a booking aliased `b`.
macro_rules! booking_columns {
    () => {
        "b.id, b.event_id, b.user_id, b.status, b.created_at"
    };
}
pub(crate) use booking_columns;

/// A pending booking's exact place in line (null for any other status), counted in the
/// statement's own snapshot, for a booking aliased `b`.
macro_rules! line_position {
    () => {
        "CASE WHEN b.status = 'PENDING' THEN
           (SELECT count(*) + 1 FROM bookings a
            WHERE a.event_id = b.event_id AND a.status = 'PENDING' AND a.id < b.id)
       END AS position"
    };
}
pub(crate) use line_position;

/// An event's columns with its waiting-list length, as `AvailabilityRow` reads them, for an
/// event aliased `e`.
macro_rules! availability_columns {
    () => {
        "e.id, e.organizer_id, e.name, e.description, e.date, e.location, e.ticket_limit, e.price_cents,
       e.seats_taken, e.status,
       (SELECT count(*) FROM bookings b WHERE b.event_id = e.id AND b.status = 'PENDING') AS waiting"
    };
}
pub(crate) use availability_columns;

/// A notification's columns as `NotificationRow` reads them, for a notification aliased `n`:
/// a booking's notice is completed from its booking (whose fields other than the status never
/// change; the status is the kind's), an event's from the snapshot written with it.
macro_rules! notification_columns {
    () => {
        "n.id, n.kind, n.created_at, n.event_id, n.position, n.booking_id,
       b.user_id AS holder_id, b.created_at AS booking_created_at,
       s.organizer_id, s.name, s.description, s.date, s.location, s.ticket_limit, s.price_cents,
       s.seats_taken, s.status, s.waiting"
    };
}
pub(crate) use notification_columns;

/// The joins [`notification_columns!`] reads from.
macro_rules! notification_sources {
    () => {
        "notifications n
LEFT JOIN bookings b ON b.id = n.booking_id
LEFT JOIN LATERAL jsonb_to_record(n.event_snapshot) AS s(
    organizer_id int8, name text, description text, date date, location text, ticket_limit int4,
    price_cents int8, seats_taken int4, status text, waiting int8) ON true"
    };
}
pub(crate) use notification_sources;
