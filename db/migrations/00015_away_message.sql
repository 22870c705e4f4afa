-- +goose Up
-- The away message (the seed's "Fuera de Horario" settings page): sent when a contact opens a
-- conversation outside the workspace's business hours.
ALTER TABLE workspaces
    ADD COLUMN away_message_enabled boolean NOT NULL DEFAULT false,
    ADD COLUMN away_message_text    text    NOT NULL DEFAULT 'Thanks for your message! We''re away right now and will reply as soon as we''re back.'
        CHECK (length(away_message_text) BETWEEN 1 AND 2000);

-- +goose Down
ALTER TABLE workspaces DROP COLUMN away_message_text, DROP COLUMN away_message_enabled;
