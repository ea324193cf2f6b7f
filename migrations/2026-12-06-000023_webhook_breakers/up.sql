-- A circuit breaker per webhook (domain::webhook::BreakerPolicy): a receiver that keeps failing
-- has its deliveries held back for a pause that doubles while its probes fail, instead of every
-- delivery retrying on its own schedule for a day. Recorders move it under the webhook's row
-- lock, by the database's clock.
ALTER TABLE webhooks
    -- Attempts failed in a row since the last one delivered.
    ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0,
    -- Pauses since the last delivered attempt: how long the next one is.
    ADD COLUMN breaker_pauses INTEGER NOT NULL DEFAULT 0,
    -- Until when its deliveries are held back.
    ADD COLUMN paused_until TIMESTAMPTZ,
    ADD CONSTRAINT webhooks_failures_counted CHECK (consecutive_failures >= 0),
    ADD CONSTRAINT webhooks_pauses_counted CHECK (breaker_pauses >= 0);
