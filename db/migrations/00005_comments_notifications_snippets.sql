-- +goose Up
-- Comments with mentions, per-user notifications, and snippets (saved replies).

-- The users a comment mentions ({{@user.ID}} in its text), kept so that "comments mentioning me"
-- and rendering need no parsing of stored text.
ALTER TABLE comments ADD COLUMN mentions bigint[] NOT NULL DEFAULT '{}';
CREATE INDEX comments_parent_idx ON comments (parent_id) WHERE parent_id IS NOT NULL;

-- A notification is for one user. A notification about something that is deleted goes with it
-- (a mention of a deleted comment, a deleted contact); conversations and messages are kept as
-- history, so their references are only cleared.
CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    type            text        NOT NULL CHECK (type IN ('mention', 'assignment', 'message')),
    contact_id      bigint      REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id bigint      REFERENCES conversations (id) ON DELETE SET NULL,
    comment_id      bigint      REFERENCES comments (id) ON DELETE CASCADE,
    message_id      bigint      REFERENCES messages (id) ON DELETE SET NULL,
    payload         jsonb       NOT NULL DEFAULT '{}',
    read_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
-- The unread badge and "?unread=true" read only this small index.
CREATE INDEX notifications_unread_idx ON notifications (user_id, id DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_comment_idx ON notifications (comment_id) WHERE comment_id IS NOT NULL;

-- Snippets: saved replies agents insert with "/name". file_id names an entry of the file library;
-- it has no foreign key because that table belongs to a later migration.
CREATE TABLE snippets (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    text         text        NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
    file_id      bigint      CHECK (file_id > 0),
    created_by   bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- Names are what agents type after "/": unique per workspace regardless of case.
CREATE UNIQUE INDEX snippets_name_key ON snippets (workspace_id, lower(name));
CREATE INDEX snippets_workspace_idx ON snippets (workspace_id, id DESC);

-- +goose Down
DROP TABLE snippets;
DROP TABLE notifications;
DROP INDEX comments_parent_idx;
ALTER TABLE comments DROP COLUMN mentions;
