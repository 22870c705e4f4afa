-- name: AssignCursorLock :one
-- Creates the scope's cursor row on first use and locks it until the transaction ends: every
-- assignment decision of one scope (team, or team 0 = workspace) runs one at a time.
INSERT INTO assignment_cursors (workspace_id, team_id) VALUES (@workspace_id::bigint, @team_id::bigint)
ON CONFLICT (workspace_id, team_id) DO UPDATE SET last_user_id = assignment_cursors.last_user_id
RETURNING last_user_id;

-- name: AssignCursorAdvance :exec
UPDATE assignment_cursors SET last_user_id = @user_id::bigint, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND team_id = @team_id::bigint;

-- name: AssignCursorGet :one
SELECT last_user_id FROM assignment_cursors
WHERE workspace_id = @workspace_id::bigint AND team_id = @team_id::bigint;

-- name: AssignConversationLock :one
SELECT id, contact_id, status, assignee_id, team_id FROM conversations
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
FOR UPDATE;

-- name: AssignCandidates :many
-- Users of the scope that may take one more conversation, best first. Scope: team members, or
-- every active user of the workspace when team_id is 0. Capacity: the request's limit, else the
-- user's own, else the workspace default; NULL = unlimited. Order: round robin takes the first id
-- after the cursor, wrapping; least_open takes the fewest open conversations, then the longest
-- since the last automatic assignment, then the lowest id. cap 0 = unlimited.
WITH cand AS (
    SELECT u.id, u.last_auto_assigned_at,
           (SELECT count(*) FROM conversations c
             WHERE c.workspace_id = u.workspace_id AND c.assignee_id = u.id AND c.status = 'open') AS open_count,
           COALESCE(NULLIF(@max_open::int, 0), u.max_open_conversations, w.default_max_open_conversations) AS cap
    FROM users u JOIN workspaces w ON w.id = u.workspace_id
    WHERE u.workspace_id = @workspace_id::bigint AND u.active AND u.deactivated_at IS NULL
      AND (@team_id::bigint = 0 OR EXISTS (
            SELECT 1 FROM team_members tm WHERE tm.team_id = @team_id::bigint AND tm.user_id = u.id))
      AND (NOT @online_only::boolean OR u.availability = 'online')
      AND (@user_id::bigint = 0 OR u.id = @user_id::bigint)
)
SELECT id, open_count::bigint AS open_count, COALESCE(cap, 0)::int AS cap FROM cand
WHERE cap IS NULL OR open_count < cap
ORDER BY CASE WHEN @strategy::text = 'least_open' THEN open_count ELSE 0 END,
         CASE WHEN @strategy::text = 'least_open' THEN last_auto_assigned_at END ASC NULLS FIRST,
         CASE WHEN @strategy::text = 'least_open' THEN false ELSE id <= @cursor::bigint END,
         id;

-- name: AssignUsersLock :many
-- Locks every candidate, in id order, until the transaction ends. Two scopes sharing users (a
-- team and the workspace) hold different cursor locks; these locks make the later decision wait
-- for the earlier to commit, and the fixed order means two decisions never deadlock on them.
SELECT id FROM users WHERE workspace_id = @workspace_id::bigint AND id = ANY(@ids::bigint[])
ORDER BY id
FOR UPDATE;

-- name: AssignUsersOpenCount :many
-- Run as its own statement after AssignUsersLock: under READ COMMITTED it then sees the open
-- conversations committed by whoever held the locks (a count inside the locking statement would
-- use the snapshot taken before the wait). Users who went away or were deactivated meanwhile drop out.
SELECT u.id,
       (SELECT count(*) FROM conversations c
         WHERE c.workspace_id = u.workspace_id AND c.assignee_id = u.id AND c.status = 'open')::bigint AS open_count
FROM users u
WHERE u.workspace_id = @workspace_id::bigint AND u.id = ANY(@ids::bigint[])
  AND u.active AND u.deactivated_at IS NULL
  AND (NOT @online_only::boolean OR u.availability = 'online');

