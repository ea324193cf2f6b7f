-- The fan-out trigger of the previous migration cost the booking fast path 30 % of its
-- throughput at the database (pgbench, 64 clients, one event: 1 369 → 856 transactions/s, and
-- 789 with its NOTIFY): it ran inside the transaction that holds the event's row, so every
-- booking of a hot event waited for it. Deliveries are now queued by a relay, off that path:
-- any instance moves the notifications committed since the last relay into the queue, one
-- instance at a time (this row, locked with SKIP LOCKED), following the same watermark as the
-- feed so that none committing late is skipped. Writers that are not on the booking path wake
-- the instances with NOTIFY themselves.
DROP TRIGGER notifications_fan_out ON notifications;
DROP FUNCTION notifications_fan_out();

CREATE TABLE outbox_relay (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    -- The relay's watermark (domain::notice::Watermark): notifications up to `walked` are
    -- queued; `gap_start`, when set, is the first missing id above it and `gap_seen` the next
    -- transaction id when the gap was first seen.
    walked BIGINT NOT NULL,
    gap_start BIGINT,
    gap_seen BIGINT,
    CONSTRAINT outbox_relay_gap_whole CHECK ((gap_start IS NULL) = (gap_seen IS NULL))
);

-- Deliveries already queued by the trigger are skipped by the relay's ON CONFLICT.
INSERT INTO outbox_relay (id, walked) VALUES (1, 0);

-- "Age of the oldest undelivered notification": a delivery is as old as its notification.
ALTER TABLE webhook_deliveries ALTER COLUMN created_at DROP DEFAULT;
