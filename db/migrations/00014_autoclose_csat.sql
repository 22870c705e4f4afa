-- +goose Up
-- Conversation automations: auto-close after a silence following the team's last message, and a
-- satisfaction survey (CSAT) sent to the contact when a conversation closes.

ALTER TABLE workspaces
    -- Seconds without a contact reply after a human agent's last message before an open
    -- conversation closes by itself; NULL: auto-close is off. respond.io's bounds: 30 min–14 days.
    ADD COLUMN auto_close_seconds    integer
        CONSTRAINT workspaces_auto_close_seconds_check CHECK (auto_close_seconds BETWEEN 1800 AND 1209600),
    -- When auto-close was turned on: it applies to conversations opened since (respond.io's rule).
    ADD COLUMN auto_close_enabled_at timestamptz,
    ADD COLUMN csat_enabled          boolean NOT NULL DEFAULT false,
    ADD COLUMN csat_question         text    NOT NULL DEFAULT 'How would you rate our conversation?'
        CHECK (char_length(csat_question) BETWEEN 1 AND 500),
    -- How long the contact has to answer the survey.
    ADD COLUMN csat_timeout_seconds  integer NOT NULL DEFAULT 86400
        CHECK (csat_timeout_seconds BETWEEN 300 AND 604800),
    ADD CHECK ((auto_close_seconds IS NULL) = (auto_close_enabled_at IS NULL));

-- Surveys waiting for the contact's answer: at most one per contact, for the conversation closed
-- last. The contact's next message either answers it or, not being a rating, ends it; opening a
-- new conversation ends it too.
CREATE TABLE csat_requests (
    contact_id      bigint      PRIMARY KEY REFERENCES contacts (id) ON DELETE CASCADE,
    workspace_id    bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id bigint      NOT NULL UNIQUE REFERENCES conversations (id) ON DELETE CASCADE,
    -- The conversation's agent when it closed: the rating is theirs.
    assignee_id     bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL
);

-- Ratings given, one per conversation.
CREATE TABLE csat_responses (
    conversation_id bigint      PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    workspace_id    bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id      bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    assignee_id     bigint      REFERENCES users (id) ON DELETE SET NULL,
    rating          smallint    NOT NULL CHECK (rating BETWEEN 1 AND 5),
    message_id      bigint      REFERENCES messages (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- Reports: ratings per agent over time.
CREATE INDEX csat_responses_assignee_idx ON csat_responses (workspace_id, assignee_id, created_at);

-- +goose Down
DROP TABLE csat_responses;
DROP TABLE csat_requests;
ALTER TABLE workspaces DROP COLUMN csat_timeout_seconds, DROP COLUMN csat_question, DROP COLUMN csat_enabled,
    DROP COLUMN auto_close_enabled_at, DROP COLUMN auto_close_seconds;
