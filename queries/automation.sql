-- Conversation automations: auto-close and the satisfaction survey (CSAT).

-- name: AutomationSettingsGet :one
SELECT auto_close_seconds, auto_close_enabled_at, csat_enabled, csat_question, csat_timeout_seconds
FROM workspaces WHERE id = @workspace_id::bigint;

-- name: AutoCloseSettingsSet :one
-- NULL turns auto-close off. Turning it on records when, so that it applies to conversations
-- opened from then on; changing the delay while it is on keeps that time.
UPDATE workspaces
SET auto_close_seconds = sqlc.narg('after_seconds')::int,
    auto_close_enabled_at = CASE WHEN sqlc.narg('after_seconds')::int IS NULL THEN NULL
                                 ELSE coalesce(auto_close_enabled_at, now()) END
WHERE id = @workspace_id::bigint
RETURNING auto_close_seconds, auto_close_enabled_at;

-- name: CSATSettingsSet :one
UPDATE workspaces
SET csat_enabled = @enabled::boolean, csat_question = @question::text, csat_timeout_seconds = @timeout_seconds::int
WHERE id = @workspace_id::bigint
RETURNING csat_enabled, csat_question, csat_timeout_seconds;

-- name: CSATRequestPut :exec
-- A contact answers the survey of the conversation closed last: a newer one replaces the old.
INSERT INTO csat_requests (contact_id, workspace_id, conversation_id, assignee_id, expires_at)
VALUES (@contact_id::bigint, @workspace_id::bigint, @conversation_id::bigint, sqlc.narg('assignee_id')::bigint,
        @expires_at::timestamptz)
ON CONFLICT (contact_id) DO UPDATE
SET workspace_id = excluded.workspace_id, conversation_id = excluded.conversation_id,
    assignee_id = excluded.assignee_id, created_at = now(), expires_at = excluded.expires_at;

-- name: CSATRequestTake :one
-- The contact's pending survey, removed: the message being handled answers it or ends it.
DELETE FROM csat_requests WHERE contact_id = @contact_id::bigint RETURNING *;

-- name: CSATRequestDelete :exec
DELETE FROM csat_requests WHERE contact_id = @contact_id::bigint;

-- name: CSATResponseInsert :one
INSERT INTO csat_responses (conversation_id, workspace_id, contact_id, assignee_id, rating, message_id)
VALUES (@conversation_id::bigint, @workspace_id::bigint, @contact_id::bigint, sqlc.narg('assignee_id')::bigint,
        @rating::smallint, @message_id::bigint)
ON CONFLICT (conversation_id) DO NOTHING
RETURNING *;

-- name: CSATResponseGet :one
SELECT * FROM csat_responses WHERE workspace_id = @workspace_id::bigint AND conversation_id = @conversation_id::bigint;
