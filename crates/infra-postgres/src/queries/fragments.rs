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

/// How many bookings wait in the line of the event `$event` (an expression), in the
/// statement's snapshot.
macro_rules! line_length {
    ($event:literal) => {
        concat!("(SELECT count(*) FROM bookings b WHERE b.event_id = ", $event, " AND b.status = 'PENDING')")
    };
}
pub(crate) use line_length;

/// How many pending bookings of its event are ahead of the booking aliased `$booking` (lower
/// ids: the line is in id order), in the statement's snapshot; its place in line is one more.
/// The one count of a place in line, for the bookings read and for a booking joining the line
/// alone; a batch counts its own (`BOOK_BATCH` says why).
macro_rules! pending_ahead {
    ($booking:literal) => {
        concat!(
            "(SELECT count(*) FROM bookings a
            WHERE a.event_id = ",
            $booking,
            ".event_id AND a.status = 'PENDING' AND a.id < ",
            $booking,
            ".id)"
        )
    };
}
pub(crate) use pending_ahead;

/// A pending booking's exact place in line (null for any other status), for a booking aliased
/// `b`.
macro_rules! line_position {
    () => {
        concat!(
            "CASE WHEN b.status = 'PENDING' THEN
           ",
            $crate::queries::fragments::pending_ahead!("b"),
            " + 1
       END AS position"
        )
    };
}
pub(crate) use line_position;

/// An event's columns with its waiting-list length, as `AvailabilityRow` reads them, for an
/// event aliased `e`.
macro_rules! availability_columns {
    () => {
        concat!(
            "e.id, e.organizer_id, e.name, e.description, e.date, e.location, e.ticket_limit, e.price_cents,
       e.seats_taken, e.status,
       ",
            $crate::queries::fragments::line_length!("e.id"),
            " AS waiting"
        )
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

/// Writes one notice per row `$rows` selects, as a CTE named `noticed`: the kind, the event,
/// the booking and its holder (null for an event's notice) and the place in line (a
/// waitlisted booking's only), in this order; after `with_snapshot:`, the rows add the event as
/// the change left it (an event's notice only). Every statement that writes notices writes
/// them through this. A booking's notice leaves the snapshot column out rather than write a
/// null: in `BOOK_BATCH` the null would ride through the sort that numbers the notices.
macro_rules! noticed {
    (@columns $snapshot:literal, $rows:expr) => {
        concat!(
            "noticed AS (
    INSERT INTO notifications (kind, event_id, booking_id, user_id, position",
            $snapshot,
            ")
    ",
            $rows,
            "
)"
        )
    };
    (with_snapshot: $rows:expr) => {
        $crate::queries::fragments::noticed!(@columns ", event_snapshot", $rows)
    };
    ($rows:expr) => {
        $crate::queries::fragments::noticed!(@columns "", $rows)
    };
}
pub(crate) use noticed;

/// [`noticed!`] for the bookings a statement has just placed, one notice per row of `$placed`
/// (a booking's `id, event_id, user_id, status` and `ahead`, the pending bookings before it):
/// kind `$seat` for a confirmed booking, `$line` with its place for a pending one.
macro_rules! booking_notices {
    ($seat:literal, $line:literal, $placed:literal) => {
        $crate::queries::fragments::noticed!(concat!(
            "SELECT CASE WHEN status = 'CONFIRMED' THEN ",
            $seat,
            " ELSE ",
            $line,
            " END, event_id, id, user_id,
           CASE WHEN status = 'PENDING' THEN ahead + 1 END
    FROM ",
            $placed
        ))
    };
}
pub(crate) use booking_notices;
