-- name: NotificationInsert :one
-- Inserts nothing (no row) when the user is not a member of the workspace, so a notification can
-- never cross workspaces.
INSERT INTO notifications (workspace_id, user_id, type, contact_id, conversation_id, comment_id, message_id, payload)
SELECT u.workspace_id, u.id, @type::text, sqlc.narg('contact_id')::bigint, sqlc.narg('conversation_id')::bigint,
       sqlc.narg('comment_id')::bigint, sqlc.narg('message_id')::bigint, @payload::jsonb
FROM users u
WHERE u.workspace_id = @workspace_id::bigint AND u.id = @user_id::bigint
RETURNING id;

-- name: NotificationList :many
-- One user's notifications, newest first; before_id is the cursor.
SELECT * FROM notifications
WHERE workspace_id = @workspace_id::bigint AND user_id = @user_id::bigint
  AND (NOT @unread_only::boolean OR read_at IS NULL)
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: NotificationGet :one
SELECT * FROM notifications
WHERE workspace_id = @workspace_id::bigint AND user_id = @user_id::bigint AND id = @id::bigint;

-- name: NotificationUnreadCount :one
SELECT count(*) FROM notifications
WHERE workspace_id = @workspace_id::bigint AND user_id = @user_id::bigint AND read_at IS NULL;

-- name: NotificationMarkRead :one
-- Marks one unread notification read; an already read one (or another user's) yields no row.
UPDATE notifications SET read_at = now()
WHERE workspace_id = @workspace_id::bigint AND user_id = @user_id::bigint AND id = @id::bigint AND read_at IS NULL
RETURNING *;

-- name: NotificationMarkAllRead :execrows
UPDATE notifications SET read_at = now()
WHERE workspace_id = @workspace_id::bigint AND user_id = @user_id::bigint AND read_at IS NULL;
