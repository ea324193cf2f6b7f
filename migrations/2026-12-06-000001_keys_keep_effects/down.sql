-- Verbatim answers become status and body again. An effect has no rendering here: its key is
-- left claimed and unanswered until it is forgotten (24 h), so that a retry is refused as
-- in flight rather than made twice.
ALTER TABLE idempotency_keys ADD COLUMN status SMALLINT, ADD COLUMN body BYTEA;

UPDATE idempotency_keys
SET status = convert_from(substring(verbatim FROM 1 FOR 3), 'UTF8')::smallint,
    body = substring(verbatim FROM 4)
WHERE verbatim IS NOT NULL;

UPDATE idempotency_keys SET lease_until = created_at + interval '24 hours' WHERE effect IS NOT NULL;

ALTER TABLE idempotency_keys
    DROP CONSTRAINT idempotency_keys_one_answer,
    DROP COLUMN effect,
    DROP COLUMN verbatim,
    ADD CONSTRAINT idempotency_keys_answered_whole CHECK ((status IS NULL) = (body IS NULL)),
    ADD CONSTRAINT idempotency_keys_status_http CHECK (status BETWEEN 100 AND 599);
