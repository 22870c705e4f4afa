package workflows

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"reflect"
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

// closed is the close activity's result without a satisfaction survey.
func closed(id int64) activities.CloseResult {
	return activities.CloseResult{Conversation: closedConv(id)}
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
	})).Return(closed(10), nil).Once()

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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)
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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)

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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)
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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).After(5*time.Second).Return(closed(10), nil)
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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)
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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(11), nil)
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
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)
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

// agentReply is a human agent's reply, the kind of message that starts the auto-close timer.
func agentReply(key string) SendReplyRequest {
	return SendReplyRequest{ConversationID: 10, SenderKind: chatcenter.SenderUser, SenderUserID: 7,
		Content: chatcenter.Content{Type: chatcenter.ContentText, Text: "anything else?"}, IdempotencyKey: key}
}

// autoCloseEnv is a conversation assigned to agent 7 in a workspace with a one-hour auto-close,
// whose sends succeed; closedAt records when (in workflow time) the conversation was closed and
// sources how.
type autoCloseEnv struct {
	env      *testsuite.TestWorkflowEnvironment
	closedAt time.Time
	sources  []chatcenter.Source
}

func newAutoCloseEnv(t *testing.T) *autoCloseEnv {
	e := &autoCloseEnv{env: newEnv(t)}
	seven := int64(7)
	e.env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, &seven)}, nil)
	next := int64(200)
	e.env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.OutboundInput) (activities.OutboundResult, error) {
			next++
			res := activities.OutboundResult{Message: chatcenter.Message{ID: next}, Created: true, ChannelType: chatcenter.ChannelTelegram}
			if in.SenderKind == chatcenter.SenderUser {
				res.AutoCloseSeconds = 3600
			}
			return res, nil
		})
	e.env.OnActivity(acts.SendMessage, mock.Anything, mock.Anything).Return(activities.SendResult{Status: chatcenter.StatusSent}, nil)
	e.env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.CloseInput) (activities.CloseResult, error) {
			e.closedAt = e.env.Now()
			e.sources = append(e.sources, in.Source)
			return closed(10), nil
		})
	return e
}

func requireSameTime(t *testing.T, want, got time.Time, what string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: want %s, got %s", what, want, got)
}

func (e *autoCloseEnv) reply(t *testing.T, key string, at time.Duration) {
	cb := &updateCallbacks{t: t}
	e.env.RegisterDelayedCallback(func() { e.env.UpdateWorkflow(UpdateSendReply, key, cb, agentReply(key)) }, at)
}

func (e *autoCloseEnv) run(t *testing.T) time.Time {
	start := e.env.Now()
	e.env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.True(t, e.env.IsWorkflowCompleted())
	require.NoError(t, e.env.GetWorkflowError())
	return start
}

