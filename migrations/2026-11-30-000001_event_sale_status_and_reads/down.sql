DROP INDEX bookings_user_id_idx;
CREATE INDEX bookings_user_idx ON bookings (user_id);

DROP INDEX events_date_id_idx;

ALTER TABLE events
    DROP CONSTRAINT events_status_known,
    DROP COLUMN status;
