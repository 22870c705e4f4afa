package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// frRun is a flow run as the API shows it.
type frRun struct {
	ID          int64             `json:"id"`
	FlowID      int64             `json:"flow_id"`
	ContactID   int64             `json:"contact_id"`
	TriggerType string            `json:"trigger_type"`
	Status      string            `json:"status"`
	CurrentStep *string           `json:"current_step"`
	Error       *string           `json:"error"`
	StartedBy   *int64            `json:"started_by"`
	WorkflowID  string            `json:"workflow_id"`
	Variables   map[string]string `json:"variables"`
}

type frEnroll struct {
	Run      *frRun `json:"run"`
	Enrolled bool   `json:"enrolled"`
}

type frHook struct {
	RunID     *int64 `json:"run_id"`
	Enrolled  bool   `json:"enrolled"`
	ContactID int64  `json:"contact_id"`
}

// frFlow creates a flow and, when publish is set, publishes it.
func frFlow(b *bundle, name string, def flows.Flow, publish bool) int64 {
	b.t.Helper()
	var f flowsView
	b.do("POST", "/api/v1/flows", "", map[string]any{"name": name, "definition": def}, http.StatusCreated, &f)
	if publish {
		b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", f.ID), "", nil, http.StatusOK, nil)
	}
	return f.ID
}

func frContact(b *bundle, body map[string]any) chatcenter.Contact {
	b.t.Helper()
	var ct chatcenter.Contact
	b.do("POST", "/api/v1/contacts", "", body, http.StatusCreated, &ct)
	return ct
}

func frGetRun(b *bundle, flowID, runID int64) frRun {
	b.t.Helper()
	var r frRun
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs/%d", flowID, runID), "", nil, http.StatusOK, &r)
	return r
}

// frWaitRun waits until the run has status (and, when step is set, is at that step).
func frWaitRun(b *bundle, flowID, runID int64, status, step string) frRun {
	b.t.Helper()
	var r frRun
	b.eventually(fmt.Sprintf("run %d %s %s", runID, status, step), func() bool {
		r = frGetRun(b, flowID, runID)
		return r.Status == status && (step == "" || r.CurrentStep != nil && *r.CurrentStep == step)
	})
	return r
}

// frRunEvents lists a run's flow_run.* events in order, the end with its status.
func frRunEvents(b *bundle, runID int64) []string {
	b.t.Helper()
	rows, err := b.db.Pool.Query(context.Background(), `
		SELECT type || coalesce(' ' || (payload->>'status'), '') FROM events
		WHERE type LIKE 'flow_run.%' AND (payload->>'run_id')::bigint = $1 ORDER BY id`, runID)
	require.NoError(b.t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(b.t, err)
	return out
}

func frRuns(b *bundle, flowID int64, query string) list[frRun] {
	b.t.Helper()
	var l list[frRun]
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs%s", flowID, query), "", nil, http.StatusOK, &l)
	return l
}

func frStart(b *bundle, flowID, contactID int64, vars map[string]string, key string, status int) frEnroll {
	b.t.Helper()
	var out frEnroll
	h := map[string]string{"Authorization": "Bearer " + b.token}
	if key != "" {
		h["Idempotency-Key"] = key
	}
	b.request("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), h, map[string]any{"contact_id": contactID, "variables": vars}, status, &out)
	return out
}

// frWorkflowStatus waits for the run's workflow to reach status.
func frWorkflowStatus(b *bundle, runID int64, want enumspb.WorkflowExecutionStatus) {
	b.t.Helper()
	run, err := b.db.FlowRunGetByID(context.Background(), runID)
	require.NoError(b.t, err)
	frWorkflowIDStatus(b, workflows.FlowRunWorkflowID(run.FlowID, run.ContactID, run.ID), want)
}

// frWorkflowIDStatus waits for the workflow to reach status.
func frWorkflowIDStatus(b *bundle, workflowID string, want enumspb.WorkflowExecutionStatus) {
	b.t.Helper()
	b.eventually("workflow "+want.String(), func() bool {
		desc, err := b.temporal.DescribeWorkflowExecution(context.Background(), workflowID, "")
		require.NoError(b.t, err)
		return desc.GetWorkflowExecutionInfo().GetStatus() == want
	})
}

func frGetContact(b *bundle, id int64) chatcenter.Contact {
	b.t.Helper()
	var ct chatcenter.Contact
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d", id), "", nil, http.StatusOK, &ct)
	return ct
}

// frWaitFlow is a manual flow that tags the contact and then waits an hour.
func frWaitFlow() flows.Flow {
	return flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerManual, Next: "tag"}, Steps: []flows.Step{
		{ID: "tag", Type: flows.StepUpdateContactTag, Next: "wait", UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"waiting"}}},
		{ID: "wait", Type: flows.StepWait, Next: "done", Wait: &flows.Wait{Seconds: 3600}},
		{ID: "done", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"waited"}}},
	}}
}

