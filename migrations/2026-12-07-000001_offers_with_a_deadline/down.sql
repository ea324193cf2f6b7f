-- Back to confirming at once: an open offer keeps its seats as a confirmed booking, an ended one
-- reads as cancelled, and the notices of kinds the earlier release does not know are dropped.
DELETE FROM notifications
WHERE kind IN ('booking.offered', 'booking.offer_expired', 'booking.accepted', 'booking.declined');

ALTER TABLE notifications
    DROP CONSTRAINT notifications_kind_known,
    ADD CONSTRAINT notifications_kind_known CHECK (kind IN (
        'booking.confirmed', 'booking.waitlisted', 'booking.promoted', 'booking.cancelled',
        'event.updated', 'event.cancelled'));

DROP INDEX bookings_offer_deadline_idx;

UPDATE bookings SET status = 'CONFIRMED' WHERE status = 'OFFERED';
UPDATE bookings SET status = 'CANCELLED' WHERE status IN ('EXPIRED', 'DECLINED');

DROP INDEX bookings_one_live_per_user;
CREATE UNIQUE INDEX bookings_one_live_per_user
    ON bookings (event_id, user_id)
    WHERE status IN ('CONFIRMED', 'PENDING');

ALTER TABLE bookings
    DROP CONSTRAINT bookings_offer_has_deadline,
    DROP COLUMN offer_expires_at,
    DROP CONSTRAINT bookings_status_known,
    ADD CONSTRAINT bookings_status_known CHECK (status IN ('CONFIRMED', 'PENDING', 'CANCELLED'));

ALTER TABLE events DROP COLUMN offer_window_seconds;
