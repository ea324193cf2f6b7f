-- The waiting room in front of a drop (issue 33, work in progress): a room per event, and one
-- place per account in it. Places are numbered densely in the order joins commit: a join
-- bumps `next_pos` on the room's row (a row, not a sequence, so a rolled-back join leaves no
-- gap) in the statement that inserts the place.
CREATE TABLE waiting_rooms (
    event_id BIGINT PRIMARY KEY,
    opens_at TIMESTAMPTZ NOT NULL,
    sale_starts_at TIMESTAMPTZ NOT NULL,
    shuffle BOOLEAN NOT NULL DEFAULT false,
    token_ttl_seconds INTEGER NOT NULL DEFAULT 600,
    place_validity_seconds INTEGER NOT NULL DEFAULT 900,
    -- The serving number is base_pos + rate × (now − base_at), unless paused.
    base_pos BIGINT NOT NULL DEFAULT 0,
    base_at TIMESTAMPTZ NOT NULL,
    rate INTEGER NOT NULL,
    paused BOOLEAN NOT NULL DEFAULT false,
    next_pos BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT waiting_rooms_opens_before_the_sale CHECK (opens_at <= sale_starts_at),
    CONSTRAINT waiting_rooms_rate_range CHECK (rate BETWEEN 1 AND 100000)
);

CREATE TABLE queue_places (
    event_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    joined_at TIMESTAMPTZ NOT NULL DEFAULT statement_timestamp(),
    PRIMARY KEY (event_id, user_id),
    CONSTRAINT queue_places_one_per_position UNIQUE (event_id, position)
);
