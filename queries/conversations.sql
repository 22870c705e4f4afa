-- name: ConversationGetOpenByContact :one
SELECT * FROM conversations WHERE contact_id = @contact_id::bigint AND status = 'open';

-- name: ConversationInsert :one
-- The partial unique index keeps one open conversation per contact; a concurrent opener gets no row.
INSERT INTO conversations (workspace_id, contact_id, channel_id, opened_source, opened_by, assignee_id,
                           first_assigned_at, last_assigned_at, opened_at, last_activity_at)
VALUES (@workspace_id::bigint, @contact_id::bigint, sqlc.narg('channel_id')::bigint, @opened_source::text,
        sqlc.narg('opened_by')::bigint, sqlc.narg('assignee_id')::bigint,
        CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN NULL ELSE @at::timestamptz END,
        CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN NULL ELSE @at::timestamptz END,
        @at::timestamptz, @at::timestamptz)
ON CONFLICT (contact_id) WHERE status = 'open' DO NOTHING
RETURNING *;

-- name: ConversationGetByID :one
SELECT * FROM conversations WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: ConversationRecordInbound :one
UPDATE conversations
SET incoming_count = incoming_count + 1,
    first_incoming_message_id = coalesce(first_incoming_message_id, @message_id::bigint),
    channel_id = @channel_id::bigint,
    last_inbound_at = greatest(last_inbound_at, @at::timestamptz),
    last_activity_at = greatest(last_activity_at, @at::timestamptz)
WHERE id = @id::bigint
RETURNING *;

-- name: ConversationRecordOutbound :one
-- first_response_at counts only human replies, as respond.io's response-time reports do.
UPDATE conversations
SET outgoing_count = outgoing_count + 1,
    first_response_at = CASE WHEN @is_response::boolean THEN coalesce(first_response_at, @at::timestamptz)
                             ELSE first_response_at END,
    last_activity_at = greatest(last_activity_at, @at::timestamptz)
WHERE id = @id::bigint
RETURNING *;

-- name: ConversationSetAssignee :one
UPDATE conversations
SET assignee_id = sqlc.narg('assignee_id')::bigint,
    team_id = sqlc.narg('team_id')::bigint,
    first_assigned_at = CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN first_assigned_at
                             ELSE coalesce(first_assigned_at, @at::timestamptz) END,
    last_assigned_at = CASE WHEN sqlc.narg('assignee_id')::bigint IS NULL THEN last_assigned_at
                            ELSE @at::timestamptz END,
    last_activity_at = greatest(last_activity_at, @at::timestamptz)
WHERE id = @id::bigint AND status = 'open'
RETURNING *;

-- name: ConversationClose :one
UPDATE conversations
SET status = 'closed',
    closed_at = @at::timestamptz,
    closed_by = sqlc.narg('closed_by')::bigint,
    closed_source = @closed_source::text,
    category = sqlc.narg('category')::text,
    summary = sqlc.narg('summary')::text,
    last_activity_at = greatest(last_activity_at, @at::timestamptz)
WHERE id = @id::bigint AND status = 'open'
RETURNING *;

-- name: ConversationAttachInbound :one
-- The common inbound case in one statement: the contact has an open conversation, and the
-- message (not yet attached) joins it and is counted. No row: no open conversation, or the
-- message was attached before (take the careful path).
WITH conv AS (
    SELECT c.id FROM conversations c
    WHERE c.contact_id = @contact_id::bigint AND c.status = 'open'
    FOR UPDATE
), att AS (
    UPDATE messages m SET conversation_id = conv.id, updated_at = now()
    FROM conv
    WHERE m.id = @message_id::bigint AND m.workspace_id = @workspace_id::bigint
      AND m.contact_id = @contact_id::bigint AND m.conversation_id IS NULL
    RETURNING m.id, m.channel_id, m.created_at, m.conversation_id
)
UPDATE conversations
SET incoming_count = incoming_count + 1,
    first_incoming_message_id = coalesce(first_incoming_message_id, att.id),
    channel_id = att.channel_id,
    last_inbound_at = greatest(last_inbound_at, att.created_at),
    last_activity_at = greatest(last_activity_at, att.created_at)
FROM att
WHERE conversations.id = att.conversation_id
RETURNING conversations.*;
