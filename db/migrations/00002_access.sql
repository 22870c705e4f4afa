-- +goose Up
-- Users' profile, restrictions and presence; workspace-wide agent settings.
ALTER TABLE users
    ADD COLUMN timezone       text        NOT NULL DEFAULT 'UTC',
    ADD COLUMN language       text        NOT NULL DEFAULT 'en',
    ADD COLUMN restrictions   jsonb       NOT NULL DEFAULT '{}',
    ADD COLUMN last_seen_at   timestamptz,
    ADD COLUMN deactivated_at timestamptz;

ALTER TABLE workspaces
    -- respond.io's four closing-note modes.
    ADD COLUMN closing_note_mode text NOT NULL DEFAULT 'optional'
        CHECK (closing_note_mode IN ('optional', 'category_required', 'all_required', 'disabled')),
    -- Minutes without a heartbeat after which an online agent becomes away.
    ADD COLUMN auto_away_minutes integer NOT NULL DEFAULT 15 CHECK (auto_away_minutes BETWEEN 1 AND 1440);

-- +goose Down
ALTER TABLE workspaces DROP COLUMN auto_away_minutes, DROP COLUMN closing_note_mode;
ALTER TABLE users DROP COLUMN deactivated_at, DROP COLUMN last_seen_at, DROP COLUMN restrictions,
    DROP COLUMN language, DROP COLUMN timezone;
