-- name: FlowRunInsert :one
-- Records an enrollment unless the contact is already in the flow, the origin was already
-- dispatched, or (once) the contact was ever enrolled; no row means skipped. The run's
-- flow_run.started event is written with it.
WITH run AS (
    INSERT INTO flow_runs (workspace_id, flow_id, version, contact_id, trigger_type, origin_key, variables,
                           conversation_id, started_by, parent_run_id, depth)
    SELECT @workspace_id::bigint, @flow_id::bigint, @version::int, @contact_id::bigint, @trigger_type::text,
           @origin_key::text, @variables::jsonb, sqlc.narg('conversation_id')::bigint, sqlc.narg('started_by')::bigint,
           sqlc.narg('parent_run_id')::bigint, @depth::int
    WHERE NOT (@once::boolean AND EXISTS (
        SELECT 1 FROM flow_runs r WHERE r.flow_id = @flow_id::bigint AND r.contact_id = @contact_id::bigint))
    ON CONFLICT DO NOTHING
    RETURNING *
), ev AS (
    INSERT INTO events (workspace_id, type, contact_id, conversation_id, actor_user_id, payload)
    SELECT run.workspace_id, 'flow_run.started', run.contact_id, run.conversation_id, run.started_by,
           jsonb_build_object('run_id', run.id, 'flow_id', run.flow_id, 'version', run.version,
                              'trigger_type', run.trigger_type, 'parent_run_id', run.parent_run_id)
    FROM run
)
SELECT run.* FROM run;

-- name: FlowRunGetByOrigin :one
SELECT * FROM flow_runs WHERE flow_id = @flow_id::bigint AND origin_key = @origin_key::text;

-- name: FlowRunGet :one
SELECT * FROM flow_runs WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint;

-- name: FlowRunGetByID :one
SELECT * FROM flow_runs WHERE id = @id::bigint;

-- name: FlowRunMarkRunning :exec
UPDATE flow_runs SET status = 'running', updated_at = now() WHERE id = @id::bigint AND status = 'starting';

-- name: FlowRunSetStep :exec
UPDATE flow_runs SET status = 'running', current_step = sqlc.narg('current_step')::text,
    error = sqlc.narg('error')::text, updated_at = now()
WHERE id = @id::bigint AND status IN ('starting', 'running');

-- name: FlowRunFinish :one
-- Records how a run ended, with its flow_run.ended event; a run that already ended keeps its
-- outcome (no row).
WITH run AS (
    UPDATE flow_runs SET status = @status::text, error = sqlc.narg('error')::text,
        current_step = coalesce(sqlc.narg('current_step')::text, current_step), updated_at = now(), ended_at = now()
    WHERE id = @id::bigint AND status IN ('starting', 'running')
    RETURNING *
), ev AS (
    INSERT INTO events (workspace_id, type, contact_id, conversation_id, payload)
    SELECT run.workspace_id, 'flow_run.ended', run.contact_id, run.conversation_id,
           jsonb_build_object('run_id', run.id, 'flow_id', run.flow_id, 'status', run.status,
                              'current_step', run.current_step, 'error', run.error)
    FROM run
)
SELECT run.* FROM run;

-- name: FlowRunList :many
SELECT * FROM flow_runs
WHERE workspace_id = @workspace_id::bigint AND flow_id = @flow_id::bigint
  AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
  AND (sqlc.narg('contact_id')::bigint IS NULL OR contact_id = sqlc.narg('contact_id')::bigint)
  AND (sqlc.narg('before_id')::bigint IS NULL OR id < sqlc.narg('before_id')::bigint)
ORDER BY id DESC
LIMIT @max::int;

-- name: FlowRunActiveForContact :one
SELECT * FROM flow_runs
WHERE workspace_id = @workspace_id::bigint AND flow_id = @flow_id::bigint AND contact_id = @contact_id::bigint
  AND status IN ('starting', 'running');

-- name: FlowRunsActiveForFlow :many
SELECT * FROM flow_runs
WHERE workspace_id = @workspace_id::bigint AND flow_id = @flow_id::bigint AND status IN ('starting', 'running')
ORDER BY id;

-- name: FlowRunsStale :many
-- Runs recorded but not confirmed started for a while: their starter died; start them again.
SELECT * FROM flow_runs WHERE status = 'starting' AND created_at < @before::timestamptz ORDER BY created_at LIMIT @max::int;

