-- The deliveries log kept the transport's own words ("Connection refused (os error 111)", "No
-- route to host", which certificate was refused): anyone who could register a webhook read
-- there which ports answer and what they serve, a port and TLS scanner. It now keeps a class
-- (domain::webhook::DeliveryError); the words go to the service's log only. The rows written
-- before are classed by their words, and a 410 keeps its status only (it is an answer, and its
-- webhook's `disabled_at` says the rest).
UPDATE webhook_attempts SET error = CASE
    WHEN error IS NULL OR (status_code = 410 AND error LIKE '410 Gone%') THEN NULL
    WHEN status_code IS NOT NULL THEN 'http_status'
    WHEN error = 'no answer within the timeout' THEN 'timeout'
    WHEN error ILIKE '%certificate%' OR error ILIKE '%tls%' OR error ILIKE '%handshake%' THEN 'tls'
    WHEN error LIKE 'could not render%' OR error = 'the signing key was refused' THEN 'internal'
    ELSE 'unreachable'
END;

ALTER TABLE webhook_attempts
    DROP CONSTRAINT webhook_attempts_error_length,
    ADD CONSTRAINT webhook_attempts_error_class
        CHECK (error IN ('timeout', 'unreachable', 'tls', 'http_status', 'internal'));
