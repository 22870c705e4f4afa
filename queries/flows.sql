-- name: FlowLockWorkspace :exec
-- Serialises flow creation per workspace so the 100-flow limit holds under concurrency.
SELECT id FROM workspaces WHERE id = @workspace_id::bigint FOR UPDATE;

-- name: FlowCount :one
SELECT count(*)::int FROM flows WHERE workspace_id = @workspace_id::bigint;

-- name: FlowInsert :one
INSERT INTO flows (workspace_id, name, draft, trigger_type, created_by)
VALUES (@workspace_id::bigint, @name::text, @draft::jsonb, @trigger_type::text, sqlc.narg('created_by')::bigint)
RETURNING *;

-- name: FlowGetByID :one
SELECT * FROM flows WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: FlowList :many
SELECT * FROM flows
WHERE workspace_id = @workspace_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: FlowUpdateDraft :one
-- NULL name or draft keeps the stored value.
UPDATE flows
SET name = coalesce(sqlc.narg('name')::text, name),
    draft = coalesce(sqlc.narg('draft')::jsonb, draft),
    trigger_type = coalesce(sqlc.narg('trigger_type')::text, trigger_type),
    updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: FlowPublish :one
-- Locks the flow row, so concurrent publishes get consecutive version numbers.
UPDATE flows
SET status = 'published', published_version = coalesce(published_version, 0) + 1, updated_at = now(),
    live_since = CASE WHEN status = 'published' THEN live_since ELSE now() END
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: FlowSetStatus :one
UPDATE flows SET status = @status::text, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: FlowDelete :execrows
DELETE FROM flows WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: FlowVersionInsert :one
INSERT INTO flow_versions (flow_id, version, definition, published_by)
VALUES (@flow_id::bigint, @version::int, @definition::jsonb, sqlc.narg('published_by')::bigint)
RETURNING *;

-- name: FlowVersionGet :one
SELECT * FROM flow_versions WHERE flow_id = @flow_id::bigint AND version = @version::int;
