package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/worker"

	"github.com/chatcenterhq/chatcenter"
	ccworker "github.com/chatcenterhq/chatcenter/worker"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// TestConversationHistoryReplays runs a whole conversation (inbound, reply, unassign, assign, a
// second inbound, close) against the real engine, then replays the recorded history with the
// current workflow code. With CHATCENTER_UPDATE_HISTORIES=1 it also saves them
// to workflows/testdata, where the replay test keeps old histories working after every change.
func TestConversationHistoryReplays(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "hi"), http.StatusOK)
	conv := b.waitOpenConversation()
	base := fmt.Sprintf("/api/v1/conversations/%d", conv.ID)
	var msg chatcenter.Message
	b.do("POST", base+"/messages", "", map[string]any{"type": "text", "text": "Hello"}, http.StatusAccepted, &msg)
	b.eventually("sent", func() bool { return b.message(msg.ID).Status == chatcenter.StatusSent })
	b.do("POST", base+"/unassign", "", nil, http.StatusOK, nil)
	b.do("POST", base+"/assign", "", map[string]any{"user_id": b.owner.ID}, http.StatusOK, nil)
	b.postUpdate(chID, textUpdate(2, 2, "thanks"), http.StatusOK)
	b.eventually("second inbound attached", func() bool { return len(b.messages(conv.ID)) == 3 })
	b.do("POST", base+"/close", "", map[string]any{"category": "Resolved"}, http.StatusOK, nil)
	b.eventually("run completed", func() bool {
		return b.workflowStatus(conv.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})

	ctx := context.Background()
	id := workflows.ConversationWorkflowID(conv.ContactID)
	hist := &historypb.History{}
	it := b.temporal.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		hist.Events = append(hist.Events, ev)
	}
	require.Greater(t, len(hist.Events), 20)

	replayer := worker.NewWorkflowReplayer()
	ccworker.RegisterWorkflows(replayer)
	require.NoError(t, replayer.ReplayWorkflowHistory(nil, hist))

	if os.Getenv("CHATCENTER_UPDATE_HISTORIES") == "1" {
		raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("..", "workflows", "testdata", "conversation_lifecycle.json"), raw, 0o644))
	}
}
