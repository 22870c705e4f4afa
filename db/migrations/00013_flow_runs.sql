-- +goose Up
-- Flow enrollments. Each run of a flow for one contact is a row here and a Temporal workflow
-- (flow-run-{id}); the row is the list admins read, the workflow is where the run happens.

CREATE TABLE flow_runs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    flow_id         bigint      NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    -- The published version the run started on; it finishes on it even if a newer one is published.
    version         integer     NOT NULL CHECK (version > 0),
    contact_id      bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    trigger_type    text        NOT NULL,
    -- What started the run, unique per flow so that a retried start never enrolls twice:
    -- event:{event id}, run:{parent run}:{step}:{n}, shortcut:{key}, webhook:{key}.
    origin_key      text        NOT NULL CHECK (length(origin_key) BETWEEN 1 AND 200),
    -- Trigger variables (webhook body, shortcut form, event details), read by the run at start.
    variables       jsonb       NOT NULL DEFAULT '{}',
    conversation_id bigint      REFERENCES conversations (id) ON DELETE SET NULL,
    started_by      bigint      REFERENCES users (id) ON DELETE SET NULL,
    parent_run_id   bigint      REFERENCES flow_runs (id) ON DELETE SET NULL,
    -- How many runs led to this one (a run's tag change triggering another flow, Trigger Another
    -- Flow): chains deeper than the dispatcher allows are not started, so two flows that trigger
    -- each other cannot loop for ever.
    depth           integer     NOT NULL DEFAULT 0 CHECK (depth >= 0),
    -- starting: recorded, workflow not yet confirmed started; running; completed; failed (a step
    -- failed with no failure branch); stopped (by an admin, or the flow was stopped).
    status          text        NOT NULL DEFAULT 'starting'
                                CHECK (status IN ('starting', 'running', 'completed', 'failed', 'stopped')),
    current_step    text,
    error           text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    ended_at        timestamptz,
    CHECK ((status IN ('completed', 'failed', 'stopped')) = (ended_at IS NOT NULL)),
    UNIQUE (flow_id, origin_key)
);
-- A contact is in a flow at most once at a time: a trigger that fires while it is enrolled is
-- skipped (respond.io re-enrolls only after the contact leaves the flow).
CREATE UNIQUE INDEX flow_runs_active_key ON flow_runs (flow_id, contact_id) WHERE status IN ('starting', 'running');
CREATE INDEX flow_runs_flow_idx ON flow_runs (flow_id, id DESC);
CREATE INDEX flow_runs_contact_idx ON flow_runs (contact_id, flow_id);
-- Runs whose workflow start was not confirmed (a process died in between) are started again.
CREATE INDEX flow_runs_starting_idx ON flow_runs (created_at) WHERE status = 'starting';

-- Events that may trigger flows, queued in the transaction that wrote them, so that no trigger is
-- lost and each is dispatched once. The dispatcher deletes a row in the transaction that records
-- the runs it starts.
CREATE TABLE flow_trigger_queue (
    event_id     bigint      PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION flow_trigger_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO flow_trigger_queue (event_id, workspace_id) VALUES (NEW.id, NEW.workspace_id);
    PERFORM pg_notify('chatcenter_flow_triggers', '');
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER events_flow_trigger AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.type IN ('conversation.opened', 'conversation.closed', 'contact.tag_added',
                       'contact.tag_removed', 'contact.field_changed'))
    EXECUTE FUNCTION flow_trigger_enqueue();

-- Runs waiting for the contact's next message (Ask a Question). The conversation workflow takes
-- the contact's waiters in the transaction that attaches an inbound message and signals them.
CREATE TABLE flow_waits (
    workflow_id  text        PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    run_id       bigint      REFERENCES flow_runs (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flow_waits_contact_idx ON flow_waits (contact_id);

-- Incoming Webhook triggers: each flow gets a secret token for its URL.
ALTER TABLE flows ADD COLUMN webhook_token text UNIQUE;

-- A queued assignment may belong to a flow run waiting in an Assign To step, and may be for one
-- user only (Assign To a specific user, online only or below a capacity): NULL = any user of the
-- scope.
ALTER TABLE assignment_queue
    ADD COLUMN waiter_workflow_id text,
    ADD COLUMN user_id bigint REFERENCES users (id) ON DELETE CASCADE;

-- +goose Down
ALTER TABLE assignment_queue DROP COLUMN user_id, DROP COLUMN waiter_workflow_id;
ALTER TABLE flows DROP COLUMN webhook_token;
DROP TABLE flow_waits;
DROP TRIGGER events_flow_trigger ON events;
DROP FUNCTION flow_trigger_enqueue();
DROP TABLE flow_trigger_queue;
DROP TABLE flow_runs;
