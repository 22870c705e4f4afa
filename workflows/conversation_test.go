package workflows

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
)

func newEnv(t *testing.T) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(ConversationWorkflow, workflow.RegisterOptions{Name: ConversationWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	return env
}

func openConv(id int64, assignee *int64) chatcenter.Conversation {
	ch := int64(3)
	return chatcenter.Conversation{ID: id, WorkspaceID: 1, ContactID: 2, ChannelID: &ch, Status: chatcenter.ConversationOpen, AssigneeID: assignee}
}

func closedConv(id int64) chatcenter.Conversation {
	c := openConv(id, nil)
	c.Status = chatcenter.ConversationClosed
	return c
}

func inbound(id int64) InboundSignal {
	return InboundSignal{MessageID: id, ChannelID: 3, ChannelType: chatcenter.ChannelTelegram, ReceivedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// updateCallbacks records the outcome of an update in the test environment.
type updateCallbacks struct {
	t        *testing.T
	rejected error
	err      error
	result   any
	done     bool
}

func (u *updateCallbacks) Accept()                 {}
func (u *updateCallbacks) Reject(err error)        { u.rejected, u.done = err, true }
func (u *updateCallbacks) Complete(r any, e error) { u.result, u.err, u.done = r, e, true }

func TestInboundOpensConversationAndCloseEndsRun(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, activities.InboundAcceptInput{WorkspaceID: 1, ContactID: 2, MessageID: 100}).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil)}, nil).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool {
		return in.ConversationID == 10 && in.Category == "Resolved" && in.Summary == "done" && in.Source == chatcenter.SourceUser
	})).Return(closedConv(10), nil).Once()

	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	var state ConversationState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
	}, 2*time.Second)
	closeCB := &updateCallbacks{t: t}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "close-1", closeCB, CloseRequest{ConversationID: 10, ActorUserID: 5, Category: "Resolved", Summary: "done"})
	}, 3*time.Second)

	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res ConversationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, ConversationResult{ConversationID: 10, Status: chatcenter.ConversationClosed}, res)
	require.Equal(t, int64(10), state.ConversationID)
	require.Equal(t, chatcenter.ConversationOpen, state.Status)
	require.Equal(t, 1, state.IncomingCount)
	require.True(t, closeCB.done)
	require.NoError(t, closeCB.err)
	require.Equal(t, chatcenter.ConversationClosed, closeCB.result.(chatcenter.Conversation).Status)
	env.AssertExpectations(t)
}

func TestRedeliveredSignalIsIgnored(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil)}, nil).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closedConv(10), nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, 3*time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	env.AssertNumberOfCalls(t, "InboundAccept", 1)
}

func TestReplyToUnassignedAssignsReplierAndSends(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil)}, nil)
	seven := int64(7)
	env.OnActivity(acts.ConversationAssign, mock.Anything, activities.AssignInput{WorkspaceID: 1, ConversationID: 10, AssigneeID: 7, ActorUserID: 7}).
		Return(openConv(10, &seven), nil).Once()
	msg := chatcenter.Message{ID: 200, Status: chatcenter.StatusPending}
	env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.MatchedBy(func(in activities.OutboundInput) bool {
		return in.ConversationID == 10 && in.SenderUserID == 7 && in.Content.Text == "hi" && in.IdempotencyKey == "k1"
	})).Return(activities.OutboundResult{Message: msg, Created: true, ChannelType: chatcenter.ChannelTelegram}, nil).Once()
	env.OnActivity(acts.SendMessage, mock.Anything, activities.SendInput{WorkspaceID: 1, MessageID: 200}).
		Return(activities.SendResult{Status: chatcenter.StatusSent}, nil).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closedConv(10), nil)

	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	reply := &updateCallbacks{t: t}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateSendReply, "r1", reply, SendReplyRequest{
			ConversationID: 10, SenderKind: chatcenter.SenderUser, SenderUserID: 7,
			Content: chatcenter.Content{Type: chatcenter.ContentText, Text: "hi"}, IdempotencyKey: "k1",
		})
	}, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, time.Minute)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, reply.err)
	require.Equal(t, int64(200), reply.result.(chatcenter.Message).ID)
	env.AssertExpectations(t)
}

func TestUpdatesRejectedWithoutOpenConversation(t *testing.T) {
	env := newEnv(t)
	reply := &updateCallbacks{t: t}
	wrongID := &updateCallbacks{t: t}
	badNote := &updateCallbacks{t: t}
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil)}, nil)
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closedConv(10), nil)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateSendReply, "r1", reply, SendReplyRequest{ConversationID: 10, Content: chatcenter.Content{Type: "text", Text: "x"}})
	}, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateAssign, "a1", wrongID, AssignRequest{ConversationID: 99, AssigneeID: 1})
		long := make([]rune, 129)
		for i := range long {
			long[i] = 'x'
		}
		env.UpdateWorkflow(UpdateClose, "c0", badNote, CloseRequest{ConversationID: 10, Category: string(long)})
	}, 3*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, 4*time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	for _, cb := range []*updateCallbacks{reply, wrongID, badNote} {
		require.Error(t, cb.rejected)
	}
	require.Equal(t, chatcenter.ECONFLICT, chatcenter.ErrorCode(DomainError(reply.rejected)))
	require.Equal(t, chatcenter.EINVALID, chatcenter.ErrorCode(DomainError(badNote.rejected)))
	env.AssertNotCalled(t, "MessageCreateOutbound", mock.Anything, mock.Anything)
	env.AssertNotCalled(t, "ConversationAssign", mock.Anything, mock.Anything)
}

