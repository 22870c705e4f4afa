-- name: SnippetInsert :one
INSERT INTO snippets (workspace_id, name, text, file_id, created_by)
VALUES (@workspace_id::bigint, @name::text, @text::text, sqlc.narg('file_id')::bigint, sqlc.narg('created_by')::bigint)
RETURNING *;

-- name: SnippetGetByID :one
SELECT * FROM snippets WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: SnippetList :many
-- Newest first; search matches name or text case-insensitively as a plain substring (no LIKE
-- wildcards, so "%" and "_" mean themselves).
SELECT * FROM snippets
WHERE workspace_id = @workspace_id::bigint
  AND (@search::text = '' OR strpos(lower(name), lower(@search::text)) > 0
       OR strpos(lower(text), lower(@search::text)) > 0)
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: SnippetUpdate :one
-- NULL name or text keeps the stored value; set_file_id replaces file_id (NULL clears it).
UPDATE snippets
SET name = coalesce(sqlc.narg('name')::text, name),
    text = coalesce(sqlc.narg('text')::text, text),
    file_id = CASE WHEN @set_file_id::boolean THEN sqlc.narg('file_id')::bigint ELSE file_id END,
    updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: SnippetDelete :execrows
DELETE FROM snippets WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;
