-- +goose Up
-- Automatic assignment: per-user capacity, a persisted round-robin cursor per scope, and the queue
-- of conversations waiting for an agent with capacity. Open load is never stored: it is counted
-- from conversations (status 'open', assignee_id), so a crash between steps cannot leak capacity.

ALTER TABLE users
    -- Most open conversations auto-assignment gives this user; NULL falls back to the workspace default.
    ADD COLUMN max_open_conversations integer CHECK (max_open_conversations > 0),
    -- When auto-assignment last gave this user a conversation: least-open ties go to the longest idle.
    ADD COLUMN last_auto_assigned_at timestamptz;

ALTER TABLE workspaces
    -- Capacity of users without their own limit; NULL means unlimited.
    ADD COLUMN default_max_open_conversations integer CHECK (default_max_open_conversations > 0);

-- One row per scope (a team, or team_id 0 for the whole workspace). Its row lock serialises every
-- assignment decision of the scope; last_user_id is where round robin resumes.
CREATE TABLE assignment_cursors (
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    team_id      bigint      NOT NULL DEFAULT 0,
    last_user_id bigint      NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, team_id)
);

-- Conversations that found nobody with capacity, served oldest first when capacity frees.
CREATE TABLE assignment_queue (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id     bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id  bigint      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    contact_id       bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- 0 = the whole workspace (same convention as assignment_cursors).
    team_id          bigint      NOT NULL DEFAULT 0,
    strategy         text        NOT NULL CHECK (strategy IN ('round_robin', 'least_open')),
    online_only      boolean     NOT NULL,
    -- 0 = each user's own capacity.
    max_open         integer     NOT NULL DEFAULT 0 CHECK (max_open >= 0),
    enqueued_at      timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz,
    state            text        NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'assigned', 'expired')),
    assigned_user_id bigint      REFERENCES users (id) ON DELETE SET NULL,
    resolved_at      timestamptz,
    CHECK ((state = 'waiting') = (resolved_at IS NULL))
);
-- A conversation waits at most once at a time: enqueueing is idempotent.
CREATE UNIQUE INDEX assignment_queue_waiting_key ON assignment_queue (conversation_id) WHERE state = 'waiting';
-- Re-offer walks a scope's waiting rows oldest first.
CREATE INDEX assignment_queue_scope_idx ON assignment_queue (workspace_id, team_id, enqueued_at, id) WHERE state = 'waiting';
CREATE INDEX assignment_queue_expiry_idx ON assignment_queue (workspace_id, expires_at) WHERE state = 'waiting' AND expires_at IS NOT NULL;

-- +goose Down
DROP TABLE assignment_queue;
DROP TABLE assignment_cursors;
ALTER TABLE workspaces DROP COLUMN default_max_open_conversations;
ALTER TABLE users DROP COLUMN last_auto_assigned_at, DROP COLUMN max_open_conversations;
