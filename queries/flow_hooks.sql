-- Incoming Webhook triggers: the flow's secret token and the contact a call is about.

-- name: FlowWebhookTokenInit :one
-- Gives a flow its first webhook token; a flow that already has one keeps it (no row).
UPDATE flows SET webhook_token = @webhook_token::text
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint AND webhook_token IS NULL
RETURNING *;

-- name: ContactGetByEmail :one
-- E-mail addresses are unique per workspace regardless of case (contacts_email_key).
SELECT * FROM contacts WHERE workspace_id = @workspace_id::bigint AND lower(email) = lower(@email::text);