// TestManualTriggerRunCompletes: a manual flow started through the API for a contact tags it,
// sets a field from a variable and comments, then completes; the runs list and the run show it.
func TestManualTriggerRunCompletes(t *testing.T) {
	b := setup(t)
	ct := frContact(b, map[string]any{"first_name": "Ann"})
	def := flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerManual, Next: "tag"}, Steps: []flows.Step{
		{ID: "tag", Type: flows.StepUpdateContactTag, Next: "field", UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"vip"}}},
		{ID: "field", Type: flows.StepUpdateContactField, Next: "note", UpdateContactField: &flows.UpdateContactField{Field: "last_name", Value: "{{$variable.surname}}"}},
		{ID: "note", Type: flows.StepAddComment, AddComment: &flows.AddComment{Text: "VIP from a flow"}},
	}}
	draft := frFlow(b, "Draft only", def, false)
	flowID := frFlow(b, "Make VIP", def, true)

	// A flow that is not published cannot be started; nor can one with another trigger.
	var e flowsErr
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", draft), "", map[string]any{"contact_id": ct.ID}, http.StatusConflict, &e)
	require.Contains(t, e.Error.Message, "not published")
	hookFlow := frFlow(b, "Hook", flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerIncomingWebhook, Next: "note"}, Steps: def.Steps[2:]}, true)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", hookFlow), "", map[string]any{"contact_id": ct.ID}, http.StatusConflict, &e)
	require.Contains(t, e.Error.Message, "incoming_webhook")
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), "", map[string]any{}, http.StatusBadRequest, nil)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), "", map[string]any{"contact_id": 987654321}, http.StatusNotFound, nil)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), "", map[string]any{"contact_id": ct.ID, "variables": map[string]string{"bad name": "x"}}, http.StatusBadRequest, nil)
	require.Empty(t, frRuns(b, flowID, "").Items)

	started := frStart(b, flowID, ct.ID, map[string]string{"surname": "Lee"}, "order-1", http.StatusAccepted)
	require.True(t, started.Enrolled)
	require.NotNil(t, started.Run)
	require.Equal(t, fmt.Sprintf("flow-%d-%d-%d", flowID, ct.ID, started.Run.ID), started.Run.WorkflowID)
	require.Equal(t, "manual", started.Run.TriggerType)
	require.Equal(t, b.owner.ID, *started.Run.StartedBy)
	run := frWaitRun(b, flowID, started.Run.ID, "completed", "")
	require.Equal(t, map[string]string{"surname": "Lee"}, run.Variables)
	require.Nil(t, run.Error)
	frWorkflowStatus(b, run.ID, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
	// The run's start and end are events of the contact (streamed to whoever may see it).
	require.Equal(t, []string{"flow_run.started", "flow_run.ended completed"}, frRunEvents(b, run.ID))

	got := frGetContact(b, ct.ID)
	require.Contains(t, got.Tags, "vip")
	require.Equal(t, "Lee", got.LastName)
	var comments list[struct{ Text string }]
	b.do("GET", fmt.Sprintf("/api/v1/contacts/%d/comments", ct.ID), "", nil, http.StatusOK, &comments)
	require.Len(t, comments.Items, 1)
	require.Equal(t, "VIP from a flow", comments.Items[0].Text)

	// The same Idempotency-Key answers as the first call did and starts nothing.
	again := frStart(b, flowID, ct.ID, map[string]string{"surname": "Other"}, "order-1", http.StatusAccepted)
	require.True(t, again.Enrolled)
	require.Equal(t, started.Run.ID, again.Run.ID)
	other := frContact(b, map[string]any{"first_name": "Bo"})
	b.request("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), map[string]string{"Authorization": "Bearer " + b.token, "Idempotency-Key": "order-1"},
		map[string]any{"contact_id": other.ID}, http.StatusConflict, nil)

	// Without a key, each call is a start of its own: the contact runs the flow again.
	second := frStart(b, flowID, ct.ID, nil, "", http.StatusAccepted)
	require.True(t, second.Enrolled)
	require.NotEqual(t, started.Run.ID, second.Run.ID)
	frWaitRun(b, flowID, second.Run.ID, "completed", "")

	// The list: newest first, filtered, paginated, without variables.
	third := frStart(b, flowID, other.ID, nil, "", http.StatusAccepted)
	frWaitRun(b, flowID, third.Run.ID, "completed", "")
	l := frRuns(b, flowID, "?limit=2")
	require.Len(t, l.Items, 2)
	require.Equal(t, []int64{third.Run.ID, second.Run.ID}, []int64{l.Items[0].ID, l.Items[1].ID})
	require.NotNil(t, l.NextCursor)
	raw := b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), "", nil, http.StatusOK, nil)
	require.NotContains(t, string(raw), "variables")
	require.NotContains(t, string(raw), "Lee")
	l = frRuns(b, flowID, "?limit=2&cursor="+*l.NextCursor)
	require.Len(t, l.Items, 1)
	require.Equal(t, started.Run.ID, l.Items[0].ID)
	l = frRuns(b, flowID, fmt.Sprintf("?contact_id=%d", other.ID))
	require.Len(t, l.Items, 1)
	require.Equal(t, third.Run.ID, l.Items[0].ID)
	require.Len(t, frRuns(b, flowID, "?status=completed").Items, 3)
	require.Empty(t, frRuns(b, flowID, "?status=running").Items)
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs?status=done", flowID), "", nil, http.StatusBadRequest, nil)
	// A run is reached through its own flow only.
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs/%d", draft, started.Run.ID), "", nil, http.StatusNotFound, nil)
	// Stopping a run that ended is a conflict.
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs/%d/stop", flowID, started.Run.ID), "", nil, http.StatusConflict, nil)
}

