-- +goose Up
-- One row naming this database's Chat Center installation, created on first use (not here, so
-- that databases copied from a migrated template each get their own). `chatcenter dev` writes it
-- into its data dir and refuses to pair that engine state with another database.
CREATE TABLE installation (
    singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE installation;
