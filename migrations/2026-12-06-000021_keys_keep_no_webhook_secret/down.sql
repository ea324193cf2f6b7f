-- The release before reads the secret from the key: put it back from the webhook (as serde
-- wrote it, an array of byte values). A key whose webhook is gone has none to give: it is left
-- claimed and unanswered until it is forgotten (24 h), so that a retry is refused as in flight
-- rather than made twice.
UPDATE idempotency_keys k
SET effect = jsonb_set(
        k.effect,
        '{secret}',
        (SELECT to_jsonb(array_agg(get_byte(w.secret, i) ORDER BY i))
         FROM generate_series(0, length(w.secret) - 1) AS i))
FROM webhooks w
WHERE k.effect ->> 'effect' = 'webhook_created' AND w.id = (k.effect -> 'webhook' ->> 'id')::int8;

UPDATE idempotency_keys SET effect = NULL, lease_until = created_at + interval '24 hours'
WHERE effect ->> 'effect' = 'webhook_created' AND NOT effect ? 'secret';