// TestFlowRunsStop: a run waiting in a Wait step is stopped (its workflow cancelled); a contact
// already in the flow is not enrolled again; stopping or deleting the flow stops its runs.
func TestFlowRunsStop(t *testing.T) {
	b := setup(t)
	flowID := frFlow(b, "Wait an hour", frWaitFlow(), true)
	ann := frContact(b, map[string]any{"first_name": "Ann"})
	bo := frContact(b, map[string]any{"first_name": "Bo"})

	first := frStart(b, flowID, ann.ID, nil, "", http.StatusAccepted)
	frWaitRun(b, flowID, first.Run.ID, "running", "wait")
	require.Contains(t, frGetContact(b, ann.ID).Tags, "waiting")
	// Ann is in the flow: a second start answers her active run, not enrolled.
	dup := frStart(b, flowID, ann.ID, nil, "", http.StatusAccepted)
	require.False(t, dup.Enrolled)
	require.Equal(t, first.Run.ID, dup.Run.ID)
	require.Len(t, frRuns(b, flowID, "").Items, 1)

	other := frFlow(b, "Other", frWaitFlow(), true)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs/%d/stop", other, first.Run.ID), "", nil, http.StatusNotFound, nil)
	var stopped frRun
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs/%d/stop", flowID, first.Run.ID), "", nil, http.StatusOK, &stopped)
	require.Equal(t, "stopped", stopped.Status)
	require.NotNil(t, stopped.Error)
	require.Contains(t, *stopped.Error, "stopped by")
	frWorkflowStatus(b, first.Run.ID, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs/%d/stop", flowID, first.Run.ID), "", nil, http.StatusConflict, nil)
	require.Equal(t, "stopped", frGetRun(b, flowID, first.Run.ID).Status)
	require.Equal(t, []string{"flow_run.started", "flow_run.ended stopped"}, frRunEvents(b, first.Run.ID))
	require.NotContains(t, frGetContact(b, ann.ID).Tags, "waited")

	// Out of the flow, Ann can be enrolled again.
	again := frStart(b, flowID, ann.ID, nil, "", http.StatusAccepted)
	require.True(t, again.Enrolled)
	frWaitRun(b, flowID, again.Run.ID, "running", "wait")
	boRun := frStart(b, flowID, bo.ID, nil, "", http.StatusAccepted)
	frWaitRun(b, flowID, boRun.Run.ID, "running", "wait")

	// Stopping the flow stops both runs.
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/stop", flowID), "", nil, http.StatusOK, nil)
	for _, id := range []int64{again.Run.ID, boRun.Run.ID} {
		require.Equal(t, "stopped", frGetRun(b, flowID, id).Status)
		frWorkflowStatus(b, id, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED)
	}
	require.Empty(t, frRuns(b, flowID, "?status=running").Items)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), "", map[string]any{"contact_id": ann.ID}, http.StatusConflict, nil)

	// Deleting a flow stops its runs before their records go.
	doomed := frStart(b, other, bo.ID, nil, "", http.StatusAccepted)
	frWaitRun(b, other, doomed.Run.ID, "running", "wait")
	b.do("DELETE", fmt.Sprintf("/api/v1/flows/%d", other), "", nil, http.StatusNoContent, nil)
	frWorkflowIDStatus(b, workflows.FlowRunWorkflowID(other, bo.ID, doomed.Run.ID), enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED)
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs/%d", other, doomed.Run.ID), "", nil, http.StatusNotFound, nil)
}

