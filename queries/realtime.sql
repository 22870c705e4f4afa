-- name: RealtimeEventMaxID :one
-- Where a starting broker begins: it streams what is written from now on.
SELECT coalesce(max(id), 0)::bigint AS max_id FROM events;

-- name: RealtimeEventListAfter :many
-- The broker's feed: committed events of every workspace after the last one it handled, in id
-- order (one read serves all the process's subscribers).
SELECT * FROM events
WHERE id > @after_id::bigint
ORDER BY id
LIMIT @max::int;

-- name: RealtimeEventListByIDs :many
-- Events whose transactions committed after the broker had stopped waiting for their ids.
SELECT * FROM events WHERE id = ANY (@ids::bigint[]) ORDER BY id;

-- name: RealtimeEventListWorkspaceAfter :many
-- Replay for a reconnecting client: the workspace's events in (after_id, up_to], in id order.
SELECT * FROM events
WHERE workspace_id = @workspace_id::bigint AND id > @after_id::bigint AND id <= @up_to::bigint
ORDER BY id
LIMIT @max::int;

-- name: RealtimeMessageList :many
-- Messages referenced by message.created events whose payload carries only the id (the webhook
-- hot path writes references).
SELECT * FROM messages WHERE id = ANY (@ids::bigint[]);

-- name: RealtimeContactVisible :one
-- Whether a restricted user may see a contact: it is assigned to them or, with team scope, to a
-- member of one of their teams.
SELECT EXISTS (
    SELECT 1 FROM contacts c
    WHERE c.workspace_id = @workspace_id::bigint AND c.id = @contact_id::bigint
      AND (c.assignee_id = @user_id::bigint
           OR (@team_scope::boolean AND c.assignee_id IN (
                 SELECT mate.user_id FROM team_members mine
                 JOIN team_members mate ON mate.team_id = mine.team_id
                 WHERE mine.user_id = @user_id::bigint)))
)::boolean AS visible;

-- name: RealtimeTeamMates :one
-- Whether another user shares a team with the user (show_team_contacts), for assignment events
-- judged by the assignee they carry.
SELECT EXISTS (
    SELECT 1 FROM team_members mine
    JOIN team_members mate ON mate.team_id = mine.team_id
    WHERE mine.user_id = @user_id::bigint AND mate.user_id = @other_id::bigint
)::boolean AS mates;
