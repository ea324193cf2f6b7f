-- The audit trail (docs/ARCHITECTURE.md, "History"): one row per change to a booking or to an
-- event's capacity or sale status, written by the statement that makes the change, and never
-- edited. Rows carry ids only, never an e-mail or a name.

-- Every statement that writes history bumps its event's version on the event row it already
-- locks, and writes the new value in its rows: a row's `event_version` is its event's commit
-- order, so the check replays in the order the changes were made.
ALTER TABLE events ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE TABLE history (
    event_id BIGINT NOT NULL,
    id BIGINT GENERATED ALWAYS AS IDENTITY,
    event_version BIGINT NOT NULL,
    -- Null for a change to the event itself (created, limit changed, cancelled).
    booking_id BIGINT,
    actor_kind TEXT NOT NULL,
    -- The user or organizer; null for the system (an offer's deadline passing, and what the
    -- line does with its seats when no request made the change).
    actor_id BIGINT,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    -- The booking's seats as the change left it.
    quantity INTEGER,
    -- What the change did to the event's counters: seats taken, bookings waiting and the seats
    -- they wait for. Summed over an event's rows they are its counters.
    seats_delta INTEGER NOT NULL,
    waiting_delta INTEGER NOT NULL,
    waiting_seats_delta INTEGER NOT NULL,
    -- The event's ticket limit and overtake limit in force after the change.
    ticket_limit INTEGER NOT NULL,
    overtake_limit INTEGER NOT NULL,
    -- An offer's deadline, on the rows that make, answer, end or move one.
    offer_expires_at TIMESTAMPTZ,
    request_id TEXT,
    at TIMESTAMPTZ NOT NULL DEFAULT statement_timestamp(),
    PRIMARY KEY (event_id, id),
    CONSTRAINT history_actor_known CHECK (
        (actor_kind IN ('user', 'organizer') AND actor_id IS NOT NULL)
        OR (actor_kind = 'system' AND actor_id IS NULL)),
    CONSTRAINT history_action_known CHECK (action IN (
        'created', 'imported', 'booked', 'waitlisted', 'promoted', 'offered', 'accepted', 'declined',
        'expired', 'cancelled', 'quantity_changed', 'deadline_moved', 'limit_changed',
        'event_cancelled')),
    CONSTRAINT history_booking_row CHECK ((booking_id IS NULL) = (action IN ('created', 'limit_changed', 'event_cancelled')))
);

-- A booking's rows, for `GET /bookings/{id}/history`.
CREATE INDEX history_booking_id_idx ON history (booking_id, id) WHERE booking_id IS NOT NULL;

-- Where an event's rows go some days after its date (`HISTORY_ARCHIVE_AFTER`): same columns,
-- same rules, out of the way of the table every booking writes to (its `id` a plain column: it
-- keeps the one the row had).
CREATE TABLE history_archive (LIKE history INCLUDING CONSTRAINTS, PRIMARY KEY (event_id, id));
CREATE INDEX history_archive_booking_id_idx ON history_archive (booking_id, id) WHERE booking_id IS NOT NULL;

-- Nobody edits history: an UPDATE, DELETE or TRUNCATE fails, whoever runs it. The one way a row
-- leaves `history` is to the archive, once a copy is there (`archive_history` below).
CREATE FUNCTION history_refuse_edits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'history' AND EXISTS (
        SELECT FROM history_archive a
        WHERE a.event_id = OLD.event_id AND a.id = OLD.id AND to_jsonb(a) = to_jsonb(OLD)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_refuse_edits();
CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_refuse_edits();
CREATE TRIGGER history_archive_append_only BEFORE UPDATE OR DELETE ON history_archive
    FOR EACH ROW EXECUTE FUNCTION history_refuse_edits();
CREATE TRIGGER history_archive_no_truncate BEFORE TRUNCATE ON history_archive
    FOR EACH STATEMENT EXECUTE FUNCTION history_refuse_edits();

-- Moves up to `batch` rows of events whose date is more than `days` days past to the archive:
-- copied first, then deleted (which the trigger allows only for a row whose exact copy is
-- there). Runs as the owner, so that the service's role needs neither DELETE on history nor
-- INSERT on the archive; it can move only past events' rows, whole.
CREATE FUNCTION archive_history(days INTEGER, batch INTEGER) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE moved BIGINT;
BEGIN
    IF days IS NULL OR days < 0 OR batch IS NULL OR batch < 1 THEN
        RAISE EXCEPTION 'archive_history: days must be 0 or more and batch 1 or more'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO history_archive
        SELECT h.* FROM history h JOIN events e ON e.id = h.event_id
        WHERE e.date < current_date - days
        ORDER BY h.event_id, h.id LIMIT batch
        ON CONFLICT DO NOTHING;
    DELETE FROM history h USING events e, history_archive a
    WHERE e.id = h.event_id AND e.date < current_date - days
      AND a.event_id = h.event_id AND a.id = h.id;
    GET DIAGNOSTICS moved = ROW_COUNT;
    RETURN moved;
END $$;

-- What there was before history was kept: one `imported` row per booking, as it stands, so
-- that every event's rows add up to its counters from the start.
UPDATE events SET version = 1 WHERE EXISTS (SELECT FROM bookings b WHERE b.event_id = events.id);
INSERT INTO history (event_id, event_version, booking_id, actor_kind, actor_id, action, from_status,
                     to_status, quantity, seats_delta, waiting_delta, waiting_seats_delta, ticket_limit,
                     overtake_limit, offer_expires_at)
SELECT b.event_id, 1, b.id, 'system', NULL, 'imported', NULL, b.status, b.quantity,
       CASE WHEN b.status IN ('CONFIRMED', 'OFFERED') THEN b.quantity ELSE 0 END,
       CASE WHEN b.status = 'PENDING' THEN 1 ELSE 0 END,
       CASE WHEN b.status = 'PENDING' THEN b.quantity ELSE 0 END,
       e.ticket_limit, e.overtake_limit, b.offer_expires_at
FROM bookings b JOIN events e ON e.id = b.event_id
ORDER BY b.event_id, b.id;

-- The service's role may read history and add to it, and read the archive, nothing else (the
-- role setup grants every table's rows by default; it takes these back at every start too).
DO $$
DECLARE grantee record;
BEGIN
    FOR grantee IN
        SELECT DISTINCT g.grantee FROM information_schema.role_table_grants g
        WHERE g.table_schema = 'public' AND g.table_name IN ('history', 'history_archive')
          AND g.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') AND g.grantee <> current_user
    LOOP
        EXECUTE format('REVOKE UPDATE, DELETE, TRUNCATE ON history FROM %I', grantee.grantee);
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON history_archive FROM %I', grantee.grantee);
    END LOOP;
END $$;
