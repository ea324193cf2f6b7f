-- Fair claiming (docs/ARCHITECTURE.md, "Notifications"): a claim counts what each webhook and
-- each organizer already has in flight on every instance, and takes no more than their share,
-- so that a target which answers slowly, or never, holds its own deliveries back and nobody
-- else's. A delivery is in flight while its lease runs: `leased_until`, set by the claim and
-- cleared when its attempt is recorded (a claimer that died leaves a lease that simply ends).
ALTER TABLE webhook_deliveries ADD COLUMN leased_until TIMESTAMPTZ;

CREATE INDEX webhook_deliveries_leased_idx ON webhook_deliveries (webhook_id) WHERE leased_until IS NOT NULL;