// TestFlowRunsAccess: agents cannot see runs; another workspace's owner gets 404 for them.
func TestFlowRunsAccess(t *testing.T) {
	b := setup(t)
	flowID := frFlow(b, "Wait an hour", frWaitFlow(), true)
	ct := frContact(b, map[string]any{"first_name": "Ann"})
	run := frStart(b, flowID, ct.ID, nil, "", http.StatusAccepted)
	frWaitRun(b, flowID, run.Run.ID, "running", "wait")
	runPath := fmt.Sprintf("/api/v1/flows/%d/runs/%d", flowID, run.Run.ID)

	_, agent := b.inboxUser("agent@runs.example", chatcenter.RoleAgent, "")
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), agent, nil, http.StatusForbidden, nil)
	b.do("GET", runPath, agent, nil, http.StatusForbidden, nil)
	b.do("POST", runPath+"/stop", agent, nil, http.StatusForbidden, nil)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), agent, map[string]any{"contact_id": ct.ID}, http.StatusForbidden, nil)
	_, manager := b.inboxUser("manager@runs.example", chatcenter.RoleManager, "")
	b.do("GET", runPath, manager, nil, http.StatusOK, nil)

	ctx := context.Background()
	ws, err := b.db.WorkspaceInsert(ctx, dbsqlc.WorkspaceInsertParams{Name: "Other", Timezone: "UTC", Language: "en"})
	require.NoError(t, err)
	hash, err := hashForTest("other owner pw")
	require.NoError(t, err)
	_, err = b.db.UserInsert(ctx, dbsqlc.UserInsertParams{WorkspaceID: ws.ID, Email: "owner@other.example", PasswordHash: hash, Name: "Other Owner", Role: "owner"})
	require.NoError(t, err)
	var login struct{ Token string }
	b.request("POST", "/api/v1/auth/login", nil, map[string]any{"email": "owner@other.example", "password": "other owner pw"}, http.StatusOK, &login)
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), login.Token, nil, http.StatusNotFound, nil)
	b.do("GET", runPath, login.Token, nil, http.StatusNotFound, nil)
	b.do("POST", runPath+"/stop", login.Token, nil, http.StatusNotFound, nil)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/runs", flowID), login.Token, map[string]any{"contact_id": ct.ID}, http.StatusNotFound, nil)
	require.Equal(t, "running", frGetRun(b, flowID, run.Run.ID).Status)
}

