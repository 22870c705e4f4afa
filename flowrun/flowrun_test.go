package flowrun

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/server/temporaltest"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/db/dbtest"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// The dispatcher is tested against real Postgres and an in-process Temporal server without
// workers: the runs' workflows are started and stay pending, which is all dispatching does.
type fixture struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	e   *Enroller
	ws  int64
}

func newFixture(t *testing.T) *fixture {
	ctx := context.Background()
	d := dbtest.Open(t)
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	tc := ts.GetDefaultClient()
	_, err := tc.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: ts.GetDefaultNamespace(), SearchAttributes: workflows.SearchAttributes(),
	})
	require.NoError(t, err)
	f := &fixture{t: t, ctx: ctx, d: d, e: &Enroller{DB: d, Temporal: tc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	f.ws = f.id(`INSERT INTO workspaces (name) VALUES ('dispatch test') RETURNING id`)
	return f
}

func (f *fixture) id(sql string, args ...any) int64 {
	f.t.Helper()
	var id int64
	require.NoError(f.t, f.d.Pool.QueryRow(f.ctx, sql, args...).Scan(&id), sql)
	return id
}

func (f *fixture) contact() int64 {
	return f.id(`INSERT INTO contacts (workspace_id, first_name) VALUES ($1, 'Ana') RETURNING id`, f.ws)
}

// flow stores a published flow (version 1) with the trigger and one Wait step.
func (f *fixture) flow(t flows.Trigger) int64 {
	f.t.Helper()
	t.Next = "w"
	def, err := json.Marshal(flows.Flow{Trigger: t, Steps: []flows.Step{{ID: "w", Type: flows.StepWait, Wait: &flows.Wait{Seconds: 60}}}})
	require.NoError(f.t, err)
	id := f.id(`INSERT INTO flows (workspace_id, name, status, draft, trigger_type, published_version)
		VALUES ($1, 'f', 'published', $2, $3, 1) RETURNING id`, f.ws, def, t.Type)
	_, err = f.d.Pool.Exec(f.ctx, `INSERT INTO flow_versions (flow_id, version, definition) VALUES ($1, 1, $2)`, id, def)
	require.NoError(f.t, err)
	return id
}

func (f *fixture) event(typ string, contactID int64, payload map[string]any) {
	f.t.Helper()
	require.NoError(f.t, db.InsertEvent(f.ctx, f.d.Queries, db.Event{WorkspaceID: f.ws, Type: typ, ContactID: contactID, Payload: payload}))
}

func (f *fixture) runs(flowID int64) []dbsqlc.FlowRun {
	f.t.Helper()
	runs, err := f.d.Queries.FlowRunList(f.ctx, dbsqlc.FlowRunListParams{WorkspaceID: f.ws, FlowID: flowID, Max: 100})
	require.NoError(f.t, err)
	return runs
}

func (f *fixture) dispatchAll() {
	f.t.Helper()
	for {
		n, err := f.e.DispatchOnce(f.ctx)
		require.NoError(f.t, err)
		if n == 0 {
			return
		}
	}
}

func (f *fixture) queued() int {
	var n int
	require.NoError(f.t, f.d.Pool.QueryRow(f.ctx, `SELECT count(*) FROM flow_trigger_queue`).Scan(&n))
	return n
}

// TestDispatchEnrollsOncePerEvent: every matching flow runs, each event is dispatched once,
// non-trigger events are not queued, and each run's workflow is started with its search
// attributes.
func TestDispatchEnrollsOncePerEvent(t *testing.T) {
	f := newFixture(t)
	a := f.flow(flows.Trigger{Type: flows.TriggerConversationOpened})
	b := f.flow(flows.Trigger{Type: flows.TriggerConversationOpened, ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}})
	userOnly := f.flow(flows.Trigger{Type: flows.TriggerConversationOpened, ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"user"}}})
	c := f.contact()

	f.event("message.created", c, nil)
	require.Equal(t, 0, f.queued(), "only trigger events are queued")
	f.event("conversation.opened", c, map[string]any{"source": "contact"})
	require.Equal(t, 1, f.queued())
	f.dispatchAll()
	require.Equal(t, 0, f.queued())
	require.Len(t, f.runs(a), 1)
	require.Len(t, f.runs(b), 1)
	require.Empty(t, f.runs(userOnly))

	run := f.runs(a)[0]
	require.Equal(t, StatusRunning, run.Status)
	desc, err := f.e.Temporal.DescribeWorkflowExecution(f.ctx, workflows.FlowRunWorkflowID(run.FlowID, run.ContactID, run.ID), "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.WorkflowExecutionInfo.Status)
	sa := desc.WorkflowExecutionInfo.SearchAttributes.GetIndexedFields()
	require.NotNil(t, sa["FlowId"])
	require.NotNil(t, sa["ContactId"])

	// Dispatching again finds nothing: no second run.
	f.dispatchAll()
	require.Len(t, f.runs(a), 1)
}

