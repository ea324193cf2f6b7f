DROP TRIGGER events_never_deleted ON events;
DROP FUNCTION events_refuse_deletion();
ALTER TABLE bookings ADD CONSTRAINT bookings_event_fkey FOREIGN KEY (event_id) REFERENCES events (id);
