-- +goose Up
-- Schema v1 of Chat Center. Every row belongs to a workspace; identifiers are bigint identities.

CREATE TABLE workspaces (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    timezone    text        NOT NULL DEFAULT 'UTC',
    language    text        NOT NULL DEFAULT 'en',
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    name          text        NOT NULL DEFAULT '',
    role          text        NOT NULL CHECK (role IN ('owner', 'manager', 'agent')),
    availability  text        NOT NULL DEFAULT 'offline' CHECK (availability IN ('online', 'away', 'offline')),
    active        boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- E-mail is the login: unique across the installation, case-insensitively.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_workspace_idx ON users (workspace_id);

-- Bearer sessions: only a SHA-256 of the token is stored, so a database leak yields no usable token.
CREATE TABLE sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE teams (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE team_members (
    team_id    bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user_idx ON team_members (user_id);

CREATE TABLE channels (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id        bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type                text        NOT NULL,
    name                text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    -- AES-256-GCM sealed JSON configuration (tokens, secrets, base URLs).
    config_encrypted    bytea       NOT NULL,
    -- SHA-256 of the secret a provider presents on every webhook; compared in constant time.
    webhook_secret_hash bytea       NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE INDEX channels_workspace_idx ON channels (workspace_id) WHERE deleted_at IS NULL;

CREATE TABLE contacts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    first_name    text        NOT NULL DEFAULT '',
    last_name     text        NOT NULL DEFAULT '',
    phone         text        CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
    email         text,
    language      text        NOT NULL DEFAULT '',
    country_code  text        NOT NULL DEFAULT '',
    custom_fields jsonb       NOT NULL DEFAULT '{}',
    tags          text[]      NOT NULL DEFAULT '{}',
    lifecycle     text        NOT NULL DEFAULT '',
    blocked       boolean     NOT NULL DEFAULT false,
    assignee_id   bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_workspace_idx ON contacts (workspace_id, id DESC);
CREATE UNIQUE INDEX contacts_phone_key ON contacts (workspace_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX contacts_email_key ON contacts (workspace_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX contacts_tags_idx ON contacts USING gin (tags);

-- One contact can be reached on several channels; (channel, external id) names it on one.
CREATE TABLE contact_identities (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    channel_id   bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    external_id  text        NOT NULL,
    username     text        NOT NULL DEFAULT '',
    last_inbound_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, external_id)
);
CREATE INDEX contact_identities_contact_idx ON contact_identities (contact_id);

CREATE TABLE closing_note_categories (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 128),
    description  text        NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (workspace_id, name)
);

CREATE TABLE conversations (
    id                        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id              bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id                bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- The channel the conversation was last active on: replies go there unless told otherwise.
    channel_id                bigint      REFERENCES channels (id) ON DELETE SET NULL,
    status                    text        NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    opened_at                 timestamptz NOT NULL DEFAULT now(),
    opened_source             text        NOT NULL CHECK (opened_source IN ('contact', 'user', 'workflow', 'api', 'broadcast')),
    opened_by                 bigint      REFERENCES users (id) ON DELETE SET NULL,
    first_incoming_message_id bigint,
    first_response_at         timestamptz,
    first_assigned_at         timestamptz,
    last_assigned_at          timestamptz,
    assignee_id               bigint      REFERENCES users (id) ON DELETE SET NULL,
    team_id                   bigint      REFERENCES teams (id) ON DELETE SET NULL,
    closed_at                 timestamptz,
    closed_by                 bigint      REFERENCES users (id) ON DELETE SET NULL,
    closed_source             text        CHECK (closed_source IN ('user', 'workflow', 'api', 'auto_close')),
    category                  text        CHECK (length(category) <= 128),
    summary                   text        CHECK (length(summary) <= 512),
    incoming_count            integer     NOT NULL DEFAULT 0,
    outgoing_count            integer     NOT NULL DEFAULT 0,
    last_inbound_at           timestamptz,
    last_activity_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
-- The rule "a contact has at most one open conversation" is the database's to enforce.
CREATE UNIQUE INDEX conversations_one_open_per_contact ON conversations (contact_id) WHERE status = 'open';
-- Inbox lists: by status, newest activity first, optionally per assignee or channel.
CREATE INDEX conversations_inbox_idx ON conversations (workspace_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_assignee_idx ON conversations (workspace_id, assignee_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_channel_idx ON conversations (workspace_id, channel_id, status, last_activity_at DESC, id DESC);
CREATE INDEX conversations_contact_idx ON conversations (contact_id, id DESC);

CREATE TABLE messages (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id      bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    conversation_id bigint      REFERENCES conversations (id) ON DELETE SET NULL,
    channel_id      bigint      NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    direction       text        NOT NULL CHECK (direction IN ('incoming', 'outgoing')),
    sender_kind     text        NOT NULL CHECK (sender_kind IN ('contact', 'user', 'bot', 'workflow', 'broadcast', 'api')),
    sender_user_id  bigint      REFERENCES users (id) ON DELETE SET NULL,
    content         jsonb       NOT NULL,
    content_type    text        NOT NULL,
    external_id     text,
    status          text        NOT NULL CHECK (status IN ('pending', 'sent', 'delivered', 'read', 'failed')),
    error           text        NOT NULL DEFAULT '',
    idempotency_key text,
    sent_at         timestamptz,
    edited_at       timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- A provider delivering the same message twice stores it once.
CREATE UNIQUE INDEX messages_channel_external_key ON messages (channel_id, external_id) WHERE external_id IS NOT NULL;
-- A client or workflow retrying a send creates it once.
CREATE UNIQUE INDEX messages_idempotency_key ON messages (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id DESC);
CREATE INDEX messages_contact_idx ON messages (contact_id, id DESC);

ALTER TABLE conversations
    ADD CONSTRAINT conversations_first_incoming_fk FOREIGN KEY (first_incoming_message_id) REFERENCES messages (id) ON DELETE SET NULL;

CREATE TABLE comments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id   bigint      NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    author_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    parent_id    bigint      REFERENCES comments (id) ON DELETE CASCADE,
    text         text        NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_contact_idx ON comments (contact_id, id DESC);

-- Transactional outbox: every state change writes its event in the same transaction; API
-- processes stream them to agents and outgoing webhooks are delivered from here.
CREATE TABLE events (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id    bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type            text        NOT NULL,
    contact_id      bigint,
    conversation_id bigint,
    actor_user_id   bigint,
    payload         jsonb       NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_workspace_idx ON events (workspace_id, id);
CREATE INDEX events_contact_idx ON events (contact_id, id) WHERE contact_id IS NOT NULL;

-- +goose Down
DROP TABLE events;
DROP TABLE comments;
ALTER TABLE conversations DROP CONSTRAINT conversations_first_incoming_fk;
DROP TABLE messages;
DROP TABLE conversations;
DROP TABLE closing_note_categories;
DROP TABLE contact_identities;
DROP TABLE contacts;
DROP TABLE channels;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE workspaces;