// TestDispatchSkipsEnrolledAndOnce: a contact already in a flow is not enrolled again; a
// "once per contact" flow never re-enrolls, a normal one does after the run ended.
func TestDispatchSkipsEnrolledAndOnce(t *testing.T) {
	f := newFixture(t)
	tag := flows.Trigger{Type: flows.TriggerContactTagUpdated, ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{"vip"}}}
	normal := f.flow(tag)
	once := tag
	once.TriggerOncePerContact = true
	onceID := f.flow(once)
	c := f.contact()

	f.event("contact.tag_added", c, map[string]any{"tag": "vip"})
	f.event("contact.tag_added", c, map[string]any{"tag": "vip"})
	f.dispatchAll()
	require.Len(t, f.runs(normal), 1, "second event while enrolled is skipped")
	require.Len(t, f.runs(onceID), 1)

	for _, id := range []int64{normal, onceID} {
		_, err := f.e.Stop(f.ctx, f.ws, f.runs(id)[0].ID, "test")
		require.NoError(t, err)
	}
	f.event("contact.tag_added", c, map[string]any{"tag": "vip"})
	f.dispatchAll()
	require.Len(t, f.runs(normal), 2, "re-enrolled after the first run ended")
	require.Len(t, f.runs(onceID), 1, "once per contact")

	// Stopping an ended run is a conflict, and its workflow was cancelled.
	_, err := f.e.Stop(f.ctx, f.ws, f.runs(onceID)[0].ID, "again")
	require.Error(t, err)
	// No worker runs here: the cancellation is requested in the run's history.
	iter := f.e.Temporal.GetWorkflowHistory(f.ctx, workflows.FlowRunWorkflowID(onceID, c, f.runs(onceID)[0].ID), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	requested := false
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		requested = requested || ev.EventType == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED
	}
	require.True(t, requested)
}

