-- The outbox. Every change of a booking or an event inserts its notices here in the transaction
-- that makes the change, so a notice exists exactly when its change committed.
--
-- Ids come from the sequence at insert time, so they do not commit in order; the feed's reader
-- passes an id it cannot see only once every transaction that may still hold it has finished
-- (see `domain::notice::Watermark`). That reasoning needs each writer to have its transaction
-- id before it draws a notification id: every statement that inserts here writes a booking or
-- an event first.
--
-- No foreign keys: notices are written only beside the rows they name, those rows are never
-- deleted, and the booking fast path would otherwise run three referential checks per seat.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    event_id BIGINT NOT NULL,
    -- A booking's notice goes to the booking's holder; an event's notice to its organizer's
    -- webhooks only.
    booking_id BIGINT,
    user_id BIGINT,
    -- The place in line a `booking.waitlisted` notice reports.
    position BIGINT,
    -- An event's notice carries the event as the change left it (its availability columns).
    event_snapshot JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking.confirmed', 'booking.waitlisted', 'booking.promoted', 'booking.cancelled',
        'event.updated', 'event.cancelled')),
    CONSTRAINT notifications_booking_has_holder CHECK ((booking_id IS NULL) = (user_id IS NULL)),
    CONSTRAINT notifications_subject_is_one CHECK ((booking_id IS NULL) <> (event_snapshot IS NULL)),
    CONSTRAINT notifications_position_positive CHECK (position IS NULL OR position > 0)
);

-- GET /me/notifications and the streams: one user's notices in id order.
CREATE INDEX notifications_user_id_idx ON notifications (user_id, id) WHERE user_id IS NOT NULL;

-- An organizer's subscriptions. The secret signs deliveries, so it is stored as it is (a hash
-- could not sign); it is shown once, at creation.
CREATE TABLE webhooks (
    id BIGSERIAL PRIMARY KEY,
    organizer_id BIGINT NOT NULL REFERENCES users (id),
    url TEXT NOT NULL,
    -- NULL: every kind.
    kinds TEXT[],
    -- NULL: every event of the organizer.
    event_id BIGINT REFERENCES events (id),
    secret BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set when a receiver answers 410 Gone: nothing more is sent to it.
    disabled_at TIMESTAMPTZ,
    CONSTRAINT webhooks_url_length CHECK (length(url) BETWEEN 1 AND 2048),
    CONSTRAINT webhooks_secret_length CHECK (length(secret) BETWEEN 24 AND 64)
);

CREATE INDEX webhooks_organizer_id_idx ON webhooks (organizer_id, id);

-- One row per notification and webhook that should receive it, written by the same
-- transaction as the notification (the trigger below). A worker claims a due row with
-- FOR UPDATE SKIP LOCKED and leases it by moving `due_at` past the request's timeout, so a
-- worker that dies leaves a row that is due again once its lease runs out.
CREATE TABLE webhook_deliveries (
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    notification_id BIGINT NOT NULL,
    -- Attempts started, so a worker records its result only while its claim is the latest.
    attempts INTEGER NOT NULL DEFAULT 0,
    -- When it is next due (the lease's end while an attempt runs); NULL once settled.
    due_at TIMESTAMPTZ DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (webhook_id, notification_id),
    CONSTRAINT webhook_deliveries_attempts_counted CHECK (attempts >= 0)
);

CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (due_at) WHERE due_at IS NOT NULL;

-- Every attempt, for GET /webhooks/{id}/deliveries.
CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    notification_id BIGINT NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status_code INTEGER,
    error TEXT,
    next_attempt_at TIMESTAMPTZ,
    CONSTRAINT webhook_attempts_error_length CHECK (length(error) <= 500)
);

CREATE INDEX webhook_attempts_webhook_id_idx ON webhook_attempts (webhook_id, id);

-- Whoever inserts notices cannot forget their deliveries or the wake-up: once per statement,
-- the new notices are matched to the webhooks of their events' organizers, and the listeners
-- of every instance are woken (delivered only if the transaction commits).
CREATE FUNCTION notifications_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fresh) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, notification_id)
    SELECT w.id, n.id
    FROM fresh n
    JOIN events e ON e.id = n.event_id
    JOIN webhooks w ON w.organizer_id = e.organizer_id
    WHERE w.disabled_at IS NULL
      AND (w.event_id IS NULL OR w.event_id = n.event_id)
      AND (w.kinds IS NULL OR n.kind = ANY (w.kinds));
    PERFORM pg_notify('ticketing_notifications', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_fan_out
    AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS fresh
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_fan_out();