// TestShortcutRun: an agent runs a shortcut from the inbox; its form's answers are checked
// against the form and become variables the flow uses.
func TestShortcutRun(t *testing.T) {
	b := setup(t)
	b.do("POST", "/api/v1/settings/contact-fields", "", map[string]any{"name": "Order ID", "slug": "order_id", "type": "text"}, http.StatusCreated, nil)
	def := flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerShortcut, Next: "field",
		Shortcut: &flows.ShortcutTrigger{Inputs: []flows.FormInput{
			{Name: "order_id", Label: "Order", Type: "number", Required: true},
			{Name: "email", Label: "Receipt to", Type: "email"},
		}}}, Steps: []flows.Step{
		{ID: "field", Type: flows.StepUpdateContactField, Next: "tag", UpdateContactField: &flows.UpdateContactField{Field: "order_id", Value: "{{$variable.order_id}}"}},
		{ID: "tag", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"refund"}}},
	}}
	flowID := frFlow(b, "Refund", def, true)
	frFlow(b, "Draft shortcut", def, false)
	manual := frFlow(b, "Manual", frWaitFlow(), true)
	ct := frContact(b, map[string]any{"first_name": "Ann"})
	agentUser, agent := b.inboxUser("agent@shortcuts.example", chatcenter.RoleAgent, "")
	_, restricted := b.inboxUser("restricted@shortcuts.example", chatcenter.RoleAgent, `{"restrict_shortcuts":true}`)
	_, mine := b.inboxUser("mine@shortcuts.example", chatcenter.RoleAgent, `{"show_only_mine":true}`)

	var shortcuts list[struct {
		ID     int64             `json:"id"`
		Name   string            `json:"name"`
		Inputs []flows.FormInput `json:"inputs"`
	}]
	b.do("GET", "/api/v1/shortcuts", agent, nil, http.StatusOK, &shortcuts)
	require.Len(t, shortcuts.Items, 1)
	require.Equal(t, flowID, shortcuts.Items[0].ID)
	require.Equal(t, "Refund", shortcuts.Items[0].Name)
	require.Equal(t, def.Trigger.Shortcut.Inputs, shortcuts.Items[0].Inputs)
	b.do("GET", "/api/v1/shortcuts", restricted, nil, http.StatusForbidden, nil)

	path := fmt.Sprintf("/api/v1/contacts/%d/shortcuts/%d", ct.ID, flowID)
	var e flowsErr
	// The required input missing, an input the form does not have, a value of the wrong type:
	// each is refused and nothing runs.
	b.do("POST", path, agent, map[string]any{"inputs": map[string]any{"email": "ann@example.com"}}, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "Order (order_id) is required")
	b.do("POST", path, agent, map[string]any{"inputs": map[string]any{"order_id": 5, "colour": "red"}}, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, `no input "colour"`)
	b.do("POST", path, agent, map[string]any{"inputs": map[string]any{"order_id": "five"}}, http.StatusBadRequest, &e)
	require.Contains(t, e.Error.Message, "not a number")
	b.do("POST", path, agent, map[string]any{"inputs": map[string]any{"order_id": 5, "email": "not an address"}}, http.StatusBadRequest, nil)
	require.Empty(t, frRuns(b, flowID, "").Items)
	// Restricted from shortcuts; a contact the agent may not see; not a shortcut.
	b.do("POST", path, restricted, map[string]any{"inputs": map[string]any{"order_id": 5}}, http.StatusForbidden, nil)
	b.do("POST", path, mine, map[string]any{"inputs": map[string]any{"order_id": 5}}, http.StatusNotFound, nil)
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/shortcuts/%d", ct.ID, manual), agent, map[string]any{"inputs": map[string]any{}}, http.StatusNotFound, nil)
	require.Empty(t, frRuns(b, flowID, "").Items)

	var out frEnroll
	b.do("POST", path, agent, map[string]any{"inputs": map[string]any{"order_id": "1234", "email": " ann@example.com "}}, http.StatusAccepted, &out)
	require.True(t, out.Enrolled)
	require.Equal(t, "shortcut", out.Run.TriggerType)
	require.Equal(t, agentUser.ID, *out.Run.StartedBy)
	run := frWaitRun(b, flowID, out.Run.ID, "completed", "")
	require.Equal(t, map[string]string{"order_id": "1234", "email": "ann@example.com"}, run.Variables)
	got := frGetContact(b, ct.ID)
	require.Equal(t, "1234", got.CustomFields["order_id"])
	require.Contains(t, got.Tags, "refund")

	// A stopped shortcut cannot run and is no longer offered.
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/stop", flowID), "", nil, http.StatusOK, nil)
	b.do("POST", path, agent, map[string]any{"inputs": map[string]any{"order_id": 5}}, http.StatusConflict, nil)
	b.do("GET", "/api/v1/shortcuts", agent, nil, http.StatusOK, &shortcuts)
	require.Empty(t, shortcuts.Items)
}

