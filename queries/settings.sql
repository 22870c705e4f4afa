-- Workspace settings: general, closing notes, lifecycle stages, custom contact fields, business hours.

-- name: WorkspaceUpdateGeneral :one
UPDATE workspaces SET name = @name::text, timezone = @timezone::text, language = @language::text
WHERE id = @id::bigint
RETURNING *;

-- name: WorkspaceGetForUpdate :one
SELECT * FROM workspaces WHERE id = @id::bigint FOR UPDATE;

-- name: WorkspaceLifecycleStages :one
-- Read with a share lock by contact edits that set a stage, so the stage cannot be removed before
-- the edit commits.
SELECT lifecycle_stages FROM workspaces WHERE id = @id::bigint FOR SHARE;

-- name: WorkspaceSetLifecycleStages :one
UPDATE workspaces SET lifecycle_stages = @lifecycle_stages::jsonb WHERE id = @id::bigint
RETURNING lifecycle_stages;

-- name: WorkspaceSetClosingNoteMode :one
UPDATE workspaces SET closing_note_mode = @closing_note_mode::text WHERE id = @id::bigint
RETURNING closing_note_mode;

-- name: ClosingNoteCategoryList :many
SELECT * FROM closing_note_categories WHERE workspace_id = @workspace_id::bigint ORDER BY lower(name), id;

-- name: ClosingNoteCategoryCount :one
SELECT count(*) FROM closing_note_categories WHERE workspace_id = @workspace_id::bigint;

-- name: ClosingNoteCategoryGetForUpdate :one
SELECT * FROM closing_note_categories WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE;

-- name: ClosingNoteCategoryInsert :one
INSERT INTO closing_note_categories (workspace_id, name, description)
VALUES (@workspace_id::bigint, @name::text, @description::text)
RETURNING *;

-- name: ClosingNoteCategoryUpdate :one
UPDATE closing_note_categories SET name = @name::text, description = @description::text
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: ClosingNoteCategoryDelete :one
DELETE FROM closing_note_categories WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: ContactFieldList :many
SELECT * FROM contact_fields WHERE workspace_id = @workspace_id::bigint ORDER BY id;

-- name: ContactFieldCount :one
SELECT count(*) FROM contact_fields WHERE workspace_id = @workspace_id::bigint;

-- name: ContactFieldListBySlugs :many
-- The definitions a contact edit writes values for, share-locked so none is changed or deleted
-- before the edit commits.
SELECT * FROM contact_fields
WHERE workspace_id = @workspace_id::bigint AND slug = ANY (@slugs::text[])
ORDER BY id
FOR SHARE;

-- name: ContactFieldGetForUpdate :one
SELECT * FROM contact_fields WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR UPDATE;

-- name: ContactFieldInsert :one
INSERT INTO contact_fields (workspace_id, name, slug, type, options, description)
VALUES (@workspace_id::bigint, @name::text, @slug::text, @type::text, @options::text[], @description::text)
RETURNING *;

-- name: ContactFieldUpdate :one
UPDATE contact_fields
SET name = @name::text, options = @options::text[], description = @description::text, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: ContactFieldDelete :one
DELETE FROM contact_fields WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: BusinessHoursGet :one
SELECT * FROM business_hours WHERE workspace_id = @workspace_id::bigint;

-- name: BusinessHoursUpsert :one
INSERT INTO business_hours (workspace_id, timezone, days, holidays, updated_at)
VALUES (@workspace_id::bigint, @timezone::text, @days::jsonb, @holidays::jsonb, now())
ON CONFLICT (workspace_id) DO UPDATE
SET timezone = excluded.timezone, days = excluded.days, holidays = excluded.holidays, updated_at = excluded.updated_at
RETURNING *;

-- name: WorkspaceAssignmentSettings :one
SELECT default_max_open_conversations FROM workspaces WHERE id = @workspace_id::bigint;

-- name: WorkspaceSetDefaultMaxOpen :one
UPDATE workspaces SET default_max_open_conversations = sqlc.narg('max_open')::int
WHERE id = @workspace_id::bigint
RETURNING default_max_open_conversations;