func TestAutoCloseClosesAfterSilenceFollowingAgentReply(t *testing.T) {
	e := newAutoCloseEnv(t)
	e.env.RegisterDelayedCallback(func() { e.env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	e.reply(t, "r1", 2*time.Second)
	var state ConversationState
	e.env.RegisterDelayedCallback(func() {
		v, err := e.env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
	}, 10*time.Second)
	start := e.run(t)

	require.Equal(t, []chatcenter.Source{chatcenter.SourceAutoClose}, e.sources)
	requireSameTime(t, start.Add(2*time.Second+time.Hour), e.closedAt, "one hour after the agent's reply")
	requireSameTime(t, start.Add(2*time.Second+time.Hour), state.AutoCloseAt, "deadline in the state")
	var res ConversationResult
	require.NoError(t, e.env.GetWorkflowResult(&res))
	require.Equal(t, chatcenter.ConversationClosed, res.Status)
}

func TestAutoCloseRestartsOnAgentsNextReply(t *testing.T) {
	e := newAutoCloseEnv(t)
	e.env.RegisterDelayedCallback(func() { e.env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	e.reply(t, "r1", 2*time.Second)
	e.reply(t, "r2", 40*time.Minute)
	start := e.run(t)

	require.Equal(t, []chatcenter.Source{chatcenter.SourceAutoClose}, e.sources)
	requireSameTime(t, start.Add(40*time.Minute+time.Hour), e.closedAt, "one hour after the last reply")
}

func TestAutoCloseCancelledByContactReply(t *testing.T) {
	e := newAutoCloseEnv(t)
	e.env.RegisterDelayedCallback(func() { e.env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	e.reply(t, "r1", 2*time.Second)
	e.env.RegisterDelayedCallback(func() { e.env.SignalWorkflow(SignalInbound, inbound(101)) }, 30*time.Minute)
	var state ConversationState
	e.env.RegisterDelayedCallback(func() {
		v, err := e.env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
	}, 2*time.Hour)
	e.env.RegisterDelayedCallback(func() {
		e.env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10, ActorUserID: 7})
	}, 5*time.Hour)
	start := e.run(t)

	require.Equal(t, chatcenter.ConversationOpen, state.Status, "still open an hour after the agent's reply")
	require.True(t, state.AutoCloseAt.IsZero())
	require.Equal(t, []chatcenter.Source{chatcenter.SourceUser}, e.sources, "closed only by the agent")
	requireSameTime(t, start.Add(5*time.Hour), e.closedAt, "closed by the agent")
}

// Messages from flows, broadcasts or the API do not start the timer: the activity reports no
// delay for them, and the workflow only arms it for a human agent's message.
func TestAutoCloseIgnoresNonAgentMessages(t *testing.T) {
	e := newAutoCloseEnv(t)
	e.env.RegisterDelayedCallback(func() { e.env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	e.env.RegisterDelayedCallback(func() {
		r := agentReply("flow")
		r.SenderKind, r.SenderUserID = chatcenter.SenderWorkflow, 0
		e.env.UpdateWorkflow(UpdateSendReply, "flow", &updateCallbacks{t: t}, r)
	}, 2*time.Second)
	e.env.RegisterDelayedCallback(func() {
		e.env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, 48*time.Hour)
	e.run(t)
	require.Equal(t, []chatcenter.Source{chatcenter.SourceUser}, e.sources)
}

// Auto-close turned off after the timer started: the close is refused and the conversation stays
// open.
func TestAutoCloseRefusedKeepsConversationOpen(t *testing.T) {
	env := newEnv(t)
	seven := int64(7)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, &seven)}, nil)
	env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.Anything).
		Return(activities.OutboundResult{Message: chatcenter.Message{ID: 200}, Created: true, ChannelType: chatcenter.ChannelTelegram, AutoCloseSeconds: 3600}, nil)
	env.OnActivity(acts.SendMessage, mock.Anything, mock.Anything).Return(activities.SendResult{Status: chatcenter.StatusSent}, nil)
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Source == chatcenter.SourceAutoClose })).
		Return(activities.CloseResult{}, temporal.NewNonRetryableApplicationError("auto-close is off in this workspace", chatcenter.ECONFLICT, nil)).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Source == chatcenter.SourceUser })).
		Return(closed(10), nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(UpdateSendReply, "r1", &updateCallbacks{t: t}, agentReply("r1")) }, 2*time.Second)
	var state ConversationState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, 3*time.Hour)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, chatcenter.ConversationOpen, state.Status)
	require.True(t, state.AutoCloseAt.IsZero())
	env.AssertExpectations(t)
}

// The deadline survives continue-as-new: the next run closes on time.
func TestAutoCloseDeadlineCarriedAcrossRuns(t *testing.T) {
	env := newEnv(t)
	start := env.Now()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.MatchedBy(func(in activities.CloseInput) bool { return in.Source == chatcenter.SourceAutoClose })).
		Return(closed(10), nil).Once()
	seven := int64(7)
	conv := openConv(10, &seven)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2, State: &ConversationState{
		ConversationID: 10, Status: chatcenter.ConversationOpen, AssigneeID: *conv.AssigneeID, ChannelID: 3,
		AutoCloseAt: start.Add(20 * time.Minute),
	}})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
	require.False(t, env.Now().Before(start.Add(20*time.Minute)))
}

