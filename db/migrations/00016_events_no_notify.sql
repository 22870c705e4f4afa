-- +goose Up
-- The realtime brokers read the events table every 100 ms instead of being notified of each
-- insert: a notifying transaction holds a database-wide lock from before its commit until the
-- commit is flushed, which made every event-writing transaction (one per inbound message) commit
-- one after another. See package realtime.
DROP TRIGGER events_realtime_notify ON events;
DROP FUNCTION realtime_notify_event();

-- +goose Down
-- +goose StatementBegin
CREATE FUNCTION realtime_notify_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('chatcenter_events', NEW.id::text);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER events_realtime_notify AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION realtime_notify_event();
