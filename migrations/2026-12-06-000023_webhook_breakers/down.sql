ALTER TABLE webhooks
    DROP CONSTRAINT webhooks_pauses_counted,
    DROP CONSTRAINT webhooks_failures_counted,
    DROP COLUMN paused_until,
    DROP COLUMN breaker_pauses,
    DROP COLUMN consecutive_failures;
