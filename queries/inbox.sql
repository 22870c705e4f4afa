-- name: InboxList :many
-- The inbox: conversations with their contact's name and the caller's unread count, filtered by
-- folder, filters and the caller's visibility restrictions, most recent activity first,
-- keyset-paginated on (last_activity_at, id).
SELECT sqlc.embed(c), ct.first_name AS contact_first_name, ct.last_name AS contact_last_name,
       (SELECT count(*) FROM messages m
        WHERE m.conversation_id = c.id AND m.direction = 'incoming'
          AND m.id > coalesce((SELECT r.last_read_message_id FROM conversation_reads r
                               WHERE r.conversation_id = c.id AND r.user_id = @user_id::bigint), 0)
       )::bigint AS unread_count
FROM conversations c
JOIN contacts ct ON ct.id = c.contact_id
WHERE c.workspace_id = @workspace_id::bigint
  AND (sqlc.narg('status')::text IS NULL OR c.status = sqlc.narg('status')::text)
  AND (sqlc.narg('assignee_id')::bigint IS NULL OR c.assignee_id = sqlc.narg('assignee_id')::bigint)
  AND (NOT @unassigned::boolean OR c.assignee_id IS NULL)
  AND (sqlc.narg('team_id')::bigint IS NULL OR c.team_id = sqlc.narg('team_id')::bigint)
  AND (NOT @my_teams::boolean OR c.team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = @user_id::bigint))
  AND (NOT @mentions::boolean OR c.contact_id IN (
        SELECT n.contact_id FROM notifications n WHERE n.user_id = @user_id::bigint AND n.type = 'mention'))
  AND (sqlc.narg('channel_id')::bigint IS NULL OR c.channel_id = sqlc.narg('channel_id')::bigint)
  AND (sqlc.narg('tag')::text IS NULL OR sqlc.narg('tag')::text = ANY (ct.tags))
  AND (sqlc.narg('lifecycle')::text IS NULL OR ct.lifecycle = sqlc.narg('lifecycle')::text)
  AND (sqlc.narg('search')::text IS NULL
       OR ct.first_name ILIKE sqlc.narg('search')::text OR ct.last_name ILIKE sqlc.narg('search')::text
       OR (ct.first_name || ' ' || ct.last_name) ILIKE sqlc.narg('search')::text
       OR ct.phone ILIKE sqlc.narg('search')::text OR ct.email ILIKE sqlc.narg('search')::text
       OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id
                  AND m.content ->> 'text' ILIKE sqlc.narg('search')::text))
  AND (sqlc.narg('visible_to')::bigint IS NULL
       OR c.assignee_id = sqlc.narg('visible_to')::bigint
       OR (@visible_team::boolean AND c.assignee_id IN (
             SELECT mate.user_id FROM team_members mine
             JOIN team_members mate ON mate.team_id = mine.team_id
             WHERE mine.user_id = sqlc.narg('visible_to')::bigint)))
  AND (sqlc.narg('cursor_at')::timestamptz IS NULL
       OR (c.last_activity_at, c.id) < (sqlc.narg('cursor_at')::timestamptz, sqlc.narg('cursor_id')::bigint))
ORDER BY c.last_activity_at DESC, c.id DESC
LIMIT @max::int;

-- name: InboxCounts :one
-- Open conversations per folder, under the caller's visibility restrictions; mentions counts those
-- whose contact has a mention of the caller not yet read.
SELECT count(*)::bigint AS all_open,
       count(*) FILTER (WHERE c.assignee_id = @user_id::bigint)::bigint AS mine,
       count(*) FILTER (WHERE c.assignee_id IS NULL)::bigint AS unassigned,
       count(*) FILTER (WHERE c.team_id IN (SELECT tm.team_id FROM team_members tm WHERE tm.user_id = @user_id::bigint))::bigint AS team,
       count(*) FILTER (WHERE c.contact_id IN (
           SELECT n.contact_id FROM notifications n
           WHERE n.user_id = @user_id::bigint AND n.type = 'mention' AND n.read_at IS NULL))::bigint AS mentions
FROM conversations c
WHERE c.workspace_id = @workspace_id::bigint AND c.status = 'open'
  AND (sqlc.narg('visible_to')::bigint IS NULL
       OR c.assignee_id = sqlc.narg('visible_to')::bigint
       OR (@visible_team::boolean AND c.assignee_id IN (
             SELECT mate.user_id FROM team_members mine
             JOIN team_members mate ON mate.team_id = mine.team_id
             WHERE mine.user_id = sqlc.narg('visible_to')::bigint)));

-- name: InboxUnreadTotal :one
-- Unread incoming messages across the caller's open assigned conversations (the badge).
SELECT count(*)::bigint FROM messages m
JOIN conversations c ON c.id = m.conversation_id
WHERE c.workspace_id = @workspace_id::bigint AND c.status = 'open' AND c.assignee_id = @user_id::bigint
  AND m.direction = 'incoming'
  AND m.id > coalesce((SELECT r.last_read_message_id FROM conversation_reads r
                       WHERE r.conversation_id = c.id AND r.user_id = @user_id::bigint), 0);

-- name: ConversationMarkRead :exec
-- Marks everything in the conversation read for the user; reads never move backwards.
INSERT INTO conversation_reads (conversation_id, user_id, last_read_message_id)
SELECT @conversation_id::bigint, @user_id::bigint, coalesce(max(m.id), 0)
FROM messages m WHERE m.conversation_id = @conversation_id::bigint
ON CONFLICT (conversation_id, user_id) DO UPDATE
SET last_read_message_id = greatest(conversation_reads.last_read_message_id, excluded.last_read_message_id),
    read_at = now();

-- name: TeamMatesAssigned :one
-- Whether the assignee is the user or one of the user's team mates (show_team_contacts).
SELECT EXISTS (
    SELECT 1 FROM team_members mine
    JOIN team_members mate ON mate.team_id = mine.team_id
    WHERE mine.user_id = @user_id::bigint AND mate.user_id = @assignee_id::bigint
)::boolean;

-- name: InboxTeamGet :one
SELECT * FROM teams WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: ContactSetBotPaused :one
UPDATE contacts SET bot_paused = @paused::boolean, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: ClosingNoteSettings :one
-- The workspace's closing-note mode and its categories, for validating a close.
SELECT w.closing_note_mode,
       coalesce((SELECT array_agg(c.name ORDER BY c.name) FROM closing_note_categories c
                 WHERE c.workspace_id = w.id), '{}')::text[] AS categories
FROM workspaces w WHERE w.id = @workspace_id::bigint;