func TestCSATSurveySentAfterClose(t *testing.T) {
	env := newEnv(t)
	seven := int64(7)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, &seven)}, nil)
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).
		Return(activities.CloseResult{Conversation: closedConv(10), CSAT: &activities.CSATPrompt{Question: "How did we do?"}}, nil).Once()
	env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.MatchedBy(func(in activities.OutboundInput) bool {
		want := []chatcenter.Button{{Title: "1", Payload: "csat:1"}, {Title: "2", Payload: "csat:2"}, {Title: "3", Payload: "csat:3"},
			{Title: "4", Payload: "csat:4"}, {Title: "5", Payload: "csat:5"}}
		return in.ConversationID == 10 && in.AllowClosed && in.SenderKind == chatcenter.SenderWorkflow && in.IdempotencyKey != "" &&
			in.Content.Type == chatcenter.ContentText && in.Content.Text == "How did we do?" && reflect.DeepEqual(in.Content.Buttons, want)
	})).Return(activities.OutboundResult{Message: chatcenter.Message{ID: 300, Status: chatcenter.StatusPending}, Created: true, ChannelType: chatcenter.ChannelTelegram}, nil).Once()
	env.OnActivity(acts.SendMessage, mock.Anything, activities.SendInput{WorkspaceID: 1, MessageID: 300}).
		Return(activities.SendResult{Status: chatcenter.StatusSent}, nil).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	closeCB := &updateCallbacks{t: t}
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", closeCB, CloseRequest{ConversationID: 10, ActorUserID: 7})
	}, 2*time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	require.NoError(t, closeCB.err)
	require.Equal(t, chatcenter.ConversationClosed, closeCB.result.(chatcenter.Conversation).Status)
	env.AssertExpectations(t) // the survey was sent before the run ended
}

// A contact's rating of their closed conversation opens nothing: the run acknowledges the button
// press and ends without a conversation.
func TestCSATRatingOpensNoConversation(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Rating: 4, Conversation: closedConv(9)}, nil).Once()
	env.OnActivity(acts.AnswerCallback, mock.Anything, activities.CallbackInput{WorkspaceID: 1, ChannelID: 3, CallbackID: "cbq"}).Return(nil).Once()
	sig := inbound(100)
	sig.CallbackID = "cbq"
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, sig) }, time.Second)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	var res ConversationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Zero(t, res.ConversationID)
	env.AssertExpectations(t)
}

func TestInboundPassedToWaitingFlowRuns(t *testing.T) {
	env := newEnv(t)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil), Waiters: []string{"flow-run-1", "flow-run-2"}}, nil).Once()
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)
	sig := inbound(100)
	answer := FlowAnswerSignal{MessageID: 100, ChannelID: 3, ReceivedAt: sig.ReceivedAt}
	env.OnSignalExternalWorkflow(mock.Anything, "flow-run-1", "", SignalFlowAnswer, answer).Return(nil).Once()
	// The second run ended before the message arrived: not an error.
	env.OnSignalExternalWorkflow(mock.Anything, "flow-run-2", "", SignalFlowAnswer, answer).
		Return(&temporal.UnknownExternalWorkflowExecutionError{}).Once()
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, sig) }, time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, time.Minute)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	env.AssertExpectations(t)
}

// Automatic assignment writes Postgres and signals: the workflow reloads the conversation, so the
// next reply does not take an already assigned conversation.
func TestConversationChangedReloadsConversation(t *testing.T) {
	env := newEnv(t)
	five := int64(5)
	env.OnActivity(acts.InboundAccept, mock.Anything, mock.Anything).
		Return(activities.InboundAcceptResult{Opened: true, Conversation: openConv(10, nil)}, nil).Once()
	env.OnActivity(acts.ConversationGet, mock.Anything, activities.ConversationGetInput{WorkspaceID: 1, ConversationID: 10}).
		Return(openConv(10, &five), nil).Once()
	env.OnActivity(acts.MessageCreateOutbound, mock.Anything, mock.Anything).
		Return(activities.OutboundResult{Message: chatcenter.Message{ID: 200}, Created: true, ChannelType: chatcenter.ChannelTelegram}, nil)
	env.OnActivity(acts.SendMessage, mock.Anything, mock.Anything).Return(activities.SendResult{Status: chatcenter.StatusSent}, nil)
	env.OnActivity(acts.ConversationClose, mock.Anything, mock.Anything).Return(closed(10), nil)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalInbound, inbound(100)) }, time.Second)
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalConversationChanged, nil) }, 2*time.Second)
	var state ConversationState
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryState)
		require.NoError(t, err)
		require.NoError(t, v.Get(&state))
		env.UpdateWorkflow(UpdateSendReply, "r", &updateCallbacks{t: t}, agentReply("r"))
	}, 3*time.Second)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateClose, "c", &updateCallbacks{t: t}, CloseRequest{ConversationID: 10})
	}, time.Minute)
	env.ExecuteWorkflow(ConversationWorkflowName, ConversationInput{WorkspaceID: 1, ContactID: 2})
	require.NoError(t, env.GetWorkflowError())
	require.Equal(t, int64(5), state.AssigneeID)
	env.AssertNotCalled(t, "ConversationAssign", mock.Anything, mock.Anything)
	env.AssertExpectations(t)
}
