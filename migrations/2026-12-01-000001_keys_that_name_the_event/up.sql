-- Distribution-ready keys (docs/SCALING.md): with `events`, `bookings` and `notifications`
-- distributed by event (Citus), every primary key and unique constraint of those tables must
-- include the distribution column, so that each is checked on the one shard holding its rows.
-- `events` is keyed by its own id already; bookings and notifications now lead with their
-- event. Ids stay unique (one sequence each); the plain indexes on `id` keep the lookups by
-- booking id (a cancel by id, GET /bookings/{id}) and the outbox's id ranges as they were.
ALTER TABLE bookings DROP CONSTRAINT bookings_pkey;
ALTER TABLE bookings ADD CONSTRAINT bookings_pkey PRIMARY KEY (event_id, id);
CREATE INDEX bookings_id_idx ON bookings (id);

ALTER TABLE notifications DROP CONSTRAINT notifications_pkey;
ALTER TABLE notifications ADD CONSTRAINT notifications_pkey PRIMARY KEY (event_id, id);
CREATE INDEX notifications_id_idx ON notifications (id);
