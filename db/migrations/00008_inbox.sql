-- +goose Up
-- What each agent has read, for unread counts in the inbox.
CREATE TABLE conversation_reads (
    conversation_id      bigint      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id              bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    last_read_message_id bigint      NOT NULL,
    read_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);

-- The AI chatbot answers a contact unless an agent paused it (the seed's "Pausar el Chatbot").
ALTER TABLE contacts ADD COLUMN bot_paused boolean NOT NULL DEFAULT false;

CREATE INDEX conversations_team_idx ON conversations (workspace_id, team_id, status, last_activity_at DESC, id DESC);
CREATE INDEX messages_conversation_incoming_idx ON messages (conversation_id, id) WHERE direction = 'incoming';

-- +goose Down
DROP INDEX messages_conversation_incoming_idx;
DROP INDEX conversations_team_idx;
ALTER TABLE contacts DROP COLUMN bot_paused;
DROP TABLE conversation_reads;
