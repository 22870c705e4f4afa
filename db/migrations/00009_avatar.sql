-- +goose Up
-- A user's profile picture is an image from the workspace's file library.
ALTER TABLE users ADD COLUMN avatar_file_id bigint REFERENCES files (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN avatar_file_id;