// TestIncomingWebhookRun: a webhook call creates the contact by phone and runs the flow with the
// body as variables; once per contact holds; bad calls are refused; rotating the URL retires
// the old one; copies of the flow get URLs of their own.
func TestIncomingWebhookRun(t *testing.T) {
	b := setup(t)
	def := flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerIncomingWebhook, TriggerOncePerContact: true, Next: "field"}, Steps: []flows.Step{
		{ID: "field", Type: flows.StepUpdateContactField, Next: "tag", UpdateContactField: &flows.UpdateContactField{Field: "last_name", Value: "{{$variable.order_items_0_sku}}"}},
		{ID: "tag", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"ordered"}}},
	}}
	flowID := frFlow(b, "Orders", def, false)
	var hook struct{ URL string }
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", flowID), "", nil, http.StatusOK, &hook)
	prefix := b.api.URL + "/hooks/flows/"
	require.True(t, strings.HasPrefix(hook.URL, prefix), hook.URL)
	token := strings.TrimPrefix(hook.URL, prefix)
	require.Len(t, token, 43)
	hookPath := "/hooks/flows/" + token
	post := func(path string, headers map[string]string, body any, status int) frHook {
		t.Helper()
		var out frHook
		var decode any
		if status == http.StatusAccepted {
			decode = &out
		}
		b.request("POST", path, headers, body, status, decode)
		return out
	}
	order := map[string]any{"contact": map[string]any{"phone": "+60 12-345 6789", "name": "Ann"},
		"order": map[string]any{"id": 5, "items": []any{map[string]any{"sku": "a-1"}}, "paid": true, "note": nil}}

	// Not published yet.
	post(hookPath, nil, order, http.StatusConflict)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/publish", flowID), "", nil, http.StatusOK, nil)
	var again struct{ URL string }
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", flowID), "", nil, http.StatusOK, &again)
	require.Equal(t, hook.URL, again.URL)
	raw := b.do("GET", fmt.Sprintf("/api/v1/flows/%d", flowID), "", nil, http.StatusOK, nil)
	require.NotContains(t, string(raw), token)

	// Bad calls: unknown token, not an object, no contact, too large.
	post("/hooks/flows/"+strings.Repeat("A", 43), nil, order, http.StatusNotFound)
	post("/hooks/flows/nope", nil, order, http.StatusNotFound)
	post(hookPath, nil, `[1,2]`, http.StatusBadRequest)
	post(hookPath, nil, `"text"`, http.StatusBadRequest)
	post(hookPath, nil, `{"phone":`, http.StatusBadRequest)
	post(hookPath, nil, map[string]any{"order": 1}, http.StatusBadRequest)
	post(hookPath, nil, map[string]any{"phone": "12345"}, http.StatusBadRequest)
	post(hookPath, nil, map[string]any{"phone": "+60123456789", "pad": strings.Repeat("x", 70<<10)}, http.StatusBadRequest)
	require.Empty(t, frRuns(b, flowID, "").Items)
	require.Zero(t, contactsCount(b))

	res := post(hookPath, nil, order, http.StatusAccepted)
	require.True(t, res.Enrolled)
	require.NotNil(t, res.RunID)
	ct := frGetContact(b, res.ContactID)
	require.Equal(t, "Ann", ct.FirstName)
	require.Equal(t, "+60123456789", *ct.Phone)
	run := frWaitRun(b, flowID, *res.RunID, "completed", "")
	require.Equal(t, "incoming_webhook", run.TriggerType)
	require.Equal(t, map[string]string{
		"contact_phone": "+60 12-345 6789", "contact_name": "Ann", "order_id": "5", "order_items_0_sku": "a-1",
		"order_paid": "true", "order_note": "",
	}, run.Variables)
	ct = frGetContact(b, res.ContactID)
	require.Equal(t, "a-1", ct.LastName)
	require.Contains(t, ct.Tags, "ordered")

	// The same contact again (found by phone at the top level): once per contact.
	res2 := post(hookPath, nil, map[string]any{"phone": "+60123456789"}, http.StatusAccepted)
	require.False(t, res2.Enrolled)
	require.Nil(t, res2.RunID)
	require.Equal(t, res.ContactID, res2.ContactID)
	require.Equal(t, 1, contactsCount(b))

	// By e-mail, with an Idempotency-Key: a retry answers the same run.
	key := map[string]string{"Idempotency-Key": "delivery-77"}
	byMail := post(hookPath, key, map[string]any{"email": "bo@example.com", "order": map[string]any{"items": []any{map[string]any{"sku": "b"}}}}, http.StatusAccepted)
	require.True(t, byMail.Enrolled)
	retry := post(hookPath, key, map[string]any{"email": "BO@example.com"}, http.StatusAccepted)
	require.True(t, retry.Enrolled)
	require.Equal(t, *byMail.RunID, *retry.RunID)
	require.Equal(t, byMail.ContactID, retry.ContactID)
	require.Equal(t, "bo@example.com", frGetContact(b, byMail.ContactID).FirstName)
	frWaitRun(b, flowID, *byMail.RunID, "completed", "")
	require.Len(t, frRuns(b, flowID, "").Items, 2)

	// Rotating retires the old URL at once.
	var rotated struct{ URL string }
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/webhook/rotate", flowID), "", nil, http.StatusOK, &rotated)
	require.NotEqual(t, hook.URL, rotated.URL)
	post(hookPath, nil, map[string]any{"email": "cy@example.com"}, http.StatusNotFound)
	newPath := strings.TrimPrefix(rotated.URL, b.api.URL)
	require.True(t, post(newPath, nil, map[string]any{"email": "cy@example.com"}, http.StatusAccepted).Enrolled)

	// A clone and an import are new flows with URLs of their own.
	var clone flowsView
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/clone", flowID), "", nil, http.StatusCreated, &clone)
	var cloneHook struct{ URL string }
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", clone.ID), "", nil, http.StatusOK, &cloneHook)
	require.NotEqual(t, rotated.URL, cloneHook.URL)
	exported := b.do("GET", fmt.Sprintf("/api/v1/flows/%d/export", flowID), "", nil, http.StatusOK, nil)
	require.NotContains(t, string(exported), strings.TrimPrefix(rotated.URL, prefix))
	var imported flowsView
	b.do("POST", "/api/v1/flows/import", "", exported, http.StatusCreated, &imported)
	var importedHook struct{ URL string }
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", imported.ID), "", nil, http.StatusOK, &importedHook)
	require.NotEqual(t, rotated.URL, importedHook.URL)
	require.NotEqual(t, cloneHook.URL, importedHook.URL)
	// The clone is a draft: its URL answers 409 until it is published.
	post(strings.TrimPrefix(cloneHook.URL, b.api.URL), nil, map[string]any{"email": "cy@example.com"}, http.StatusConflict)

	// Stopped: the URL answers 409. Flows without a webhook trigger have no URL; agents see none.
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/stop", flowID), "", nil, http.StatusOK, nil)
	post(newPath, nil, map[string]any{"email": "dee@example.com"}, http.StatusConflict)
	manual := frFlow(b, "Manual", frWaitFlow(), false)
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", manual), "", nil, http.StatusConflict, nil)
	b.do("POST", fmt.Sprintf("/api/v1/flows/%d/webhook/rotate", manual), "", nil, http.StatusConflict, nil)
	_, agent := b.inboxUser("agent@hooks.example", chatcenter.RoleAgent, "")
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", flowID), agent, nil, http.StatusForbidden, nil)
}

