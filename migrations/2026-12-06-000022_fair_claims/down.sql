DROP INDEX webhook_deliveries_leased_idx;

ALTER TABLE webhook_deliveries DROP COLUMN leased_until;
