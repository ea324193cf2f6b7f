-- The waiting room in front of a drop: a room per event, and one place per account in it.
-- Places are numbered densely in the order joins commit: a join bumps `numbered` on the room's
-- row (a row, not a sequence, so a rolled-back join leaves no gap) under that row's lock.
CREATE TABLE waiting_rooms (
    event_id BIGINT CONSTRAINT waiting_rooms_pkey PRIMARY KEY
        CONSTRAINT waiting_rooms_event_fkey REFERENCES events (id),
    opens_at TIMESTAMPTZ NOT NULL,
    sale_starts_at TIMESTAMPTZ NOT NULL,
    shuffle BOOLEAN NOT NULL DEFAULT false,
    token_ttl_seconds INTEGER NOT NULL DEFAULT 600,
    place_validity_seconds INTEGER NOT NULL DEFAULT 900,
    -- Serving is base_pos + rate × (now − base_at) by the database's clock, unless paused.
    base_pos BIGINT NOT NULL DEFAULT 0,
    base_at TIMESTAMPTZ NOT NULL,
    rate INTEGER NOT NULL,
    paused BOOLEAN NOT NULL DEFAULT false,
    -- Places are exactly 1..numbered; `joined` also counts early arrivals awaiting the draw.
    numbered BIGINT NOT NULL DEFAULT 0,
    joined BIGINT NOT NULL DEFAULT 0,
    drawn BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT waiting_rooms_opens_before_the_sale CHECK (opens_at <= sale_starts_at),
    CONSTRAINT waiting_rooms_rate_range CHECK (rate BETWEEN 1 AND 100000),
    CONSTRAINT waiting_rooms_lifetimes CHECK (token_ttl_seconds BETWEEN 60 AND 86400
        AND place_validity_seconds BETWEEN 60 AND 86400),
    CONSTRAINT waiting_rooms_counts CHECK (0 <= numbered AND numbered <= joined AND 0 <= base_pos)
);

CREATE TABLE queue_places (
    event_id BIGINT NOT NULL CONSTRAINT queue_places_room_fkey
        REFERENCES waiting_rooms (event_id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL,
    -- NULL until the draw, for an early arrival in a shuffled room; `draw_key` orders the draw.
    position BIGINT,
    draw_key DOUBLE PRECISION,
    joined_at TIMESTAMPTZ NOT NULL DEFAULT statement_timestamp(),
    -- Fixed when the room's count changes course past the place: the new count no longer says.
    reached_at TIMESTAMPTZ,
    -- When its holder was first given an admission token.
    token_at TIMESTAMPTZ,
    CONSTRAINT queue_places_pkey PRIMARY KEY (event_id, user_id),
    CONSTRAINT queue_places_one_per_position UNIQUE (event_id, position),
    CONSTRAINT queue_places_numbered_or_drawing CHECK (position > 0 OR (position IS NULL AND draw_key IS NOT NULL))
);

-- What a change of course must fix: the numbered places whose reaching time is not fixed yet.
CREATE INDEX queue_places_unfixed ON queue_places (event_id, position) WHERE reached_at IS NULL;
