-- name: AwayMessageGet :one
SELECT away_message_enabled, away_message_text FROM workspaces WHERE id = @workspace_id::bigint;

-- name: AwayMessageSet :one
UPDATE workspaces SET away_message_enabled = @enabled::boolean, away_message_text = @text::text
WHERE id = @workspace_id::bigint
RETURNING away_message_enabled, away_message_text;
