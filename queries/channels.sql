-- name: ChannelInsert :one
INSERT INTO channels (workspace_id, type, name, config_encrypted, webhook_secret_hash)
VALUES (@workspace_id::bigint, @type::text, @name::text, @config_encrypted::bytea, @webhook_secret_hash::bytea)
RETURNING *;

-- name: ChannelGetByID :one
SELECT * FROM channels
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint AND deleted_at IS NULL;

-- name: ChannelGetForWebhook :one
-- Webhook URLs carry only the channel id; the type must match the provider path.
SELECT * FROM channels
WHERE id = @id::bigint AND type = @type::text AND deleted_at IS NULL;

-- name: ChannelList :many
SELECT * FROM channels
WHERE workspace_id = @workspace_id::bigint AND deleted_at IS NULL
ORDER BY id;

-- name: ChannelUpdate :one
UPDATE channels
SET name = @name::text,
    config_encrypted = @config_encrypted::bytea,
    webhook_secret_hash = @webhook_secret_hash::bytea,
    updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint AND deleted_at IS NULL
RETURNING *;

-- name: ChannelSoftDelete :execrows
-- Soft delete keeps the channel's message history readable.
UPDATE channels SET deleted_at = now(), updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint AND deleted_at IS NULL;
