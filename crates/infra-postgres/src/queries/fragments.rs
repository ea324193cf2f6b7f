//! The parts that several statements share, each written once: a change to a row's columns or
//! to how a seat is taken reaches every statement that reads or writes it. Macros rather than
//! constants because `concat!` joins only literals, and the statements must stay `&'static str`
//! to stay prepared ([`super::Prepared`]).

/// A booking's columns, as `BookingRow` reads them, for a booking aliased `b`: an offer whose
/// deadline has passed by the statement's clock reads as `EXPIRED` whether or not a write has
/// expired it yet, so no read waits for one (docs/ARCHITECTURE.md, "Offers").
macro_rules! booking_columns {
    () => {
        "b.id, b.event_id, b.user_id,
       CASE WHEN b.status = 'OFFERED' AND b.offer_expires_at <= statement_timestamp() THEN 'EXPIRED'
            ELSE b.status END AS status,
       b.quantity, b.created_at, b.offer_expires_at"
    };
}
pub(crate) use booking_columns;

/// The pending bookings of its event ahead of the booking aliased `$booking` (lower ids: the
/// line is in id order), in the statement's snapshot, as `$aggregate` over them: `count(*)` for
/// how many (its place in line is one more), `sum(a.quantity)` for their seats. An index-only
/// scan of `bookings_event_status_id_idx`, which includes the quantity.
macro_rules! pending_ahead {
    ($aggregate:literal, $booking:literal) => {
        concat!(
            "(SELECT COALESCE(",
            $aggregate,
            ", 0) FROM bookings a
            WHERE a.event_id = ",
            $booking,
            ".event_id AND a.status = 'PENDING' AND a.id < ",
            $booking,
            ".id)"
        )
    };
}
pub(crate) use pending_ahead;

/// A pending booking's exact place in line and the seats ahead of it (both null for any other
/// status), for a booking aliased `b`.
macro_rules! line_position {
    () => {
        concat!(
            "CASE WHEN b.status = 'PENDING' THEN
           ",
            $crate::queries::fragments::pending_ahead!("count(*)", "b"),
            " + 1
       END AS position,
       CASE WHEN b.status = 'PENDING' THEN
           ",
            $crate::queries::fragments::pending_ahead!("sum(a.quantity)", "b"),
            "::int8
       END AS seats_ahead"
        )
    };
}
pub(crate) use line_position;

/// An event's columns with the seats its line waits for and those held for open offers (by
/// the statement's clock), as `AvailabilityRow` reads them, for an event aliased `e`.
macro_rules! availability_columns {
    () => {
        "e.id, e.organizer_id, e.name, e.description, e.date, e.location, e.ticket_limit, e.price_cents,
       e.seats_taken, e.status, e.max_per_booking, e.overtake_limit, e.offer_window_seconds,
       e.seats_waiting::int8 AS waiting,
       (SELECT COALESCE(sum(o.quantity), 0) FROM bookings o
        WHERE o.event_id = e.id AND o.status = 'OFFERED' AND o.offer_expires_at > statement_timestamp()
       )::int8 AS seats_on_offer"
    };
}
pub(crate) use availability_columns;

/// A notification's columns as `NotificationRow` reads them, for a notification aliased `n`:
/// a booking's notice is completed from its booking (whose holder and creation never change;
/// the status is the kind's, the quantity and place the notice's own), an event's from the
/// snapshot written with it. Notices written before bookings were groups have no quantity or
/// seats ahead: every booking then held one seat. Snapshots written before events had seating
/// or offers read with the defaults every event then had. An offer's deadline is set once, when
/// it is made, so the booking's own is the one its notices tell of.
macro_rules! notification_columns {
    () => {
        "n.id, n.kind, n.created_at, n.event_id, n.position, n.booking_id,
       CASE WHEN n.booking_id IS NOT NULL THEN COALESCE(n.quantity, 1) END AS quantity,
       COALESCE(n.seats_ahead, n.position - 1) AS seats_ahead,
       b.user_id AS holder_id, b.created_at AS booking_created_at,
       b.offer_expires_at AS booking_offer_expires_at,
       s.organizer_id, s.name, s.description, s.date, s.location, s.ticket_limit, s.price_cents,
       s.seats_taken, s.status, COALESCE(s.max_per_booking, 10) AS max_per_booking,
       COALESCE(s.overtake_limit, 0) AS overtake_limit, s.offer_window_seconds, s.waiting, COALESCE(s.seats_on_offer, 0) AS seats_on_offer"
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
    price_cents int8, seats_taken int4, status text, max_per_booking int4, overtake_limit int4,
    offer_window_seconds int4, waiting int8, seats_on_offer int8) ON true"
    };
}
pub(crate) use notification_sources;

/// Writes one notice per row `$rows` selects, as a CTE named `noticed`: the kind, the event,
/// the booking, its holder and its quantity (null for an event's notice), the place in line and
/// the seats ahead (a waitlisted booking's only), in this order; after `with_snapshot:`, the rows add the event as
/// the change left it (an event's notice only). Every statement that writes notices writes
/// them through this. A booking's notice leaves the snapshot column out rather than write a
/// null: in `BOOK_BATCH` the null would ride through the sort that numbers the notices.
macro_rules! noticed {
    (@columns $snapshot:literal, $rows:expr) => {
        concat!(
            "noticed AS (
    INSERT INTO notifications (kind, event_id, booking_id, user_id, quantity, position, seats_ahead",
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
/// (a booking's `id, event_id, user_id, status, quantity`, and `ahead` and `seats_ahead`, the
/// pending bookings before it and their seats): kind `$seat` for a confirmed booking, `$line`
/// with its place for a pending one.
macro_rules! booking_notices {
    ($seat:literal, $line:literal, $placed:literal) => {
        $crate::queries::fragments::noticed!(concat!(
            "SELECT CASE WHEN status = 'CONFIRMED' THEN ",
            $seat,
            " ELSE ",
            $line,
            " END, event_id, id, user_id, quantity,
           CASE WHEN status = 'PENDING' THEN ahead + 1 END,
           CASE WHEN status = 'PENDING' THEN seats_ahead END
    FROM ",
            $placed
        ))
    };
}
pub(crate) use booking_notices;

/// Writes one history entry per row `$rows` selects, as a CTE named `recorded`: the event, its
/// version as this statement bumped it, the booking (null for the event's own entry), the
/// actor's kind and id, the action, the statuses from and to, the quantity after, the changes
/// to seats taken, bookings waiting and seats waiting, the ticket and overtake limits in force,
/// the offer's deadline and the request id, in this order. Every statement that changes a
/// booking or an event's capacity or sale status writes its history through this, in the same
/// statement, so no change commits without its entry (docs/ARCHITECTURE.md, "History").
macro_rules! recorded {
    ($rows:expr) => {
        concat!(
            "recorded AS (
    INSERT INTO history (event_id, event_version, booking_id, actor_kind, actor_id, action, from_status,
                         to_status, quantity, seats_delta, waiting_delta, waiting_seats_delta,
                         ticket_limit, overtake_limit, offer_expires_at, request_id)
    ",
            $rows,
            "
)"
        )
    };
}
pub(crate) use recorded;
