-- +goose Up
-- The workspace file library: uploaded attachments and voice notes. The bytes live in the file
-- store under storage_key (generated, never user input); this row is what the API shows.
CREATE TABLE files (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id     bigint      NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    uploader_id      bigint      REFERENCES users (id) ON DELETE SET NULL,
    -- The uploader's file name, sanitized; only ever shown and offered as a download name.
    name             text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    -- Sniffed from the bytes at upload; the client's declared type is not trusted.
    mime_type        text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('image', 'audio', 'video', 'document')),
    size_bytes       bigint      NOT NULL CHECK (size_bytes > 0),
    sha256           bytea       NOT NULL CHECK (length(sha256) = 32),
    storage_key      text        NOT NULL UNIQUE,
    -- Playing time of audio recordings whose format we can read (OGG, WAV); NULL otherwise.
    duration_seconds double precision CHECK (duration_seconds >= 0),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_workspace_idx ON files (workspace_id, id DESC);
CREATE INDEX files_workspace_kind_idx ON files (workspace_id, kind, id DESC);

-- +goose Down
DROP TABLE files;