// TestDispatchConcurrent: several dispatchers share the queue; 50 events for 50 contacts make
// exactly 50 runs.
func TestDispatchConcurrent(t *testing.T) {
	f := newFixture(t)
	id := f.flow(flows.Trigger{Type: flows.TriggerContactFieldUpdated, ContactFieldUpdated: &flows.ContactFieldUpdatedTrigger{Field: "email"}})
	for range 50 {
		f.event("contact.field_changed", f.contact(), map[string]any{"field": "email"})
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := f.e.DispatchOnce(f.ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Len(t, f.runs(id), 50)
	require.Equal(t, 0, f.queued())
}

// TestSweepStartsStaleRuns: a run recorded but never started (its starter died) is started by
// the sweep.
func TestSweepStartsStaleRuns(t *testing.T) {
	f := newFixture(t)
	id := f.flow(flows.Trigger{Type: flows.TriggerManual})
	c := f.contact()
	run, err := f.d.Queries.FlowRunInsert(f.ctx, dbsqlc.FlowRunInsertParams{WorkspaceID: f.ws, FlowID: id, Version: 1, ContactID: c,
		TriggerType: flows.TriggerManual, OriginKey: "test:1", Variables: []byte(`{}`)})
	require.NoError(t, err)
	_, err = f.d.Pool.Exec(f.ctx, `UPDATE flow_runs SET created_at = now() - interval '1 minute' WHERE id = $1`, run.ID)
	require.NoError(t, err)
	require.NoError(t, f.e.SweepOnce(f.ctx))
	require.Equal(t, StatusRunning, f.runs(id)[0].Status)
	_, err = f.e.Temporal.DescribeWorkflowExecution(f.ctx, workflows.FlowRunWorkflowID(run.FlowID, run.ContactID, run.ID), "")
	require.NoError(t, err)
	// Sweeping again is harmless (already started).
	require.NoError(t, f.e.SweepOnce(f.ctx))
}

// TestDispatchSkipsStoppedFlows: an event queued before a flow was stopped enrolls nobody, and
// enrolling in a flow that was never published is a conflict.
func TestDispatchSkipsStoppedFlows(t *testing.T) {
	f := newFixture(t)
	id := f.flow(flows.Trigger{Type: flows.TriggerConversationOpened})
	c := f.contact()
	f.event("conversation.opened", c, map[string]any{"source": "contact"})
	_, err := f.d.Pool.Exec(f.ctx, `UPDATE flows SET status = 'stopped' WHERE id = $1`, id)
	require.NoError(t, err)
	f.dispatchAll()
	require.Empty(t, f.runs(id))
	require.Equal(t, 0, f.queued())

	draft := f.id(`INSERT INTO flows (workspace_id, name, draft, trigger_type) VALUES ($1, 'draft', '{}', 'manual') RETURNING id`, f.ws)
	_, _, err = f.e.Enroll(f.ctx, Enrollment{WorkspaceID: f.ws, FlowID: draft, ContactID: c, OriginKey: "api:1"})
	require.Equal(t, chatcenter.ECONFLICT, chatcenter.ErrorCode(err))
	_, _, err = f.e.Enroll(f.ctx, Enrollment{WorkspaceID: f.ws, FlowID: draft + 1000, ContactID: c, OriginKey: "api:1"})
	require.Equal(t, chatcenter.ENOTFOUND, chatcenter.ErrorCode(err))
}

// TestDispatchSkipsEventsFromBeforePublish: an event still queued when a flow goes live does not
// start it; one from after does.
func TestDispatchSkipsEventsFromBeforePublish(t *testing.T) {
	f := newFixture(t)
	id := f.flow(flows.Trigger{Type: flows.TriggerConversationOpened})
	before, after := f.contact(), f.contact()
	f.event("conversation.opened", before, map[string]any{"source": "contact"})
	time.Sleep(10 * time.Millisecond)
	_, err := f.d.Pool.Exec(f.ctx, `UPDATE flows SET live_since = clock_timestamp() WHERE id = $1`, id)
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond)
	f.event("conversation.opened", after, map[string]any{"source": "contact"})
	f.dispatchAll()
	runs := f.runs(id)
	require.Len(t, runs, 1)
	require.Equal(t, after, runs[0].ContactID)
	require.Equal(t, 0, f.queued())
}

// TestDispatchDepth: an event written by a run's step enrolls with that run as parent, one level
// deeper; beyond MaxDepth nothing is enrolled.
func TestDispatchDepth(t *testing.T) {
	f := newFixture(t)
	id := f.flow(flows.Trigger{Type: flows.TriggerContactTagUpdated, ContactTagUpdated: &flows.ContactTagUpdatedTrigger{Action: "added", Tags: []string{"x"}}})
	other := f.flow(flows.Trigger{Type: flows.TriggerManual})
	parentAt := func(depth int) int64 {
		c := f.contact()
		return f.id(`INSERT INTO flow_runs (workspace_id, flow_id, version, contact_id, trigger_type, origin_key, status, depth)
			VALUES ($1, $2, 1, $3, 'manual', $4, 'running', $5) RETURNING id`, f.ws, other, c, fmt.Sprintf("test:%d", depth), depth)
	}
	shallow, deep := parentAt(MaxDepth-1), parentAt(MaxDepth)
	a, b := f.contact(), f.contact()
	f.event("contact.tag_added", a, map[string]any{"tag": "x", "run_id": shallow})
	f.event("contact.tag_added", b, map[string]any{"tag": "x", "run_id": deep})
	f.dispatchAll()
	runs := f.runs(id)
	require.Len(t, runs, 1, "the event of a run at the maximum depth starts nothing")
	require.Equal(t, a, runs[0].ContactID)
	require.Equal(t, int32(MaxDepth), runs[0].Depth)
	require.Equal(t, shallow, *runs[0].ParentRunID)
}
