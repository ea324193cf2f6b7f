-- Events and their seat counter. `seats_taken` is the number of CONFIRMED bookings (invariant
-- I5); the booking transaction takes a seat with a conditional
-- `UPDATE … WHERE seats_taken < ticket_limit`, and the checks below are the last line of defence
-- against overselling (I1).
CREATE TABLE events (
    id           BIGSERIAL   CONSTRAINT events_pkey PRIMARY KEY,
    organizer_id BIGINT      NOT NULL CONSTRAINT events_organizer_fkey REFERENCES users (id),
    name         TEXT        NOT NULL CONSTRAINT events_name_present CHECK (name <> ''),
    description  TEXT        NOT NULL CONSTRAINT events_description_present CHECK (description <> ''),
    date         DATE        NOT NULL,
    location     TEXT        NOT NULL CONSTRAINT events_location_present CHECK (location <> ''),
    ticket_limit INTEGER     NOT NULL CONSTRAINT events_ticket_limit_positive CHECK (ticket_limit >= 1),
    -- Money is exact: integer minor units, never a float.
    price_cents  BIGINT      NOT NULL CONSTRAINT events_price_not_negative CHECK (price_cents >= 0),
    seats_taken  INTEGER     NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT events_seats_within_limit CHECK (seats_taken BETWEEN 0 AND ticket_limit)
);

CREATE INDEX events_organizer_idx ON events (organizer_id);
