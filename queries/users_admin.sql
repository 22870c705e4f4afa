-- name: UserListPage :many
-- Newest first, with the teams each user belongs to.
SELECT sqlc.embed(u),
       ARRAY(SELECT tm.team_id FROM team_members tm WHERE tm.user_id = u.id ORDER BY tm.team_id)::bigint[] AS team_ids
FROM users u
WHERE u.workspace_id = @workspace_id::bigint
  AND (sqlc.narg('active')::boolean IS NULL OR u.active = sqlc.narg('active')::boolean)
  AND (sqlc.narg('before_id')::bigint IS NULL OR u.id < sqlc.narg('before_id')::bigint)
ORDER BY u.id DESC
LIMIT @max::int;

-- name: UserGetWithTeams :one
SELECT sqlc.embed(u),
       ARRAY(SELECT tm.team_id FROM team_members tm WHERE tm.user_id = u.id ORDER BY tm.team_id)::bigint[] AS team_ids
FROM users u
WHERE u.workspace_id = @workspace_id::bigint AND u.id = @id::bigint;

-- name: UserGetForUpdate :one
SELECT * FROM users WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE;

-- name: UserCountActiveOwners :one
SELECT count(*) FROM users
WHERE workspace_id = @workspace_id::bigint AND role = 'owner' AND active;

-- name: UserUpdateAccess :one
UPDATE users
SET name = @name::text, role = @role::text, restrictions = @restrictions::jsonb, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: UserUpdateProfile :one
UPDATE users
SET name = @name::text, timezone = @timezone::text, language = @language::text, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: UserSetPasswordHash :exec
UPDATE users SET password_hash = @password_hash::text, updated_at = now() WHERE id = @id::bigint;

-- name: UserDeactivate :one
-- Deactivated users cannot log in (SessionGetUser requires active) and are offline.
UPDATE users
SET active = false, deactivated_at = now(), availability = 'offline', away_automatic = false, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint AND active
RETURNING *;

-- name: UserReactivate :one
UPDATE users
SET active = true, deactivated_at = NULL, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint AND NOT active
RETURNING *;

-- name: UserInsertInvited :one
INSERT INTO users (workspace_id, email, password_hash, name, role, restrictions)
VALUES (@workspace_id::bigint, @email::text, @password_hash::text, @name::text, @role::text, @restrictions::jsonb)
RETURNING *;

-- name: UserEmailTaken :one
SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(@email::text));

-- name: SessionDeleteByUser :execrows
DELETE FROM sessions WHERE user_id = @user_id::bigint;

-- name: SessionDeleteOthers :execrows
-- Every session of the user except the one presenting keep_token_hash.
DELETE FROM sessions WHERE user_id = @user_id::bigint AND token_hash <> @keep_token_hash::bytea;

-- name: ConversationListOpenByAssignee :many
SELECT id, contact_id FROM conversations
WHERE workspace_id = @workspace_id::bigint AND assignee_id = @assignee_id::bigint AND status = 'open'
ORDER BY id;

-- name: ContactUnassignIdleForUser :execrows
-- Contacts keep their assignee between conversations; a deactivated user must not inherit the
-- next one. Contacts with an open conversation are unassigned through the conversation workflow.
UPDATE contacts c SET assignee_id = NULL, updated_at = now()
WHERE c.workspace_id = @workspace_id::bigint AND c.assignee_id = @user_id::bigint
  AND NOT EXISTS (SELECT 1 FROM conversations v WHERE v.contact_id = c.id AND v.status = 'open');

-- name: InvitationUpsert :one
-- Inviting an e-mail again replaces the pending invitation: new role, restrictions, token and expiry.
INSERT INTO invitations (workspace_id, email, role, restrictions, token_hash, invited_by, expires_at)
VALUES (@workspace_id::bigint, @email::text, @role::text, @restrictions::jsonb, @token_hash::bytea,
        sqlc.narg('invited_by')::bigint, @expires_at::timestamptz)
ON CONFLICT (workspace_id, lower(email)) DO UPDATE
SET email = EXCLUDED.email, role = EXCLUDED.role, restrictions = EXCLUDED.restrictions,
    token_hash = EXCLUDED.token_hash, invited_by = EXCLUDED.invited_by, created_at = now(),
    expires_at = EXCLUDED.expires_at
RETURNING *;

