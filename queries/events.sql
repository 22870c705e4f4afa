-- name: EventInsert :one
INSERT INTO events (workspace_id, type, contact_id, conversation_id, actor_user_id, payload)
VALUES (@workspace_id::bigint, @type::text, sqlc.narg('contact_id')::bigint, sqlc.narg('conversation_id')::bigint,
        sqlc.narg('actor_user_id')::bigint, @payload::jsonb)
RETURNING id;

-- name: EventListByConversation :many
SELECT * FROM events WHERE conversation_id = @conversation_id::bigint ORDER BY id;
