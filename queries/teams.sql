-- name: TeamList :many
SELECT sqlc.embed(t),
       ARRAY(SELECT tm.user_id FROM team_members tm WHERE tm.team_id = t.id ORDER BY tm.user_id)::bigint[] AS member_ids
FROM teams t
WHERE t.workspace_id = @workspace_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR t.id < sqlc.narg('before_id')::bigint)
ORDER BY t.id DESC
LIMIT @max::int;

-- name: TeamGet :one
SELECT sqlc.embed(t),
       ARRAY(SELECT tm.user_id FROM team_members tm WHERE tm.team_id = t.id ORDER BY tm.user_id)::bigint[] AS member_ids
FROM teams t
WHERE t.workspace_id = @workspace_id::bigint AND t.id = @id::bigint;

-- name: TeamLock :one
-- Serialises membership changes of one team until the transaction ends.
SELECT id FROM teams WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE;

-- name: TeamInsert :one
INSERT INTO teams (workspace_id, name) VALUES (@workspace_id::bigint, @name::text)
RETURNING *;

-- name: TeamRename :one
UPDATE teams SET name = @name::text
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: TeamDelete :execrows
DELETE FROM teams WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: UserCountInWorkspace :one
-- How many of the given ids are users of the workspace.
SELECT count(*) FROM users WHERE workspace_id = @workspace_id::bigint AND id = ANY(@ids::bigint[]);

-- name: TeamMembersRemoveOthers :execrows
DELETE FROM team_members WHERE team_id = @team_id::bigint AND NOT (user_id = ANY(@keep_ids::bigint[]));

-- name: TeamMembersAdd :execrows
INSERT INTO team_members (team_id, user_id)
SELECT @team_id::bigint, unnest(@user_ids::bigint[])
ON CONFLICT DO NOTHING;

-- name: TeamMemberRemove :execrows
DELETE FROM team_members WHERE team_id = @team_id::bigint AND user_id = @user_id::bigint;

-- name: ConversationListOpenByTeam :many
SELECT id, contact_id, assignee_id FROM conversations
WHERE workspace_id = @workspace_id::bigint AND team_id = @team_id::bigint AND status = 'open'
ORDER BY id;
