-- Offers with a deadline (docs/ARCHITECTURE.md, "Offers"): on an event that offers seats, the
-- bookings the line serves are OFFERED — holding their seats, counted in `seats_taken` (so the
-- capacity rule stays the one check it was) — until their holder accepts (CONFIRMED), declines
-- (DECLINED) or the deadline passes by the database clock (EXPIRED).

-- An event offers seats exactly when it has an offer window (null: it confirms at once, as
-- every event did before).
ALTER TABLE events
    ADD COLUMN offer_window_seconds INTEGER
        CONSTRAINT events_offer_window_range CHECK (offer_window_seconds BETWEEN 10 AND 604800);

-- An offered booking has its deadline, and keeps it once it lapses (what the expiry is checked
-- against).
ALTER TABLE bookings
    DROP CONSTRAINT bookings_status_known,
    ADD CONSTRAINT bookings_status_known
        CHECK (status IN ('CONFIRMED', 'PENDING', 'CANCELLED', 'OFFERED', 'EXPIRED', 'DECLINED')),
    ADD COLUMN offer_expires_at TIMESTAMPTZ,
    ADD CONSTRAINT bookings_offer_has_deadline
        CHECK (status NOT IN ('OFFERED', 'EXPIRED') OR offer_expires_at IS NOT NULL);

-- I2: an offer is a live booking, so its holder may not book the event again while it is open.
DROP INDEX bookings_one_live_per_user;
CREATE UNIQUE INDEX bookings_one_live_per_user
    ON bookings (event_id, user_id)
    WHERE status IN ('CONFIRMED', 'PENDING', 'OFFERED');

-- The open offers, by event: what a guarded write asks (has the event any, and which have
-- lapsed), what `seatsOnOffer` sums, and — the whole index being only the open offers — where
-- the sweeper finds the events with lapsed ones without touching a row lock (it then takes each
-- event's guard before it changes anything).
CREATE INDEX bookings_offer_deadline_idx ON bookings (event_id, offer_expires_at) INCLUDE (quantity)
    WHERE status = 'OFFERED';

ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_known,
    ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking.confirmed', 'booking.waitlisted', 'booking.promoted', 'booking.cancelled',
        'event.updated', 'event.cancelled',
        'booking.offered', 'booking.offer_expired', 'booking.accepted', 'booking.declined'));
