-- name: UserInsert :one
INSERT INTO users (workspace_id, email, password_hash, name, role)
VALUES (@workspace_id::bigint, @email::text, @password_hash::text, @name::text, @role::text)
RETURNING *;

-- name: UserGetByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email::text);

-- name: UserGetByID :one
SELECT * FROM users WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: UserList :many
SELECT * FROM users WHERE workspace_id = @workspace_id::bigint ORDER BY id;

-- name: SessionInsert :one
INSERT INTO sessions (user_id, token_hash, expires_at)
VALUES (@user_id::bigint, @token_hash::bytea, @expires_at::timestamptz)
RETURNING *;

-- name: SessionGetUser :one
-- The user behind a live bearer token; deactivated users and expired sessions yield no row.
SELECT u.* FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.token_hash = @token_hash::bytea AND s.expires_at > now() AND u.active;

-- name: SessionDelete :exec
DELETE FROM sessions WHERE token_hash = @token_hash::bytea;

-- name: SessionDeleteExpired :execrows
DELETE FROM sessions WHERE expires_at <= now();