-- name: InvitationList :many
SELECT * FROM invitations
WHERE workspace_id = @workspace_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: InvitationDelete :one
DELETE FROM invitations WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: InvitationTake :one
-- Consumes a live invitation: the row is gone once the accepting transaction commits.
DELETE FROM invitations WHERE token_hash = @token_hash::bytea AND expires_at > now()
RETURNING *;

-- name: PasswordResetUpsert :execrows
-- A new reset link replaces the previous one, unless that one is younger than throttle_seconds
-- (no row: nothing was issued).
INSERT INTO password_resets (user_id, token_hash, expires_at)
VALUES (@user_id::bigint, @token_hash::bytea, @expires_at::timestamptz)
ON CONFLICT (user_id) DO UPDATE
SET token_hash = EXCLUDED.token_hash, created_at = now(), expires_at = EXCLUDED.expires_at
WHERE password_resets.created_at <= now() - make_interval(secs => @throttle_seconds::float8);

-- name: PasswordResetTake :one
-- Consumes a live reset token (single use); no row when it is unknown, expired, or its user was
-- deactivated.
WITH taken AS (
    DELETE FROM password_resets WHERE token_hash = @token_hash::bytea AND expires_at > now()
    RETURNING user_id
)
SELECT u.id, u.workspace_id, u.email FROM users u JOIN taken t ON t.user_id = u.id WHERE u.active;

-- name: PasswordResetDeleteByUser :exec
DELETE FROM password_resets WHERE user_id = @user_id::bigint;

-- name: LoginFailureCounts :many
-- The live windows of the given keys.
SELECT key, window_start, failures FROM login_failures
WHERE key = ANY(@keys::text[]) AND window_start > now() - make_interval(secs => @window_seconds::float8);

-- name: LoginFailureRecord :exec
-- Counts one failure for each key; a window older than window_seconds starts over.
INSERT INTO login_failures (key, window_start, failures)
SELECT k, now(), 1 FROM unnest(@keys::text[]) AS k
ON CONFLICT (key) DO UPDATE
SET failures = CASE WHEN login_failures.window_start > now() - make_interval(secs => @window_seconds::float8)
                    THEN login_failures.failures + 1 ELSE 1 END,
    window_start = CASE WHEN login_failures.window_start > now() - make_interval(secs => @window_seconds::float8)
                        THEN login_failures.window_start ELSE now() END;

-- name: LoginFailureClear :exec
DELETE FROM login_failures WHERE key = @key::text;

-- name: LoginFailureDeleteExpired :execrows
DELETE FROM login_failures WHERE window_start <= now() - make_interval(secs => @window_seconds::float8);

-- name: UserSetAvailability :one
-- A choice the user made: it is never automatic, and choosing online counts as being seen.
-- previous is the availability before the change.
UPDATE users u
SET availability = @availability::text,
    away_automatic = false,
    last_seen_at = CASE WHEN @availability::text = 'online' THEN now() ELSE u.last_seen_at END,
    updated_at = now()
FROM (SELECT id, availability, away_automatic FROM users
      WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE) old
WHERE u.id = old.id
RETURNING sqlc.embed(u), old.availability AS previous, old.away_automatic AS previous_automatic;

-- name: UserHeartbeat :one
-- The client is alive: last_seen_at moves on, and a user who went away automatically is back
-- online. A chosen away or offline is left alone. came_back says the availability changed.
UPDATE users u
SET last_seen_at = now(),
    availability = CASE WHEN old.away_automatic THEN 'online' ELSE old.availability END,
    away_automatic = false
FROM (SELECT id, availability, away_automatic FROM users
      WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE) old
WHERE u.id = old.id
RETURNING sqlc.embed(u), old.away_automatic AS came_back;

-- name: UserAutoAway :many
-- Online users not seen for their workspace's auto_away_minutes become away, automatically.
UPDATE users u
SET availability = 'away', away_automatic = true, updated_at = now()
FROM workspaces w
WHERE w.id = u.workspace_id AND u.availability = 'online' AND u.active
  AND coalesce(u.last_seen_at, '-infinity') < now() - make_interval(mins => w.auto_away_minutes)
RETURNING u.id, u.workspace_id;

-- name: UserSetAvatar :one
UPDATE users SET avatar_file_id = sqlc.narg('file_id')::bigint, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: UserSetMaxOpen :one
-- The user's own capacity; NULL falls back to the workspace default.
UPDATE users SET max_open_conversations = sqlc.narg('max_open')::int, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;
