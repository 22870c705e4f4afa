-- Contacts managed by people and integrations: create, edit, tag, delete, list, history.

-- name: ContactCreate :one
INSERT INTO contacts (workspace_id, first_name, last_name, phone, email, language, country_code,
                      custom_fields, tags, lifecycle)
VALUES (@workspace_id::bigint, @first_name::text, @last_name::text, sqlc.narg('phone')::text,
        sqlc.narg('email')::text, @language::text, @country_code::text, @custom_fields::jsonb,
        @tags::text[], @lifecycle::text)
RETURNING *;

-- name: ContactGetForUpdate :one
-- Locks the contact for a read-modify-write, so concurrent edits apply one after the other and
-- each sees the values it replaces (the old values of contact.field_changed events).
SELECT * FROM contacts WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE;

-- name: ContactUpdate :one
UPDATE contacts
SET first_name = @first_name::text,
    last_name = @last_name::text,
    phone = sqlc.narg('phone')::text,
    email = sqlc.narg('email')::text,
    language = @language::text,
    country_code = @country_code::text,
    custom_fields = @custom_fields::jsonb,
    tags = @tags::text[],
    lifecycle = @lifecycle::text,
    updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: ContactDelete :one
DELETE FROM contacts WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: ContactList :many
-- Contacts newest first, keyset-paginated on id, under the caller's visibility restrictions (as
-- the inbox applies them). search matches names, e-mail and phone
-- case-insensitively as a substring; search_digits is the search reduced to its digits when it
-- looks like a phone number ("+60 12-345" finds +6012345...).
SELECT * FROM contacts
WHERE workspace_id = @workspace_id::bigint
  AND (@search::text = ''
       OR strpos(lower(first_name || ' ' || last_name), lower(@search::text)) > 0
       OR strpos(lower(last_name || ' ' || first_name), lower(@search::text)) > 0
       OR strpos(lower(coalesce(email, '')), lower(@search::text)) > 0
       OR strpos(coalesce(phone, ''), @search::text) > 0
       OR (@search_digits::text <> '' AND strpos(coalesce(phone, ''), @search_digits::text) > 0))
  AND (sqlc.narg('tag')::text IS NULL OR tags @> ARRAY[sqlc.narg('tag')::text])
  AND (sqlc.narg('lifecycle')::text IS NULL OR lifecycle = sqlc.narg('lifecycle')::text)
  AND (sqlc.narg('visible_to')::bigint IS NULL
       OR assignee_id = sqlc.narg('visible_to')::bigint
       OR (@visible_team::boolean AND assignee_id IN (
             SELECT mate.user_id FROM team_members mine
             JOIN team_members mate ON mate.team_id = mine.team_id
             WHERE mine.user_id = sqlc.narg('visible_to')::bigint)))
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: ContactConversationList :many
-- A contact's conversation history, newest first.
SELECT * FROM conversations
WHERE workspace_id = @workspace_id::bigint AND contact_id = @contact_id::bigint
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: ContactActivityList :many
-- A contact's activity log from the outbox: the events of the given types, newest first, with the
-- name of the user who acted and, for assignments, of the assignee.
SELECT e.id, e.type, e.conversation_id, e.actor_user_id, e.payload, e.created_at,
       coalesce(actor.name, '')::text AS actor_name,
       assignee.id AS assignee_id,
       coalesce(assignee.name, '')::text AS assignee_name
FROM events e
LEFT JOIN users actor ON actor.id = e.actor_user_id AND actor.workspace_id = e.workspace_id
LEFT JOIN users assignee
       ON jsonb_typeof(e.payload #> '{conversation,assignee_id}') = 'number'
      AND assignee.id = (e.payload #>> '{conversation,assignee_id}')::bigint
      AND assignee.workspace_id = e.workspace_id
WHERE e.workspace_id = @workspace_id::bigint AND e.contact_id = @contact_id::bigint
  AND e.type = ANY (@types::text[])
  AND (sqlc.narg('before_id')::bigint IS NULL OR e.id < sqlc.narg('before_id')::bigint)
ORDER BY e.id DESC
LIMIT @max::int;

-- name: ContactLifecycleRemap :execrows
-- Applies renamed and removed lifecycle stages to every contact in one statement (old_names[i]
-- becomes new_names[i]; '' removes the stage) and records a contact.field_changed event for each.
WITH m AS (
    SELECT unnest(@old_names::text[]) AS old_name, unnest(@new_names::text[]) AS new_name
), changed AS (
    UPDATE contacts c SET lifecycle = m.new_name, updated_at = now()
    FROM m
    WHERE c.workspace_id = @workspace_id::bigint AND c.lifecycle = m.old_name AND m.old_name <> m.new_name
    RETURNING c.id, m.old_name, m.new_name
)
INSERT INTO events (workspace_id, type, contact_id, actor_user_id, payload)
SELECT @workspace_id::bigint, 'contact.field_changed', changed.id, sqlc.narg('actor_user_id')::bigint,
       jsonb_build_object('field', 'lifecycle', 'old', nullif(changed.old_name, ''), 'new', nullif(changed.new_name, ''))
FROM changed;

-- name: ContactCustomFieldClear :execrows
-- Removes a custom field's value from every contact that has it, or only the values outside
-- keep (a list field that lost options) when keep is given.
UPDATE contacts
SET custom_fields = custom_fields - @slug::text, updated_at = now()
WHERE workspace_id = @workspace_id::bigint
  AND custom_fields ? @slug::text
  AND (sqlc.narg('keep')::text[] IS NULL OR NOT (custom_fields ->> @slug::text) = ANY (sqlc.narg('keep')::text[]));
