-- name: InstallationEnsure :exec
INSERT INTO installation DEFAULT VALUES ON CONFLICT (singleton) DO NOTHING;

-- name: InstallationID :one
SELECT id::text FROM installation;
