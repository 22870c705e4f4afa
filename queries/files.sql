-- name: FileInsert :one
INSERT INTO files (workspace_id, uploader_id, name, mime_type, kind, size_bytes, sha256, storage_key, duration_seconds)
VALUES (@workspace_id::bigint, sqlc.narg('uploader_id')::bigint, @name::text, @mime_type::text, @kind::text,
        @size_bytes::bigint, @sha256::bytea, @storage_key::text, sqlc.narg('duration_seconds')::double precision)
RETURNING *;

-- name: FileGetByID :one
SELECT * FROM files WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: FileList :many
-- The workspace library, newest first, optionally of one kind, after the cursor's id.
SELECT * FROM files
WHERE workspace_id = @workspace_id::bigint
  AND (sqlc.narg('kind')::text IS NULL OR kind = sqlc.narg('kind')::text)
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: FileDelete :one
DELETE FROM files WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;
