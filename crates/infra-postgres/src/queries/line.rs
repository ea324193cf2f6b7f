//! Serving an event's line (docs/ARCHITECTURE.md, "Serving the line"): the line read a prefix
//! at a time, and what the domain's [`domain::line::Line`] decided written back in one
//! statement. Both run under the event's exclusive guard, holding its row: nothing else changes
//! its waiting bookings meanwhile, so what was read is what is written over.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use domain::EventId;

use crate::queries::Prepared;
use crate::queries::fragments::{booking_columns, recorded};
use crate::queries::history::Steps;
use crate::rows::LineEntryRow;

/// The first `$2` waiting bookings of event `$1`, in line order: a range scan of
/// `bookings_event_status_id_idx`.
pub const READ_LINE: &str = concat!(
    "SELECT ",
    booking_columns!(),
    ", b.overtaken
FROM bookings b
WHERE b.event_id = $1 AND b.status = 'PENDING'
ORDER BY b.id
LIMIT $2"
);

/// Call under the event's exclusive guard: the first `entries` of its line.
pub(crate) async fn read(
    conn: &mut AsyncPgConnection,
    event: EventId,
    entries: i64,
) -> QueryResult<Vec<LineEntryRow>> {
    Prepared(diesel::sql_query(READ_LINE).bind::<BigInt, _>(event.get()).bind::<BigInt, _>(entries))
        .load(conn)
        .await
}

/// Rewrites the bookings of event `$1` a change decided on — each id (`$2`) with its status
/// (`$3`), quantity (`$4`) and overtake count (`$5`) as they now are — and adds `$6`, `$7` and
/// `$8` to the event's seats taken, bookings waiting and seats waiting. A booking newly
/// `OFFERED` gets its deadline here, by this statement's clock: the event's offer window from
/// now, capped at the start of its day. The history entries of the steps that led there (`$9`
/// to `$19`, `queries::history::Steps`, in the order taken: one booking may have several) are
/// written with them; an offer's entry gets the deadline the booking got. Returns each
/// rewritten booking's id and deadline.
pub const WRITE_CHANGES: &str = concat!(
    "WITH changed AS (
    UPDATE bookings b
    SET status = c.status, quantity = c.quantity, overtaken = c.overtaken, updated_at = now(),
        offer_expires_at = CASE
            WHEN c.status = 'OFFERED' AND b.status <> 'OFFERED' THEN
                least(statement_timestamp() + make_interval(secs => e.offer_window_seconds),
                      e.date::timestamp AT TIME ZONE 'UTC')
            ELSE b.offer_expires_at END
    FROM unnest($2::int8[], $3::text[], $4::int4[], $5::int4[]) AS c(id, status, quantity, overtaken),
         events e
    WHERE b.event_id = $1 AND b.id = c.id AND e.id = $1
    RETURNING b.id, b.offer_expires_at
), counted AS (
    UPDATE events
    SET seats_taken = seats_taken + $6, waiting = waiting + $7, seats_waiting = seats_waiting + $8,
        version = version + 1
    WHERE id = $1
    RETURNING version, ticket_limit, overtake_limit, offer_window_seconds, date
), ",
    recorded!(
        "SELECT $1, c.version, s.booking, s.actor_kind, s.actor_id, s.action, s.from_status, s.to_status,
           s.quantity, s.seats, s.waiting, s.waiting_seats, c.ticket_limit, c.overtake_limit,
           CASE s.action
               WHEN 'offered' THEN least(statement_timestamp() + make_interval(secs => c.offer_window_seconds),
                                         c.date::timestamp AT TIME ZONE 'UTC')
               WHEN 'declined' THEN (SELECT b.offer_expires_at FROM bookings b
                                     WHERE b.event_id = $1 AND b.id = s.booking)
           END,
           s.request_id
    FROM unnest($9::int8[], $10::text[], $11::text[], $12::text[], $13::int4[], $14::int4[], $15::int4[],
                $16::int4[], $17::text[], $18::int8[], $19::text[])
             WITH ORDINALITY AS s(booking, action, from_status, to_status, quantity, seats, waiting,
                                  waiting_seats, actor_kind, actor_id, request_id, ord),
         counted c
    ORDER BY s.ord"
    ),
    "
SELECT id, offer_expires_at FROM changed"
);

/// A rewritten booking's id and deadline.
#[derive(Debug, QueryableByName)]
pub(crate) struct ChangedRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// A booking as a change leaves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rewrite {
    pub id: i64,
    pub status: &'static str,
    pub quantity: i32,
    pub overtaken: i32,
}

/// The event's counters' changes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counters {
    pub seats_taken: i32,
    pub waiting: i32,
    pub seats_waiting: i32,
}

/// Call under the event's exclusive guard, holding its row: writes `bookings` and `counters`;
/// returns the bookings rewritten, with their deadlines.
pub(crate) async fn write(
    conn: &mut AsyncPgConnection,
    event: EventId,
    bookings: &[Rewrite],
    counters: Counters,
    steps: &Steps,
) -> QueryResult<Vec<ChangedRow>> {
    Prepared(
        diesel::sql_query(WRITE_CHANGES)
            .bind::<BigInt, _>(event.get())
            .bind::<Array<BigInt>, _>(bookings.iter().map(|b| b.id).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(bookings.iter().map(|b| b.status).collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(bookings.iter().map(|b| b.quantity).collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(bookings.iter().map(|b| b.overtaken).collect::<Vec<_>>())
            .bind::<Integer, _>(counters.seats_taken)
            .bind::<Integer, _>(counters.waiting)
            .bind::<Integer, _>(counters.seats_waiting)
            .bind::<Array<BigInt>, _>(&steps.bookings)
            .bind::<Array<Text>, _>(&steps.actions)
            .bind::<Array<Nullable<Text>>, _>(&steps.from)
            .bind::<Array<Text>, _>(&steps.to)
            .bind::<Array<Integer>, _>(&steps.quantities)
            .bind::<Array<Integer>, _>(&steps.seats)
            .bind::<Array<Integer>, _>(&steps.waiting)
            .bind::<Array<Integer>, _>(&steps.waiting_seats)
            .bind::<Array<Text>, _>(&steps.actor_kinds)
            .bind::<Array<Nullable<BigInt>>, _>(&steps.actor_ids)
            .bind::<Array<Nullable<Text>>, _>(&steps.requests),
    )
    .load(conn)
    .await
}
