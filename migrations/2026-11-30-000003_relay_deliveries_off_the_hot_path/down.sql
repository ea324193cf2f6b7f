ALTER TABLE webhook_deliveries ALTER COLUMN created_at SET DEFAULT now();

DROP TABLE outbox_relay;

CREATE FUNCTION notifications_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM fresh) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_deliveries (webhook_id, notification_id)
    SELECT w.id, n.id
    FROM fresh n
    JOIN events e ON e.id = n.event_id
    JOIN webhooks w ON w.organizer_id = e.organizer_id
    WHERE w.disabled_at IS NULL
      AND (w.event_id IS NULL OR w.event_id = n.event_id)
      AND (w.kinds IS NULL OR n.kind = ANY (w.kinds));
    PERFORM pg_notify('ticketing_notifications', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_fan_out
    AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS fresh
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_fan_out();
