ALTER TABLE notifications DROP COLUMN seats_ahead, DROP COLUMN quantity;
DROP INDEX bookings_event_status_id_idx;
CREATE INDEX bookings_event_status_id_idx ON bookings (event_id, status, id);
ALTER TABLE bookings DROP COLUMN overtaken, DROP COLUMN quantity;
ALTER TABLE events DROP COLUMN seats_waiting, DROP COLUMN waiting, DROP COLUMN overtake_limit,
    DROP COLUMN max_per_booking;
