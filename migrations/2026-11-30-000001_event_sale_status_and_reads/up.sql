-- An organizer may call an event off. The seat-taking statements check `status = 'ON_SALE'`
-- themselves, so a booking racing the cancellation is refused by the database, not by a read
-- before it.
ALTER TABLE events
    ADD COLUMN status TEXT NOT NULL DEFAULT 'ON_SALE',
    ADD CONSTRAINT events_status_known CHECK (status IN ('ON_SALE', 'CANCELLED'));

-- GET /events: keyset pages in (date, id) order, and date ranges, are range scans of this.
CREATE INDEX events_date_id_idx ON events (date, id);

-- GET /me/bookings: a user's bookings newest first is a backward scan of this. It replaces the
-- index on user_id alone (which still served the foreign key's check), so a booking still
-- updates as many indexes as before.
DROP INDEX bookings_user_idx;
CREATE INDEX bookings_user_id_idx ON bookings (user_id, id);
