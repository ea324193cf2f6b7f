-- Retention (docs/OPERATIONS.md, "Retention"): the housekeeping worker deletes, a bounded batch
-- at a time, delivery attempts, settled deliveries and notifications older than their
-- settings. What each delete looks for is indexed here.
--
-- The log and the outbox are written in time order and never updated: a BRIN index (a few
-- pages, and next to nothing per insert, which matters on the booking path that writes every
-- notification) finds their old rows.
CREATE INDEX webhook_attempts_attempted_at_brin ON webhook_attempts USING brin (attempted_at);
CREATE INDEX notifications_created_at_brin ON notifications USING brin (created_at);

-- Settled deliveries, by age.
CREATE INDEX webhook_deliveries_settled_idx ON webhook_deliveries (created_at) WHERE due_at IS NULL;

-- Whether any delivery still refers to a notification (it is kept while one does).
CREATE INDEX webhook_deliveries_notification_id_idx ON webhook_deliveries (notification_id);
