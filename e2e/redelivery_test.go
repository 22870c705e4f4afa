package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/workflows"
)

// A webhook stores a message and then signals its conversation workflow. When the signal never
// happens — the API killed between the two, or the engine unreachable until the provider stopped
// redelivering — the redelivery sweep signals the message once it is older than the grace period:
// it reaches the contact's open conversation, or opens one (also after the last one closed and its
// run ended). Messages within the grace period are left to their signal in flight, and a sweep
// finds nothing left to do afterwards.
func TestRedeliveryOfUnsignalledMessages(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 10, "hello"), http.StatusOK)
	first := b.waitOpenConversation()
	b.do("POST", fmt.Sprintf("/api/v1/conversations/%d/close", first.ID), "", map[string]any{"category": "Resolved"}, http.StatusOK, nil)
	b.eventually("run completed", func() bool {
		return b.workflowStatus(first.ContactID) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})

	h := b.temporal.ScheduleClient().GetHandle(ctx, workflows.RedeliveryScheduleID)
	desc, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, []client.ScheduleIntervalSpec{{Every: workflows.RedeliveryInterval}}, desc.Schedule.Spec.Intervals)
	// Only the sweeps this test triggers run: a tick of the clock in between would take the
	// messages first, and the triggered sweep would count none.
	require.NoError(t, h.Pause(ctx, client.SchedulePauseOptions{Note: "test"}))

	// Stored exactly as the webhook stores them, never signalled.
	store := func(sender, messageID, text string) int64 {
		res, err := b.db.IngestInbound(ctx, db.InboundMessage{
			WorkspaceID: b.owner.WorkspaceID, ChannelID: chID, ExternalID: sender + ":" + messageID,
			Content: chatcenter.Content{Type: chatcenter.ContentText, Text: text}, SentAt: time.Now().UTC(),
			Sender: db.InboundSender{ExternalID: sender, FirstName: "Sender " + sender},
		})
		require.NoError(t, err)
		return res.MessageID
	}
	known := store("1111111", "11", "are you there?")
	stranger := store("2222222", "1", "first message from a new contact")
	recent := store("3333333", "1", "stored a moment ago")
	_, err = b.db.Pool.Exec(ctx, `UPDATE messages SET created_at = created_at - interval '5 minutes' WHERE id = ANY($1)`,
		[]int64{known, stranger})
	require.NoError(t, err)

	sweep := func() int {
		d, err := h.Describe(ctx)
		require.NoError(t, err)
		seen := len(d.Info.RecentActions)
		require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL}))
		var run *client.ScheduleWorkflowExecution
		b.eventually("the sweep started", func() bool {
			d, err := h.Describe(ctx)
			require.NoError(t, err)
			if n := len(d.Info.RecentActions); n > seen {
				run = d.Info.RecentActions[n-1].StartWorkflowResult
			}
			return run != nil
		})
		var n int
		require.NoError(t, b.temporal.GetWorkflow(ctx, run.WorkflowID, run.FirstExecutionRunID).Get(ctx, &n))
		return n
	}
	require.Equal(t, 2, sweep(), "the two messages past the grace period")

	b.eventually("both messages in conversations", func() bool {
		return b.message(known).ConversationID != nil && b.message(stranger).ConversationID != nil
	})
	again := *b.message(known).ConversationID
	require.NotEqual(t, first.ID, again, "the known contact's message opened their next conversation")
	conv := b.conversation(again)
	require.Equal(t, chatcenter.ConversationOpen, conv.Status)
	require.Equal(t, first.ContactID, conv.ContactID)
	require.EqualValues(t, 1, conv.IncomingCount)
	newConv := b.conversation(*b.message(stranger).ConversationID)
	require.Equal(t, chatcenter.ConversationOpen, newConv.Status)
	require.Equal(t, chatcenter.SourceContact, newConv.OpenedSource)
	require.Nil(t, b.message(recent).ConversationID, "within the grace period its signal may still be on its way")

	require.Zero(t, sweep(), "nothing left past the grace period")
	require.EqualValues(t, 1, b.conversation(again).IncomingCount, "each message counted once")
}

func (b *bundle) conversation(id int64) chatcenter.Conversation {
	b.t.Helper()
	var c chatcenter.Conversation
	b.do("GET", fmt.Sprintf("/api/v1/conversations/%d", id), "", nil, http.StatusOK, &c)
	return c
}
