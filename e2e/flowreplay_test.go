package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// flowRunHistory is the saved history of a flow run, replayed by every run of this test.
var flowRunHistory = filepath.Join("..", "workflows", "testdata", "flow_run.json")

// TestFlowRunHistoryReplays runs a representative flow (Conversation Opened → send a message →
// ask a question, re-asked once → branch on the answer → wait → tag) against the real engine,
// then replays the recorded history, and the saved one, with the current interpreter: a change
// that would break runs in flight fails here. With CHATCENTER_UPDATE_HISTORIES=1 it saves the
// history to workflows/testdata first; refresh it only when a change is versioned with
// workflow.GetVersion.
func TestFlowRunHistoryReplays(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	flowID := stepsPublish(b, "Replayed", flows.Flow{
		Trigger: flows.Trigger{Type: flows.TriggerConversationOpened, Next: "hello",
			ConversationOpened: &flows.ConversationOpenedTrigger{Sources: []string{"contact"}}},
		Steps: []flows.Step{
			{ID: "hello", Type: flows.StepSendMessage, Next: "ask", SendMessage: &flows.SendMessage{Text: "Hi {{$contact.first_name}}!"}},
			{ID: "ask", Type: flows.StepAskQuestion, Next: "route", AskQuestion: &flows.AskQuestion{
				Text: "How many seats?", QuestionType: "number", SaveAs: flows.SaveAs{Kind: "variable", Name: "seats"}, TimeoutSeconds: 3600}},
			{ID: "route", Type: flows.StepBranch, Branch: &flows.Branch{
				Paths: []flows.BranchPath{{Match: "all", Next: "pause", Conditions: []flows.Condition{
					{Category: "variable", Field: "seats", Operator: "gt", Value: "10"}}}},
				ElseNext: "tag_small"}},
			{ID: "pause", Type: flows.StepWait, Next: "tag_large", Wait: &flows.Wait{Seconds: 1}},
			{ID: "tag_large", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"large"}}},
			{ID: "tag_small", Type: flows.StepUpdateContactTag, UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"small"}}},
		},
	})

	b.postUpdate(chID, textUpdate(1, 1, "hello"), http.StatusOK)
	conv := b.waitOpenConversation()
	b.eventually("the question", func() bool { return len(b.telegram.callsTo("sendMessage")) == 2 })
	b.postUpdate(chID, textUpdate(2, 2, "a dozen"), http.StatusOK)
	b.eventually("the re-ask", func() bool { return len(b.telegram.callsTo("sendMessage")) == 3 })
	b.postUpdate(chID, textUpdate(3, 3, "12"), http.StatusOK)
	run := stepsWaitRun(b, flowID, "completed")
	require.Nil(t, run.Error)
	ct, err := b.db.ContactGetByID(context.Background(), dbsqlc.ContactGetByIDParams{WorkspaceID: b.owner.WorkspaceID, ID: conv.ContactID})
	require.NoError(t, err)
	require.True(t, slices.Contains(ct.Tags, "large"), "tags %v", ct.Tags)

	ctx := context.Background()
	id := workflows.FlowRunWorkflowID(run.FlowID, run.ContactID, run.ID)
	b.eventually("flow run workflow completed", func() bool {
		desc, err := b.temporal.DescribeWorkflowExecution(ctx, id, "")
		require.NoError(t, err)
		return desc.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
	hist := &historypb.History{}
	it := b.temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	require.Greater(t, len(hist.Events), 20)

	replayer := func() worker.WorkflowReplayer {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(workflows.FlowRunWorkflow, workflow.RegisterOptions{Name: workflows.FlowRunWorkflowName})
		return r
	}
	require.NoError(t, replayer().ReplayWorkflowHistory(nil, hist))

	if os.Getenv("CHATCENTER_UPDATE_HISTORIES") == "1" {
		raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(flowRunHistory, raw, 0o644))
	}
	_, err = os.Stat(flowRunHistory)
	require.NoError(t, err, "no saved flow run history: run once with CHATCENTER_UPDATE_HISTORIES=1")
	require.NoError(t, replayer().ReplayWorkflowHistoryFromJSONFile(nil, flowRunHistory))
}
