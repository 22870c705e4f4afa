-- name: MessageInsertInbound :one
-- A provider redelivering the same message inserts nothing: the caller then reads the stored row.
INSERT INTO messages (workspace_id, contact_id, channel_id, direction, sender_kind, content, content_type,
                      external_id, status, sent_at)
VALUES (@workspace_id::bigint, @contact_id::bigint, @channel_id::bigint, 'incoming', 'contact', @content::jsonb,
        @content_type::text, @external_id::text, 'delivered', sqlc.narg('sent_at')::timestamptz)
ON CONFLICT (channel_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
RETURNING *;

-- name: MessageGetByExternalID :one
SELECT * FROM messages WHERE channel_id = @channel_id::bigint AND external_id = @external_id::text;

-- name: MessageGetByID :one
SELECT * FROM messages WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: MessageGetByIdempotencyKey :one
SELECT * FROM messages WHERE workspace_id = @workspace_id::bigint AND idempotency_key = @idempotency_key::text;

-- name: MessageUpdateContent :one
UPDATE messages
SET content = @content::jsonb, content_type = @content_type::text, edited_at = @edited_at::timestamptz, updated_at = now()
WHERE channel_id = @channel_id::bigint AND external_id = @external_id::text
RETURNING *;

-- name: MessageInsertOutbound :one
INSERT INTO messages (workspace_id, contact_id, conversation_id, channel_id, direction, sender_kind, sender_user_id,
                      content, content_type, status, idempotency_key)
VALUES (@workspace_id::bigint, @contact_id::bigint, @conversation_id::bigint, @channel_id::bigint, 'outgoing',
        @sender_kind::text, sqlc.narg('sender_user_id')::bigint, @content::jsonb, @content_type::text, 'pending',
        @idempotency_key::text)
ON CONFLICT (workspace_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
RETURNING *;

-- name: MessageAttachConversation :one
-- Attaches an inbound message to its conversation once; a redelivered signal finds no row.
UPDATE messages SET conversation_id = @conversation_id::bigint, updated_at = now()
WHERE id = @id::bigint AND conversation_id IS NULL
RETURNING *;

-- name: MessageMarkSent :one
-- external_id NULL: the provider took the message but its id could not be kept (see SendMessage).
UPDATE messages
SET status = 'sent', external_id = sqlc.narg('external_id')::text, sent_at = @sent_at::timestamptz, error = '', updated_at = now()
WHERE id = @id::bigint AND status = 'pending'
RETURNING *;

-- name: MessageMarkFailed :one
UPDATE messages SET status = 'failed', error = @error::text, updated_at = now()
WHERE id = @id::bigint AND status IN ('pending', 'sent')
RETURNING *;

-- name: MessageUpdateStatus :one
-- Provider status reports arrive late, duplicated and out of order: statuses only move forward
-- (pending < sent < delivered < read) and failed is terminal.
UPDATE messages
SET status = @status::text,
    error = CASE WHEN @status::text = 'failed' THEN @error::text ELSE error END,
    updated_at = now()
WHERE channel_id = @channel_id::bigint AND external_id = @external_id::text AND direction = 'outgoing'
  AND status <> 'failed'
  AND (CASE @status::text WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4 ELSE 0 END)
    > (CASE status WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 ELSE 4 END)
RETURNING *;

-- name: MessageListByConversation :many
SELECT * FROM messages
WHERE workspace_id = @workspace_id::bigint AND conversation_id = @conversation_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: MessageListByContact :many
SELECT * FROM messages
WHERE workspace_id = @workspace_id::bigint AND contact_id = @contact_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: MessageIngestFromKnownSender :one
-- The webhook hot path in one statement (one round trip, atomic): when the channel exists, the
-- presented webhook secret matches its stored hash and the sender is already known on it,
-- record the inbound time on the identity, insert the message once per (channel, external id)
-- and write its outbox event. No row: unknown channel, wrong secret or new sender (the caller
-- takes the careful path, which answers 404/401 or creates the contact); message_id NULL: a
-- redelivery of a stored message.
WITH ch AS (
    SELECT id, workspace_id FROM channels
    WHERE id = @channel_id::bigint AND type = @channel_type::text AND deleted_at IS NULL
      AND webhook_secret_hash = @webhook_secret_hash::bytea
), ident AS (
    UPDATE contact_identities ci
    SET last_inbound_at = greatest(ci.last_inbound_at, @at::timestamptz),
        username = CASE WHEN @username::text = '' THEN ci.username ELSE @username::text END
    FROM ch
    WHERE ci.channel_id = ch.id AND ci.external_id = @sender_external_id::text
    RETURNING ci.contact_id, ch.workspace_id
), ins AS (
    INSERT INTO messages (workspace_id, contact_id, channel_id, direction, sender_kind, content, content_type,
                          external_id, status, sent_at)
    SELECT ident.workspace_id, ident.contact_id, @channel_id::bigint, 'incoming', 'contact', @content::jsonb,
           @content_type::text, @external_id::text, 'delivered', sqlc.narg('sent_at')::timestamptz
    FROM ident
    ON CONFLICT (channel_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
    RETURNING id, contact_id, workspace_id
), ev AS (
    INSERT INTO events (workspace_id, type, contact_id, payload)
    SELECT ins.workspace_id, 'message.created', ins.contact_id,
           jsonb_build_object('message_id', ins.id, 'channel_id', @channel_id::bigint, 'direction', 'incoming')
    FROM ins
)
SELECT ident.contact_id, ident.workspace_id, ins.id AS message_id
FROM ident LEFT JOIN ins ON true;

-- name: MessageListUnattachedInbound :many
-- Inbound messages stored before @before that no conversation workflow has taken yet (every
-- message a workflow handles is attached to a conversation, ratings included), oldest first.
-- messages_conversation_incoming_idx serves it as it is: its NULL entries are exactly these
-- messages, in id order, so the webhook's insert pays for no index of its own.
SELECT m.id, m.workspace_id, m.contact_id, m.channel_id, ch.type AS channel_type,
       coalesce(m.sent_at, m.created_at)::timestamptz AS received_at
FROM messages m
JOIN channels ch ON ch.id = m.channel_id
WHERE m.direction = 'incoming' AND m.conversation_id IS NULL AND m.created_at < @before::timestamptz
ORDER BY m.id
LIMIT @max_rows::int;
