-- +goose Up
-- Contacts and workspace settings: custom contact fields, lifecycle stages, business hours.

-- Custom contact fields a workspace defines (respond.io's Contact Fields). Values live in
-- contacts.custom_fields keyed by slug; the slug is the stable name flows and imports use, so it
-- never changes once created.
CREATE TABLE contact_fields (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         text        NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    slug         text        NOT NULL CHECK (slug ~ '^[a-z0-9_]{1,50}$'),
    type         text        NOT NULL CHECK (type IN ('text', 'list', 'checkbox', 'email', 'number', 'url', 'date', 'time')),
    -- The allowed values of a list field, in display order; empty for every other type.
    options      text[]      NOT NULL DEFAULT '{}',
    description  text        NOT NULL DEFAULT '' CHECK (length(description) <= 255),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((type = 'list') = (cardinality(options) > 0))
);
CREATE UNIQUE INDEX contact_fields_slug_key ON contact_fields (workspace_id, slug);
CREATE UNIQUE INDEX contact_fields_name_key ON contact_fields (workspace_id, lower(name));

-- Lifecycle stages, in order: a short list read with the workspace, so it lives on it. Every
-- workspace starts with respond.io's defaults; Cold Lead is the lost stage.
ALTER TABLE workspaces
    ADD COLUMN lifecycle_stages jsonb NOT NULL DEFAULT
        '[{"name":"New Lead","emoji":"🆕","lost":false},{"name":"Hot Lead","emoji":"🔥","lost":false},{"name":"Payment","emoji":"💵","lost":false},{"name":"Customer","emoji":"🤩","lost":false},{"name":"Cold Lead","emoji":"🧊","lost":true}]'
        CHECK (jsonb_typeof(lifecycle_stages) = 'array');

-- Contact lists filter by lifecycle stage.
CREATE INDEX contacts_lifecycle_idx ON contacts (workspace_id, lifecycle, id DESC) WHERE lifecycle <> '';

-- Business hours: one row per workspace once configured. days maps monday..sunday to ordered,
-- non-overlapping {"from","to"} ranges; holidays is an ordered list of {"date","name"}.
CREATE TABLE business_hours (
    workspace_id bigint      PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    timezone     text        NOT NULL,
    days         jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(days) = 'object'),
    holidays     jsonb       NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(holidays) = 'array'),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE business_hours;
DROP INDEX contacts_lifecycle_idx;
ALTER TABLE workspaces DROP COLUMN lifecycle_stages;
DROP TABLE contact_fields;
