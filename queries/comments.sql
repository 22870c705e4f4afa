-- name: CommentInsert :one
INSERT INTO comments (workspace_id, contact_id, author_id, parent_id, text, mentions)
VALUES (@workspace_id::bigint, @contact_id::bigint, sqlc.narg('author_id')::bigint, sqlc.narg('parent_id')::bigint,
        @text::text, @mentions::bigint[])
RETURNING *;

-- name: CommentGetByID :one
SELECT * FROM comments WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: CommentListByContact :many
-- A contact's comments and replies, newest first; before_id is the cursor.
SELECT * FROM comments
WHERE workspace_id = @workspace_id::bigint AND contact_id = @contact_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: CommentThreadIDs :many
-- A comment and every reply below it: what deleting it removes (replies cascade).
WITH RECURSIVE thread AS (
    SELECT c.id FROM comments c WHERE c.workspace_id = @workspace_id::bigint AND c.id = @id::bigint
    UNION ALL
    SELECT r.id FROM comments r JOIN thread t ON r.parent_id = t.id
)
SELECT id FROM thread ORDER BY id;

-- name: CommentDelete :execrows
DELETE FROM comments WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: CommentUsersByIDs :many
-- Names of comment authors and mentioned users of one workspace, for rendering.
SELECT id, name, email, active FROM users
WHERE workspace_id = @workspace_id::bigint AND id = ANY(@ids::bigint[]);
