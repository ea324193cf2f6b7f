-- Bookings: CONFIRMED holds a seat, PENDING waits in line, CANCELLED is history (kept, so a
-- cancellation can be answered and audited). The waiting line is ordered by id (I4).
CREATE TABLE bookings (
    id         BIGSERIAL   CONSTRAINT bookings_pkey PRIMARY KEY,
    event_id   BIGINT      NOT NULL CONSTRAINT bookings_event_fkey REFERENCES events (id),
    user_id    BIGINT      NOT NULL CONSTRAINT bookings_user_fkey REFERENCES users (id),
    status     TEXT        NOT NULL
               CONSTRAINT bookings_status_known CHECK (status IN ('CONFIRMED', 'PENDING', 'CANCELLED')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- I2: at most one live booking per user and event. The booking path relies on this index to
-- refuse a second booking atomically; the violation is mapped to "already booked / waiting".
CREATE UNIQUE INDEX bookings_one_live_per_user
    ON bookings (event_id, user_id)
    WHERE status IN ('CONFIRMED', 'PENDING');

-- The head of the line (`status = 'PENDING' ORDER BY id LIMIT 1`), waiting-list counts and
-- positions are all range scans of this index.
CREATE INDEX bookings_event_status_id_idx ON bookings (event_id, status, id);

-- A user's bookings, and the foreign key's delete check on users.
CREATE INDEX bookings_user_idx ON bookings (user_id);
