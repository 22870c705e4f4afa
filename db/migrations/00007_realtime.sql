-- +goose Up
-- Realtime stream: every committed outbox event wakes the API processes that LISTEN on
-- chatcenter_events. The notification carries only the event id (NOTIFY payloads are limited to
-- 8000 bytes and event payloads are not); listeners read the rows themselves. NOTIFY is
-- transactional: it is delivered at commit, and never for a rolled-back insert.

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

-- +goose Down
DROP TRIGGER events_realtime_notify ON events;
DROP FUNCTION realtime_notify_event();
