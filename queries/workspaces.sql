-- name: WorkspaceInsert :one
INSERT INTO workspaces (name, timezone, language)
VALUES (@name::text, @timezone::text, @language::text)
RETURNING *;

-- name: WorkspaceGetByID :one
SELECT * FROM workspaces WHERE id = @id::bigint;

-- name: WorkspaceCount :one
SELECT count(*) FROM workspaces;

-- name: AdvisoryXactLock :exec
-- Serialises work on one key (e.g. a channel identity) until the transaction ends.
SELECT pg_advisory_xact_lock(@key::bigint);
