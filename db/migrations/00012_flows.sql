-- +goose Up
-- Automation flows (respond.io's Workflows). The draft is edited freely; publishing copies it into
-- an immutable numbered version, so runs keep the definition they started with.
CREATE TABLE flows (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id      bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    status            text        NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'stopped')),
    draft             jsonb       NOT NULL,
    trigger_type      text        NOT NULL,
    published_version integer     CHECK (published_version > 0),
    created_by        bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX flows_workspace_idx ON flows (workspace_id, id DESC);
-- Trigger dispatch looks up the published flows of a workspace by trigger type.
CREATE INDEX flows_trigger_idx ON flows (workspace_id, trigger_type) WHERE status = 'published';

CREATE TABLE flow_versions (
    flow_id      bigint      NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    version      integer     NOT NULL CHECK (version > 0),
    definition   jsonb       NOT NULL,
    published_by bigint      REFERENCES users (id) ON DELETE SET NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (flow_id, version)
);

-- +goose Down
DROP TABLE flow_versions;
DROP TABLE flows;
