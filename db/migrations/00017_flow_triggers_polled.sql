-- +goose Up
-- Trigger events are still queued in the transaction that wrote them, but no longer announced:
-- the dispatchers read the queue every 250 ms. A NOTIFY holds a database-wide lock from before
-- its transaction commits until the commit is flushed, serialising every transaction that opens
-- or closes a conversation or changes a contact's tags or fields.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION flow_trigger_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flow_trigger_queue (event_id, workspace_id) VALUES (NEW.id, NEW.workspace_id);
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

-- Since when a flow has been live (published without a stop in between): an event from before
-- that does not start it, however late the dispatcher reads it. Republishing a live flow keeps it.
ALTER TABLE flows ADD COLUMN live_since timestamptz;
UPDATE flows SET live_since = updated_at WHERE status = 'published';

-- +goose Down
ALTER TABLE flows DROP COLUMN live_since;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION flow_trigger_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flow_trigger_queue (event_id, workspace_id) VALUES (NEW.id, NEW.workspace_id);
    PERFORM pg_notify('chatcenter_flow_triggers', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd
