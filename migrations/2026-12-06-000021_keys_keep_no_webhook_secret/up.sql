-- A keyed webhook creation kept the webhook's signing secret in its key's effect, a second copy
-- at rest (and in every backup of this table) that nothing needed: a replay now reads the
-- secret from the webhook itself, which must hold it to sign. The copies are taken out.
UPDATE idempotency_keys SET effect = effect - 'secret' WHERE effect ->> 'effect' = 'webhook_created';