func TestInboundAfterCloseContinuesAsNewRun(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil)}, nil).Once()
	// The close takes a while; a new message arrives meanwhile.
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).After(5*time.Second).Return(closedConv(10), nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, 2*time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(101)) }, 3*time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "want continue-as-new, got %v", env.GetWorkflowError())
	var next ConversationInput
	require.NoError(t, converterDecode(can, &next))
	require.Len(t, next.Pending, 1)
	require.Equal(t, int64(101), next.Pending[0].MessageID)
	require.NotNil(t, next.State)
	require.Zero(t, next.State.ConversationID, "the next run starts without a conversation")
	require.Contains(t, next.State.Seen, int64(100))
	env.AssertNumberOfCalls(t, "InboundAccept", 1)
}

func TestContinueAsNewWhenSuggestedCarriesState(t *testing.T) {
	env := newEnv(t)
	three := int64(3)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, &three)}, nil)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(SignalInbound, inbound(100))
		env.SignalWorkflow(SignalInbound, inbound(101))
		env.SetContinueAsNewSuggested(true)
	}, time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "want continue-as-new, got %v", env.GetWorkflowError())
	var next ConversationInput
	require.NoError(t, converterDecode(can, &next))
	require.Equal(t, int64(10), next.State.ConversationID)
	require.Equal(t, chatcenter.ConversationOpen, next.State.Status)
	require.Equal(t, int64(3), next.State.AssigneeID)
	require.Equal(t, int64(1), next.WorkspaceID)
	// Whatever was signalled but not handled travels to the next run.
	handled := len(next.State.Seen)
	require.Equal(t, 2, handled+len(next.Pending))
}

func TestSendFailureMarksMessageFailed(t *testing.T) {
	env := newEnv(t)
	two := int64(2)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, &two)}, nil)
	env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.Anything).
		Return(activities.OutboundResult{Message: chatcenter.Message{ID: 200}, Created: true, ChannelType: chatcenter.ChannelCustom}, nil)
	env.OnActivity(acts.SendMessage, mock.Anything, mock.Anything).
		Return(activities.SendResult{}, temporal.NewNonRetryableApplicationError("provider exploded", "Boom", nil))
	env.OnActivity(acts.MessageMarkFailed, mock.Anything, activities.MarkFailedInput{WorkspaceID: 1, MessageID: 200, Reason: "could not be delivered: provider exploded"}).
		Return(nil).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closedConv(10), nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateSendReply, "r", &updateCallbacks{t: t}, SendReplyRequest{ConversationID: 10, SenderKind: chatcenter.SenderUser, SenderUserID: 2,
			Content: chatcenter.Content{Type: "text", Text: "x"}, IdempotencyKey: "k"})
	}, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, time.Minute)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}

func TestIdleRunEnds(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).Return(activities.InboundAcceptResult{Duplicate: true}, nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res ConversationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Zero(t, res.ConversationID)
}

func TestOpenUpdateOpensConversation(t *testing.T) {
	env := newEnv(t)
	conv := openConv(11, nil)
	conv.OpenedSource = chatcenter.SourceUser
	env.OnActivity(acts.ConversationOpen, mock.Anything, activities.OpenInput{WorkspaceID: 1, ContactID: 2, Source: chatcenter.SourceUser, UserID: 4}).
		Return(activities.OpenResult{Opened: true, Conversation: conv}, nil).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closedConv(11), nil)
	open := &updateCallbacks{t: t}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(UpdateOpen, "o", open, OpenRequest{ActorUserID: 4}) }, 0)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 11})
	}, 10*time.Minute)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, open.err)
	require.Equal(t, int64(11), open.result.(chatcenter.Conversation).ID)
	var res ConversationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, int64(11), res.ConversationID)
}

// A provider that keeps failing must not hold up the next conversation: when a message arrives
// after the close, the stuck send is stopped and moves, still pending, to the next run.
func TestStuckSendMovesToNextRunWhenNewMessageArrivesAfterClose(t *testing.T) {
	env := newEnv(t)
	two := int64(2)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, &two)}, nil).Once()
	env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.Anything).
		Return(activities.OutboundResult{Message: chatcenter.Message{ID: 200}, Created: true, ChannelType: chatcenter.ChannelTelegram}, nil)
	env.OnActivity(acts.SendMessage, mock.Anything, mock.Anything).
		Return(activities.SendResult{}, errors.New("provider unreachable"))
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closedConv(10), nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateSendReply, "r", &updateCallbacks{t: t}, SendReplyRequest{ConversationID: 10, SenderKind: chatcenter.SenderUser, SenderUserID: 2,
			Content: chatcenter.Content{Type: "text", Text: "x"}, IdempotencyKey: "k"})
	}, 2*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, 3*time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(101)) }, 5*time.Minute)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(env.GetWorkflowError(), &can), "want continue-as-new, got %v", env.GetWorkflowError())
	var next ConversationInput
	require.NoError(t, converterDecode(can, &next))
	require.Equal(t, []OutboundJob{{MessageID: 200, ChannelType: chatcenter.ChannelTelegram}}, next.State.Outbox)
	require.Len(t, next.Pending, 1)
	require.Zero(t, next.State.ConversationID)
	env.AssertNotCalled(t, "MessageMarkFailed", mock.Anything, mock.Anything)
}

// A new run that inherits an outbox sends it even before any conversation is open.
func TestInheritedOutboxIsSent(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.SendMessage, mock.Anything, activities.SendInput{WorkspaceID: 1, MessageID: 200}).
		Return(activities.SendResult{Status: chatcenter.StatusSent}, nil).Once()
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2,
		State: &ConversationState{Outbox: []OutboundJob{{MessageID: 200, ChannelType: chatcenter.ChannelTelegram}}}})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}