-- name: AssignUserTouch :exec
UPDATE users SET last_auto_assigned_at = now() WHERE id = @id::bigint;

-- name: AssignConversationSet :exec
-- A team-scoped decision also files the conversation under the team (team 0 keeps its team).
UPDATE conversations
SET assignee_id = @user_id::bigint,
    team_id = CASE WHEN @team_id::bigint > 0 THEN @team_id::bigint ELSE team_id END,
    first_assigned_at = COALESCE(first_assigned_at, now()),
    last_assigned_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: AssignContactSet :exec
UPDATE contacts SET assignee_id = @user_id::bigint, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: AssignIsScopeMember :one
SELECT EXISTS (
    SELECT 1 FROM users u
    WHERE u.workspace_id = @workspace_id::bigint AND u.id = @user_id::bigint AND u.active
      AND (@team_id::bigint = 0 OR EXISTS (
            SELECT 1 FROM team_members tm WHERE tm.team_id = @team_id::bigint AND tm.user_id = u.id))
)::boolean;

-- name: AssignQueueInsert :exec
-- Idempotent: a conversation already waiting keeps its place (and its first request's options).
INSERT INTO assignment_queue (workspace_id, conversation_id, contact_id, team_id, strategy, online_only, max_open, expires_at,
                              waiter_workflow_id, user_id)
VALUES (@workspace_id::bigint, @conversation_id::bigint, @contact_id::bigint, @team_id::bigint, @strategy::text,
        @online_only::boolean, @max_open::int, sqlc.narg('expires_at')::timestamptz, sqlc.narg('waiter_workflow_id')::text,
        sqlc.narg('user_id')::bigint)
ON CONFLICT (conversation_id) WHERE state = 'waiting' DO NOTHING;

-- name: AssignQueueDeleteWaiting :execrows
DELETE FROM assignment_queue
WHERE workspace_id = @workspace_id::bigint AND conversation_id = @conversation_id::bigint AND state = 'waiting';

-- name: AssignQueueScopes :many
-- Scopes with waiting conversations, the one waiting longest first.
SELECT team_id, min(enqueued_at)::timestamptz AS oldest FROM assignment_queue
WHERE workspace_id = @workspace_id::bigint AND state = 'waiting'
GROUP BY team_id
ORDER BY oldest, team_id;

-- name: AssignQueueWaiting :many
-- Waiting rows of one scope, oldest first; read under the scope's cursor lock.
SELECT * FROM assignment_queue
WHERE workspace_id = @workspace_id::bigint AND team_id = @team_id::bigint AND state = 'waiting'
  AND (expires_at IS NULL OR expires_at > now())
ORDER BY enqueued_at, id;

-- name: AssignQueueMarkAssigned :execrows
UPDATE assignment_queue SET state = 'assigned', assigned_user_id = @user_id::bigint, resolved_at = now()
WHERE id = @id::bigint AND state = 'waiting';

-- name: AssignQueueDrop :exec
-- Removes a waiting row whose conversation closed or was assigned elsewhere.
DELETE FROM assignment_queue WHERE id = @id::bigint AND state = 'waiting';

-- name: AssignQueueExpire :many
-- Rows locked by another expirer are skipped: each expiry is reported exactly once.
UPDATE assignment_queue SET state = 'expired', resolved_at = now()
WHERE id IN (
    SELECT id FROM assignment_queue
    WHERE workspace_id = @workspace_id::bigint AND state = 'waiting' AND expires_at <= now()
    ORDER BY enqueued_at, id
    FOR UPDATE SKIP LOCKED
)
RETURNING *;

-- name: AssignQueueList :many
SELECT * FROM assignment_queue
WHERE workspace_id = @workspace_id::bigint AND state = 'waiting'
ORDER BY enqueued_at, id;

-- name: AssignQueueStateOf :one
-- The newest queue entry of a conversation: how a waiting requester learns it was served.
SELECT state, assigned_user_id FROM assignment_queue
WHERE workspace_id = @workspace_id::bigint AND conversation_id = @conversation_id::bigint
ORDER BY id DESC LIMIT 1;
