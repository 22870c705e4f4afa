-- name: ContactInsert :one
INSERT INTO contacts (workspace_id, first_name, last_name, phone, language)
VALUES (@workspace_id::bigint, @first_name::text, @last_name::text, sqlc.narg('phone')::text, @language::text)
RETURNING *;

-- name: ContactGetByID :one
SELECT * FROM contacts WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: ContactGetByPhone :one
SELECT * FROM contacts WHERE workspace_id = @workspace_id::bigint AND phone = @phone::text;

-- name: ContactSetAssignee :exec
UPDATE contacts SET assignee_id = sqlc.narg('assignee_id')::bigint, updated_at = now()
WHERE id = @id::bigint;

-- name: ContactIdentityGet :one
SELECT * FROM contact_identities
WHERE channel_id = @channel_id::bigint AND external_id = @external_id::text;

-- name: ContactIdentityInsert :one
INSERT INTO contact_identities (workspace_id, contact_id, channel_id, external_id, username, last_inbound_at)
VALUES (@workspace_id::bigint, @contact_id::bigint, @channel_id::bigint, @external_id::text, @username::text, sqlc.narg('last_inbound_at')::timestamptz)
RETURNING *;

-- name: ContactIdentityTouch :one
-- Records an inbound message on a known identity and returns its contact: one round trip on the
-- webhook's hot path.
UPDATE contact_identities
SET last_inbound_at = greatest(last_inbound_at, @at::timestamptz),
    username = CASE WHEN @username::text = '' THEN username ELSE @username::text END
WHERE channel_id = @channel_id::bigint AND external_id = @external_id::text
RETURNING contact_id;

-- name: ContactIdentityForChannel :one
SELECT * FROM contact_identities
WHERE contact_id = @contact_id::bigint AND channel_id = @channel_id::bigint
ORDER BY id DESC
LIMIT 1;

-- name: ContactIdentityList :many
SELECT ci.*, ch.type AS channel_type, ch.name AS channel_name
FROM contact_identities ci
JOIN channels ch ON ch.id = ci.channel_id
WHERE ci.contact_id = @contact_id::bigint
ORDER BY ci.id;