// TestIncomingWebhookVariables: how a body becomes variables.
func TestIncomingWebhookVariables(t *testing.T) {
	b := setup(t)
	flowID := frFlow(b, "Vars", flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerIncomingWebhook, Next: "tag"}, Steps: []flows.Step{
		{ID: "tag", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"hooked"}}},
	}}, true)
	var hook struct{ URL string }
	b.do("GET", fmt.Sprintf("/api/v1/flows/%d/webhook", flowID), "", nil, http.StatusOK, &hook)
	body := map[string]any{"email": "vars@example.com", "first-name": "Ann", "long": strings.Repeat("é", 1500),
		strings.Repeat("k", 101): "too long a name", "n": json.Number("12345678901234567890")}
	for i := range 150 {
		body[fmt.Sprintf("z%03d", i)] = i
	}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	var res frHook
	b.request("POST", strings.TrimPrefix(hook.URL, b.api.URL), nil, raw, http.StatusAccepted, &res)
	run := frGetRun(b, flowID, *res.RunID)
	require.Len(t, run.Variables, 100)
	require.Equal(t, "Ann", run.Variables["first_name"])
	require.Equal(t, "12345678901234567890", run.Variables["n"])
	require.Equal(t, strings.Repeat("é", 1000), run.Variables["long"])
	require.NotContains(t, run.Variables, strings.Repeat("k", 101))
	// json.Marshal sorts keys: the first 100 variables in the body's order are kept.
	require.Contains(t, run.Variables, "z000")
	require.NotContains(t, run.Variables, "z149")
}
