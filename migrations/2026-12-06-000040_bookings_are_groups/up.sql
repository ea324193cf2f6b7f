-- A booking is a group of 1 to 100 seats, held or waited for all at once, and the line is served
-- with groups in it (docs/ARCHITECTURE.md, "Serving the line").

-- How an event seats groups: the most seats one booking may take, and how often a waiting
-- booking that does not fit may be passed by a later one that does (0: first come, first served).
-- `waiting` and `seats_waiting` count the PENDING bookings and their seats (I5), kept in the row
-- every booking already locks, so the fast path's "nobody waits" is a condition on the row it
-- updates (re-checked on the newest version when it waited for the lock) and no read counts the
-- line.
ALTER TABLE events
    ADD COLUMN max_per_booking INTEGER NOT NULL DEFAULT 10
        CONSTRAINT events_max_per_booking_range CHECK (max_per_booking BETWEEN 1 AND 100),
    ADD COLUMN overtake_limit INTEGER NOT NULL DEFAULT 0
        CONSTRAINT events_overtake_limit_range CHECK (overtake_limit BETWEEN 0 AND 100),
    ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0
        CONSTRAINT events_waiting_not_negative CHECK (waiting >= 0),
    ADD COLUMN seats_waiting INTEGER NOT NULL DEFAULT 0
        CONSTRAINT events_seats_waiting_not_negative CHECK (seats_waiting >= 0);

-- `overtaken`: how often a later booking was served while this one waited (docs/ARCHITECTURE.md).
ALTER TABLE bookings
    ADD COLUMN quantity INTEGER NOT NULL DEFAULT 1
        CONSTRAINT bookings_quantity_range CHECK (quantity BETWEEN 1 AND 100),
    ADD COLUMN overtaken INTEGER NOT NULL DEFAULT 0
        CONSTRAINT bookings_overtaken_not_negative CHECK (overtaken >= 0);

UPDATE events e SET waiting = l.waiting, seats_waiting = l.waiting
FROM (SELECT event_id, count(*)::int AS waiting FROM bookings WHERE status = 'PENDING' GROUP BY event_id) l
WHERE l.event_id = e.id;

-- Places in line count the seats ahead too: with the quantity in the index, they stay index-only
-- scans of the line.
DROP INDEX bookings_event_status_id_idx;
CREATE INDEX bookings_event_status_id_idx ON bookings (event_id, status, id) INCLUDE (quantity);

-- A booking's notice keeps the seats as they were then (a waiting booking may lower them later)
-- and, for a place in line, the seats ahead of it. Null in the notices written before, which
-- reads as one seat and one seat for each booking ahead, as every booking then was.
ALTER TABLE notifications
    ADD COLUMN quantity INTEGER
        CONSTRAINT notifications_quantity_range CHECK (quantity BETWEEN 1 AND 100),
    ADD COLUMN seats_ahead BIGINT
        CONSTRAINT notifications_seats_ahead_not_negative CHECK (seats_ahead >= 0);