-- name: FlowTriggerClaim :many
-- Takes queued trigger events, oldest first; concurrent dispatchers skip each other's rows.
SELECT q.event_id, e.workspace_id, e.type, e.contact_id, e.conversation_id, e.actor_user_id, e.payload,
       e.created_at
FROM flow_trigger_queue q JOIN events e ON e.id = q.event_id
ORDER BY q.event_id
LIMIT @max::int
FOR UPDATE OF q SKIP LOCKED;

-- name: FlowTriggerDelete :exec
DELETE FROM flow_trigger_queue WHERE event_id = @event_id::bigint;

-- name: FlowsPublishedByTrigger :many
SELECT f.id, f.workspace_id, f.name, f.published_version, f.live_since, v.definition
FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.published_version
WHERE f.workspace_id = @workspace_id::bigint AND f.trigger_type = @trigger_type::text AND f.status = 'published'
ORDER BY f.id;

-- name: FlowPublishedDefinition :one
SELECT f.id, f.workspace_id, f.name, f.status, f.trigger_type, f.published_version, v.definition
FROM flows f JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.published_version
WHERE f.workspace_id = @workspace_id::bigint AND f.id = @id::bigint;

-- name: FlowVersionDefinition :one
SELECT v.definition, f.name FROM flow_versions v JOIN flows f ON f.id = v.flow_id
WHERE v.flow_id = @flow_id::bigint AND v.version = @version::int;

-- name: FlowByWebhookToken :one
SELECT * FROM flows WHERE webhook_token = @webhook_token::text;

-- name: FlowSetWebhookToken :one
UPDATE flows SET webhook_token = @webhook_token::text, updated_at = now()
WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint
RETURNING *;

-- name: FlowWaitInsert :exec
INSERT INTO flow_waits (workflow_id, workspace_id, contact_id, run_id)
VALUES (@workflow_id::text, @workspace_id::bigint, @contact_id::bigint, sqlc.narg('run_id')::bigint)
ON CONFLICT (workflow_id) DO UPDATE SET contact_id = excluded.contact_id, created_at = now();

-- name: FlowWaitDelete :exec
DELETE FROM flow_waits WHERE workflow_id = @workflow_id::text;

-- name: FlowWaitTake :many
-- The runs waiting for this contact's next message; taken in the transaction that attaches it.
DELETE FROM flow_waits WHERE contact_id = @contact_id::bigint RETURNING workflow_id;

-- name: ConversationLatestForContact :one
-- The contact's open conversation, else its most recent one.
SELECT * FROM conversations
WHERE workspace_id = @workspace_id::bigint AND contact_id = @contact_id::bigint
ORDER BY (status = 'open') DESC, id DESC
LIMIT 1;

-- name: MessageLastInbound :one
SELECT * FROM messages
WHERE workspace_id = @workspace_id::bigint AND contact_id = @contact_id::bigint AND direction = 'incoming'
ORDER BY id DESC
LIMIT 1;

-- name: UserActiveIDs :many
SELECT id FROM users WHERE workspace_id = @workspace_id::bigint AND id = ANY(@ids::bigint[]) AND active ORDER BY id;

-- name: EventCountByKey :one
-- Whether a flow step's comment was already written (its event carries the step's key).
SELECT count(*)::int FROM events
WHERE workspace_id = @workspace_id::bigint AND contact_id = sqlc.narg('contact_id')::bigint
  AND type = 'comment.created' AND payload->>'key' = @key::text;

-- name: AssignQueueDropByWaiter :exec
DELETE FROM assignment_queue
WHERE workspace_id = @workspace_id::bigint AND waiter_workflow_id = @waiter_workflow_id::text AND state = 'waiting';

-- name: FlowLockForEnroll :one
-- Taken by every enrollment before it records a run: stopping a flow updates this row, so a run
-- is either recorded before the stop commits (and then stopped with the others) or sees it.
SELECT status FROM flows WHERE workspace_id = @workspace_id::bigint AND id = @id::bigint FOR SHARE;

-- name: FlowRunsActiveForContact :many
SELECT * FROM flow_runs
WHERE workspace_id = @workspace_id::bigint AND contact_id = @contact_id::bigint AND status IN ('starting', 'running')
ORDER BY id;
