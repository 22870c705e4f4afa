-- +goose Up
-- Invitations, password resets, login rate limiting and automatic away.

-- An invitation to join a workspace. Only a SHA-256 of the token is stored, as for sessions; one
-- pending invitation per e-mail and workspace (inviting again replaces it with a fresh token).
CREATE TABLE invitations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    email        text        NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role         text        NOT NULL CHECK (role IN ('owner', 'manager', 'agent')),
    restrictions jsonb       NOT NULL DEFAULT '{}',
    token_hash   bytea       NOT NULL UNIQUE,
    invited_by   bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE UNIQUE INDEX invitations_email_key ON invitations (workspace_id, lower(email));

-- Single-use password reset tokens (SHA-256 only); a user has at most one live token.
CREATE TABLE password_resets (
    user_id    bigint      PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash bytea       NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

-- Failed logins per key ('email:<lower e-mail>' or 'ip:<address>') in a fixed window. Kept in
-- Postgres so that every API process sees the same counts.
CREATE TABLE login_failures (
    key          text        PRIMARY KEY,
    window_start timestamptz NOT NULL,
    failures     integer     NOT NULL
);
CREATE INDEX login_failures_window_idx ON login_failures (window_start);

-- away_automatic: the user is away because no heartbeat came (a heartbeat brings them back), as
-- opposed to having chosen away, which only they can undo.
ALTER TABLE users
    ADD COLUMN away_automatic boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT users_away_automatic_check CHECK (NOT away_automatic OR availability = 'away');
-- The auto-away sweep looks only at online users.
CREATE INDEX users_online_idx ON users (last_seen_at) WHERE availability = 'online' AND active;

-- +goose Down
DROP INDEX users_online_idx;
ALTER TABLE users DROP CONSTRAINT users_away_automatic_check, DROP COLUMN away_automatic;
DROP TABLE login_failures;
DROP TABLE password_resets;
DROP TABLE invitations;
