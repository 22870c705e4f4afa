package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/flows"
)

const (
	ftRunID      = int64(7)
	ftWorkspace  = int64(1)
	ftContact    = int64(2)
	ftWorkflowID = "flow-run-7"
)

// ftStart is a Monday, 10:00 UTC: every run starts there unless a test moves it.
var ftStart = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// flowCall is one call of a mocked activity: its input, the test clock when it ran and the task
// queue it ran on.
type flowCall struct {
	Name  string
	In    any
	At    time.Time
	Queue string
}

// flowHarness runs FlowRunWorkflow with every activity mocked. Each activity records its calls
// and behaves as the matching field says; a nil field is success with an empty result.
type flowHarness struct {
	t     *testing.T
	env   *testsuite.TestWorkflowEnvironment
	rc    activities.FlowRunContext
	start time.Time

	prepare      func(activities.FlowMessageInput) (activities.FlowMessageResult, error)
	send         func(activities.SendInput) (activities.SendResult, error)
	answer       func(activities.FlowAnswerInput) (flows.Answer, error)
	snapshot     func(activities.FlowSnapshotInput) (flows.Snapshot, error)
	hours        func(int64) (*flows.BusinessHours, error)
	http         func(activities.FlowHTTPInput) (activities.FlowHTTPResult, error)
	update       func(activities.FlowContactInput) (struct{}, error)
	conversation func(activities.FlowConversationInput) (activities.FlowConversationResult, error)
	enroll       func(activities.FlowEnrollInput) (activities.FlowEnrollResult, error)
	assign       func(activities.FlowAssignInput) (activities.FlowAssignResult, error)
	assignCheck  func(activities.FlowQueueInput) (activities.FlowQueueState, error)

	mu    sync.Mutex
	calls []flowCall
}

func newFlowHarness(t *testing.T, f flows.Flow) *flowHarness {
	t.Helper()
	def, err := json.Marshal(f)
	require.NoError(t, err)
	var s testsuite.WorkflowTestSuite
	s.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := s.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute)
	env.RegisterWorkflowWithOptions(FlowRunWorkflow, workflow.RegisterOptions{Name: FlowRunWorkflowName})
	env.RegisterActivity(&activities.Activities{})
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: ftWorkflowID})
	h := &flowHarness{t: t, env: env, start: ftStart, rc: activities.FlowRunContext{
		WorkspaceID: ftWorkspace, FlowID: 3, FlowName: "Test flow", Version: 1, ContactID: ftContact,
		Definition: def, Variables: map[string]string{}, Status: "running",
	}}
	h.prepare = func(activities.FlowMessageInput) (activities.FlowMessageResult, error) {
		return activities.FlowMessageResult{MessageID: 100, ChannelType: chatcenter.ChannelTelegram, ConversationID: 50}, nil
	}
	h.send = func(activities.SendInput) (activities.SendResult, error) {
		return activities.SendResult{Status: chatcenter.StatusSent}, nil
	}

	mockFlowCall(h, acts.FlowRunLoad, "FlowRunLoad", func(int64) (activities.FlowRunContext, error) { return h.rc, nil })
	mockFlowCall(h, acts.FlowRunStep, "FlowRunStep", succeed[activities.FlowStepInput])
	mockFlowCall(h, acts.FlowRunFinish, "FlowRunFinish", succeed[activities.FlowFinishInput])
	mockFlowCall(h, acts.FlowRunCleanup, "FlowRunCleanup", succeed[activities.FlowCleanupInput])
	mockFlowCall(h, acts.FlowPrepareMessage, "FlowPrepareMessage", func(in activities.FlowMessageInput) (activities.FlowMessageResult, error) { return h.prepare(in) })
	mockFlowCall(h, acts.SendMessage, "SendMessage", func(in activities.SendInput) (activities.SendResult, error) { return h.send(in) })
	mockFlowCall(h, acts.MessageMarkFailed, "MessageMarkFailed", succeed[activities.MarkFailedInput])
	mockFlowCall(h, acts.FlowWaitRegister, "FlowWaitRegister", succeed[activities.FlowWaitInput])
	mockFlowCall(h, acts.FlowWaitClear, "FlowWaitClear", succeed[string])
	mockFlowCall(h, acts.FlowLoadAnswer, "FlowLoadAnswer", func(in activities.FlowAnswerInput) (flows.Answer, error) { return call(h.answer, in) })
	mockFlowCall(h, acts.FlowSnapshot, "FlowSnapshot", func(in activities.FlowSnapshotInput) (flows.Snapshot, error) { return call(h.snapshot, in) })
	mockFlowCall(h, acts.FlowBusinessHours, "FlowBusinessHours", func(in int64) (*flows.BusinessHours, error) { return call(h.hours, in) })
	mockFlowCall(h, acts.FlowHTTP, "FlowHTTP", func(in activities.FlowHTTPInput) (activities.FlowHTTPResult, error) { return call(h.http, in) })
	mockFlowCall(h, acts.FlowUpdateContact, "FlowUpdateContact", func(in activities.FlowContactInput) (struct{}, error) { return call(h.update, in) })
	mockFlowCall(h, acts.FlowConversation, "FlowConversation", func(in activities.FlowConversationInput) (activities.FlowConversationResult, error) {
		return call(h.conversation, in)
	})
	mockFlowCall(h, acts.FlowComment, "FlowComment", succeed[activities.FlowCommentInput])
	mockFlowCall(h, acts.FlowChatbot, "FlowChatbot", succeed[activities.FlowChatbotInput])
	mockFlowCall(h, acts.FlowEnroll, "FlowEnroll", func(in activities.FlowEnrollInput) (activities.FlowEnrollResult, error) { return call(h.enroll, in) })
	mockFlowCall(h, acts.FlowAssign, "FlowAssign", func(in activities.FlowAssignInput) (activities.FlowAssignResult, error) { return call(h.assign, in) })
	mockFlowCall(h, acts.FlowAssignCheck, "FlowAssignCheck", func(in activities.FlowQueueInput) (activities.FlowQueueState, error) {
		return call(h.assignCheck, in)
	})
	return h
}

// nil is a behaviour that always succeeds, for activities that return only an error.
func succeed[I any](I) (struct{}, error) { return struct{}{}, error(nil) }

func call[I, O any](f func(I) (O, error), in I) (O, error) {
	if f == nil {
		var zero O
		return zero, nil
	}
	return f(in)
}

// mockFlowCall mocks an activity (local or not) to record its call and answer with behave.
// Activities that return only an error pass a behaviour with an empty result.
func mockFlowCall[I, O any](h *flowHarness, act any, name string, behave func(I) (O, error)) {
	rec := func(ctx context.Context, in I) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.calls = append(h.calls, flowCall{Name: name, In: in, At: h.env.Now().UTC(), Queue: activity.GetInfo(ctx).TaskQueue})
	}
	var zero O
	if _, onlyErr := any(zero).(struct{}); onlyErr {
		h.env.OnActivity(act, mock.Anything, mock.Anything).Return(func(ctx context.Context, in I) error {
			rec(ctx, in)
			_, err := behave(in)
			return err
		})
		return
	}
	h.env.OnActivity(act, mock.Anything, mock.Anything).Return(func(ctx context.Context, in I) (O, error) {
		rec(ctx, in)
		return behave(in)
	})
}

func (h *flowHarness) run() { h.runInput(FlowRunInput{RunID: ftRunID}) }

func (h *flowHarness) runInput(in FlowRunInput) {
	h.t.Helper()
	h.env.SetStartTime(h.start)
	h.env.ExecuteWorkflow(FlowRunWorkflowName, in)
	require.True(h.t, h.env.IsWorkflowCompleted())
}

// of returns the calls of one activity, in order.
func (h *flowHarness) of(name string) []flowCall {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []flowCall
	for _, c := range h.calls {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// inputs returns the inputs of one activity's calls.
func inputs[I any](h *flowHarness, name string) []I {
	var out []I
	for _, c := range h.of(name) {
		out = append(out, c.In.(I))
	}
	return out
}

// steps lists the steps executed, in order.
func (h *flowHarness) steps() []string {
	var out []string
	for _, in := range inputs[activities.FlowStepInput](h, "FlowRunStep") {
		require.Equal(h.t, ftRunID, in.RunID)
		out = append(out, in.StepID)
	}
	return out
}

// stepAt is the test clock when the run entered step id (its only execution).
func (h *flowHarness) stepAt(id string) time.Time {
	h.t.Helper()
	var at []time.Time
	for _, c := range h.of("FlowRunStep") {
		if c.In.(activities.FlowStepInput).StepID == id {
			at = append(at, c.At)
		}
	}
	require.Len(h.t, at, 1, "executions of step %s", id)
	return at[0]
}

// commentVars are the variables the run held when it wrote the comment of step id.
func (h *flowHarness) commentVars(id string) map[string]string {
	h.t.Helper()
	for _, in := range inputs[activities.FlowCommentInput](h, "FlowComment") {
		if strings.HasPrefix(in.Key, "flow-run-7-"+id+"-") {
			return in.Variables
		}
	}
	h.t.Fatalf("no comment from step %s", id)
	return nil
}

// finished is the outcome the run recorded (exactly once).
func (h *flowHarness) finished() activities.FlowFinishInput {
	h.t.Helper()
	fin := inputs[activities.FlowFinishInput](h, "FlowRunFinish")
	require.Len(h.t, fin, 1)
	return fin[0]
}

// completed checks the run completed and returns its result.
func (h *flowHarness) completed() FlowRunResult {
	h.t.Helper()
	require.NoError(h.t, h.env.GetWorkflowError())
	var res FlowRunResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	require.Equal(h.t, "completed", res.Status)
	require.Equal(h.t, activities.FlowFinishInput{RunID: ftRunID, Status: "completed"}, h.finished())
	return res
}

// failedWith checks the run failed at step with exactly msg, in flow_runs and as the workflow's
// error.
func (h *flowHarness) failedWith(step, msg string) {
	h.t.Helper()
	err := h.env.GetWorkflowError()
	require.Error(h.t, err)
	var app *temporal.ApplicationError
	require.True(h.t, errors.As(err, &app), "want an application error, got %v", err)
	require.Equal(h.t, "FlowStepFailed", app.Type())
	require.Equal(h.t, msg, app.Message())
	require.Equal(h.t, activities.FlowFinishInput{RunID: ftRunID, Status: "failed", StepID: step, Error: msg}, h.finished())
}

// state queries the run's state.
func (h *flowHarness) state() FlowRunState {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryFlowRun)
	require.NoError(h.t, err)
	var st FlowRunState
	require.NoError(h.t, v.Get(&st))
	return st
}

func flowOf(first string, steps ...flows.Step) flows.Flow {
	return flows.Flow{Trigger: flows.Trigger{Type: flows.TriggerManual, Next: first}, Steps: steps}
}

// note is an Add Comment step: a marker whose call shows the run reached it, and with which
// variables.
func note(id, next string) flows.Step {
	return flows.Step{ID: id, Type: flows.StepAddComment, Next: next, AddComment: &flows.AddComment{Text: "at " + id}}
}

func sendStep(id, text, next, failure string) flows.Step {
	return flows.Step{ID: id, Type: flows.StepSendMessage, Next: next, SendMessage: &flows.SendMessage{Text: text, FailureNext: failure}}
}

func waitStep(id string, seconds int64, next string) flows.Step {
	return flows.Step{ID: id, Type: flows.StepWait, Next: next, Wait: &flows.Wait{Seconds: seconds}}
}

func i64p(v int64) *int64 { return &v }

func f64p(v float64) *float64 { return &v }

func intp(v int) *int { return &v }

// answers makes FlowLoadAnswer read message id as the given text.
func answers(texts map[int64]string) func(activities.FlowAnswerInput) (flows.Answer, error) {
	return func(in activities.FlowAnswerInput) (flows.Answer, error) {
		text, ok := texts[in.MessageID]
		if !ok {
			return flows.Answer{}, temporal.NewNonRetryableApplicationError("no such message", "ENOTFOUND", nil)
		}
		return flows.Answer{Text: text}, nil
	}
}

func (h *flowHarness) answerAt(d time.Duration, messageID int64) {
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalFlowAnswer, FlowAnswerSignal{MessageID: messageID, ChannelID: 3})
	}, d)
}

func sentTexts(h *flowHarness) []string {
	var out []string
	for _, in := range inputs[activities.FlowMessageInput](h, "FlowPrepareMessage") {
		out = append(out, in.Content.Text)
	}
	return out
}

// --- Send Message ---

func TestFlowSendMessageSentGoesToNext(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello",
		flows.Step{ID: "hello", Type: flows.StepSendMessage, Next: "after", SendMessage: &flows.SendMessage{
			Text: "Hi {{$contact.first_name}}", ChannelID: i64p(9), FailureNext: "oops"}},
		note("after", ""), note("oops", "")))
	h.rc.Variables = map[string]string{"source": "ad"}
	h.run()
	h.completed()
	require.Equal(t, []string{"hello", "after"}, h.steps())

	prep := inputs[activities.FlowMessageInput](h, "FlowPrepareMessage")
	require.Equal(t, []activities.FlowMessageInput{{
		WorkspaceID: ftWorkspace, ContactID: ftContact, ChannelID: 9,
		Content:   chatcenter.Content{Type: chatcenter.ContentText, Text: "Hi {{$contact.first_name}}"},
		Variables: map[string]string{"source": "ad"}, IdempotencyKey: "flow-run-7-hello-1",
	}}, prep)
	sends := h.of("SendMessage")
	require.Len(t, sends, 1)
	require.Equal(t, activities.SendInput{WorkspaceID: ftWorkspace, MessageID: 100}, sends[0].In)
	require.Equal(t, SendTaskQueue(chatcenter.ChannelTelegram), sends[0].Queue, "sent from the channel type's send queue")
	require.Empty(t, h.of("MessageMarkFailed"))
}

func TestFlowSendMessageFileCarriesTextAsCaption(t *testing.T) {
	h := newFlowHarness(t, flowOf("file",
		flows.Step{ID: "file", Type: flows.StepSendMessage, SendMessage: &flows.SendMessage{Text: "Our menu", FileID: i64p(44)}}))
	h.run()
	h.completed()
	prep := inputs[activities.FlowMessageInput](h, "FlowPrepareMessage")
	require.Len(t, prep, 1)
	require.Equal(t, int64(0), prep[0].ChannelID, "no channel: the last interacted one")
	require.Equal(t, chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &chatcenter.Attachment{
		Type: chatcenter.AttachmentFile, FileID: 44, Caption: "Our menu"}}, prep[0].Content)
}

func TestFlowSendMessageFailureBranch(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello", sendStep("hello", "Hi", "after", "oops"), note("after", ""), note("oops", "")))
	h.send = func(activities.SendInput) (activities.SendResult, error) {
		return activities.SendResult{}, temporal.NewNonRetryableApplicationError("Forbidden: bot was blocked by the user", "EPROVIDER", nil)
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"hello", "oops"}, h.steps())
	require.Len(t, h.of("SendMessage"), 1, "a non-retryable failure is not retried")
	require.Equal(t, []activities.MarkFailedInput{{WorkspaceID: ftWorkspace, MessageID: 100,
		Reason: "could not be delivered: Forbidden: bot was blocked by the user"}}, inputs[activities.MarkFailedInput](h, "MessageMarkFailed"))
}

func TestFlowSendMessageFailureWithoutBranchFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello",
		flows.Step{ID: "hello", Name: "Greeting", Type: flows.StepSendMessage, Next: "after", SendMessage: &flows.SendMessage{Text: "Hi"}},
		note("after", "")))
	h.send = func(activities.SendInput) (activities.SendResult, error) {
		return activities.SendResult{}, temporal.NewNonRetryableApplicationError("chat not found", "EPROVIDER", nil)
	}
	h.run()
	h.failedWith("hello", `step "Greeting" (hello): the message could not be delivered: chat not found`)
	require.Equal(t, []string{"hello"}, h.steps())
	require.Len(t, h.of("MessageMarkFailed"), 1)
}

func TestFlowSendMessagePrepareFailureWithoutBranchFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello", sendStep("hello", "Hi", "", "")))
	h.prepare = func(activities.FlowMessageInput) (activities.FlowMessageResult, error) {
		return activities.FlowMessageResult{}, temporal.NewNonRetryableApplicationError("the contact has no conversation to write in", "EINVALID", nil)
	}
	h.run()
	h.failedWith("hello", "step hello: the contact has no conversation to write in")
	require.Empty(t, h.of("SendMessage"))
}

// SendMessage reports a provider's permanent refusal (bot blocked, contact unreachable, channel
// deleted) as a failed status, not as an error: the flow must treat it as a failed send.
func TestFlowSendMessageRefusedByProviderTakesFailureBranch(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello", sendStep("hello", "Hi", "after", "oops"), note("after", ""), note("oops", "")))
	h.send = func(activities.SendInput) (activities.SendResult, error) {
		return activities.SendResult{Status: chatcenter.StatusFailed, Error: "Forbidden: bot was blocked by the user"}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"hello", "oops"}, h.steps(), "a message the provider refused was taken as sent")
}

func TestFlowSendMessageRefusedByProviderFailsRunWithoutBranch(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello", sendStep("hello", "Hi", "after", ""), note("after", "")))
	h.send = func(activities.SendInput) (activities.SendResult, error) {
		return activities.SendResult{Status: chatcenter.StatusFailed, Error: "Forbidden: bot was blocked by the user"}, nil
	}
	h.run()
	require.Equal(t, []string{"hello"}, h.steps(), "a message the provider refused was taken as sent")
	require.ErrorContains(t, h.env.GetWorkflowError(), "bot was blocked by the user")
	fin := h.finished()
	require.Equal(t, "failed", fin.Status)
	require.Equal(t, "hello", fin.StepID)
	require.Contains(t, fin.Error, "bot was blocked by the user")
}

// --- Ask a Question ---

func TestFlowAskQuestionRepromptsThenSavesVariable(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "How many?", QuestionType: "number", Min: f64p(1), Max: f64p(10),
			SaveAs: flows.SaveAs{Kind: "variable", Name: "qty"}, FailureNext: "oops"}},
		note("after", ""), note("oops", "")))
	h.answer = answers(map[int64]string{9: "lots", 10: "7.0"})
	h.answerAt(time.Minute, 9)
	h.answerAt(2*time.Minute, 10)
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "after"}, h.steps())

	q := flows.AskQuestion{QuestionType: "number", Min: f64p(1), Max: f64p(10)}
	require.Equal(t, []string{"How many?", flows.Reprompt(q)}, sentTexts(h))
	keys := []string{}
	for _, in := range inputs[activities.FlowMessageInput](h, "FlowPrepareMessage") {
		keys = append(keys, in.IdempotencyKey)
	}
	require.Equal(t, []string{"flow-run-7-ask-1", "flow-run-7-ask-2"}, keys, "each ask is its own message")
	require.Equal(t, []activities.FlowWaitInput{
		{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID, WorkflowID: ftWorkflowID},
		{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID, WorkflowID: ftWorkflowID},
	}, inputs[activities.FlowWaitInput](h, "FlowWaitRegister"), "registered again before the re-ask")
	require.Equal(t, []activities.FlowAnswerInput{{WorkspaceID: ftWorkspace, MessageID: 9}, {WorkspaceID: ftWorkspace, MessageID: 10}},
		inputs[activities.FlowAnswerInput](h, "FlowLoadAnswer"))
	// Each wait row is taken by the answer that ends it; nothing to clear.
	require.Empty(t, h.of("FlowWaitClear"))

	want := map[string]string{"qty": "7", "last_incoming_message": "7.0"}
	require.Equal(t, want, h.commentVars("after"))
	require.Equal(t, want, h.state().Variables)
	require.Equal(t, ftStart.Add(2*time.Minute), h.stepAt("after"))
	require.Empty(t, h.of("FlowUpdateContact"))
}

func TestFlowAskQuestionSavesAnswerToField(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Your e-mail?", QuestionType: "email", SaveAs: flows.SaveAs{Kind: "field", Name: "email"}}},
		note("after", "")))
	h.answer = answers(map[int64]string{9: " ann@example.com "})
	h.answerAt(time.Minute, 9)
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "after"}, h.steps())
	require.Equal(t, []activities.FlowContactInput{{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID,
		Fields: map[string]string{"email": "ann@example.com"}, Literal: true}},
		inputs[activities.FlowContactInput](h, "FlowUpdateContact"), "the answer is stored as received, never rendered")
}

func TestFlowAskQuestionSavesChoiceAsTag(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Which team?", QuestionType: "multiple_choice", Choices: []string{"Sales", "Support"}, SaveAs: flows.SaveAs{Kind: "tag"}}},
		note("after", "")))
	h.answer = answers(map[int64]string{9: "2"})
	h.answerAt(time.Minute, 9)
	h.run()
	h.completed()
	prep := inputs[activities.FlowMessageInput](h, "FlowPrepareMessage")
	require.Len(t, prep, 1)
	require.Equal(t, chatcenter.Content{Type: chatcenter.ContentText, Text: "Which team?", Buttons: []chatcenter.Button{
		{Title: "Sales", Payload: "Sales"}, {Title: "Support", Payload: "Support"}}}, prep[0].Content)
	require.Equal(t, []activities.FlowContactInput{{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID,
		AddTags: []string{"Support"}}}, inputs[activities.FlowContactInput](h, "FlowUpdateContact"))
}

func TestFlowAskQuestionFieldRejectedFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Phone?", QuestionType: "phone", SaveAs: flows.SaveAs{Kind: "field", Name: "phone"}}},
		note("after", "")))
	h.answer = answers(map[int64]string{9: "+60123456789"})
	h.answerAt(time.Minute, 9)
	h.update = func(activities.FlowContactInput) (struct{}, error) {
		return struct{}{}, temporal.NewNonRetryableApplicationError("another contact already has this phone or e-mail", "ECONFLICT", nil)
	}
	h.run()
	h.failedWith("ask", "step ask: another contact already has this phone or e-mail")
}

func TestFlowAskQuestionTimeout(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Still there?", QuestionType: "text", SaveAs: flows.SaveAs{Kind: "variable", Name: "reply"},
			TimeoutSeconds: 5400, TimeoutNext: "late"}},
		note("after", ""), note("late", "")))
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "late"}, h.steps())
	require.Equal(t, ftStart.Add(5400*time.Second), h.stepAt("late"), "the timeout is timeout_seconds after the question")
	clears := h.of("FlowWaitClear")
	require.Len(t, clears, 1, "an unanswered question stops waiting")
	require.Equal(t, ftWorkflowID, clears[0].In)
	require.Empty(t, h.of("FlowLoadAnswer"))
}

func TestFlowAskQuestionTimeoutNotExtendedByInvalidAnswers(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Rate us", QuestionType: "rating", SaveAs: flows.SaveAs{Kind: "variable", Name: "stars"},
			TimeoutSeconds: 3600, TimeoutNext: "late"}},
		note("after", ""), note("late", "")))
	h.answer = answers(map[int64]string{9: "great"})
	h.answerAt(50*time.Minute, 9)
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "late"}, h.steps())
	require.Equal(t, ftStart.Add(time.Hour), h.stepAt("late"))
	require.Len(t, h.of("FlowPrepareMessage"), 2, "asked, then re-asked once")
}

func TestFlowAskQuestionTimeoutWithoutBranchEndsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Still there?", QuestionType: "text", SaveAs: flows.SaveAs{Kind: "variable", Name: "reply"}, TimeoutSeconds: 60}},
		note("after", "")))
	h.run()
	h.completed()
	require.Equal(t, []string{"ask"}, h.steps())
}

func TestFlowAskQuestionThreeInvalidAnswersTakeFailureBranch(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Your site?", QuestionType: "url", SaveAs: flows.SaveAs{Kind: "variable", Name: "site"}, FailureNext: "oops"}},
		note("after", ""), note("oops", "")))
	h.answer = answers(map[int64]string{9: "no", 10: "nope", 11: "never"})
	h.answerAt(time.Minute, 9)
	h.answerAt(2*time.Minute, 10)
	h.answerAt(3*time.Minute, 11)
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "oops"}, h.steps())
	reprompt := flows.Reprompt(flows.AskQuestion{QuestionType: "url"})
	require.Equal(t, []string{"Your site?", reprompt, reprompt}, sentTexts(h), "asked once and re-asked twice")
	require.Len(t, h.of("FlowWaitRegister"), 3)
	require.Equal(t, "never", h.commentVars("oops")["last_incoming_message"])
	require.NotContains(t, h.commentVars("oops"), "site")
}

func TestFlowAskQuestionWithoutFailureBranchKeepsAsking(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Number?", QuestionType: "number", SaveAs: flows.SaveAs{Kind: "variable", Name: "n"}}},
		note("after", "")))
	h.answer = answers(map[int64]string{9: "a", 10: "b", 11: "c", 12: "d", 13: "42"})
	for i := int64(0); i < 5; i++ {
		h.answerAt(time.Duration(i+1)*time.Minute, 9+i)
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "after"}, h.steps())
	require.Len(t, h.of("FlowPrepareMessage"), 5)
	require.Equal(t, "42", h.commentVars("after")["n"])
}

// An answer signalled before the question (meant for an earlier question) is not this
// question's answer.
func TestFlowAskQuestionDropsEarlierAnswers(t *testing.T) {
	h := newFlowHarness(t, flowOf("pause", waitStep("pause", 60, "ask"),
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Name?", QuestionType: "text", SaveAs: flows.SaveAs{Kind: "variable", Name: "name"}}},
		note("after", "")))
	h.answer = answers(map[int64]string{9: "stale", 10: "Ann"})
	h.answerAt(30*time.Second, 9)
	h.answerAt(2*time.Minute, 10)
	h.run()
	h.completed()
	require.Equal(t, []activities.FlowAnswerInput{{WorkspaceID: ftWorkspace, MessageID: 10}}, inputs[activities.FlowAnswerInput](h, "FlowLoadAnswer"))
	require.Equal(t, "Ann", h.commentVars("after")["name"])
}

func TestFlowAskQuestionSendFailureTakesFailureBranch(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Name?", QuestionType: "text", SaveAs: flows.SaveAs{Kind: "variable", Name: "name"}, FailureNext: "oops"}},
		note("after", ""), note("oops", "")))
	h.send = func(activities.SendInput) (activities.SendResult, error) {
		return activities.SendResult{}, temporal.NewNonRetryableApplicationError("chat not found", "EPROVIDER", nil)
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"ask", "oops"}, h.steps())
	require.Len(t, h.of("FlowWaitClear"), 1, "the wait registered before sending is removed")
}

// --- Assign To ---

func assignStep(o flows.AssignTo, next string) flows.Step {
	return flows.Step{ID: "assign", Type: flows.StepAssignTo, Next: next, AssignTo: &o}
}

func TestFlowAssignToAssignedAtOnce(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign",
		assignStep(flows.AssignTo{Action: "team", TeamID: i64p(4), Logic: "least_open", OnlyOnline: true, TimeoutNext: "late"}, "after"),
		note("after", ""), note("late", "")))
	h.assign = func(activities.FlowAssignInput) (activities.FlowAssignResult, error) {
		return activities.FlowAssignResult{ConversationID: 50, UserID: 8}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"assign", "after"}, h.steps())
	require.Equal(t, []activities.FlowAssignInput{{WorkspaceID: ftWorkspace, ContactID: ftContact, Action: "team", TeamID: 4,
		Logic: "least_open", OnlyOnline: true, TimeoutSeconds: int64(defaultWaitLimit / time.Second),
		UpdateID: "flow-run-7-assign-1", Waiter: ftWorkflowID}}, inputs[activities.FlowAssignInput](h, "FlowAssign"))
	require.Equal(t, "8", h.commentVars("after")["assignee_id"])
	require.Empty(t, h.of("FlowAssignCheck"))
}

func TestFlowAssignToUser(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign", assignStep(flows.AssignTo{Action: "user", UserID: i64p(12), MaxOpen: intp(5)}, "after"), note("after", "")))
	h.assign = func(activities.FlowAssignInput) (activities.FlowAssignResult, error) {
		return activities.FlowAssignResult{ConversationID: 50, UserID: 12}, nil
	}
	h.run()
	h.completed()
	in := inputs[activities.FlowAssignInput](h, "FlowAssign")
	require.Len(t, in, 1)
	require.Equal(t, int64(12), in[0].UserID)
	require.Equal(t, 5, in[0].MaxOpen)
}

func TestFlowAssignToWithoutConversationFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign", assignStep(flows.AssignTo{Action: "workspace"}, "after"), note("after", "")))
	h.assign = func(activities.FlowAssignInput) (activities.FlowAssignResult, error) {
		return activities.FlowAssignResult{}, temporal.NewNonRetryableApplicationError("the contact has no open conversation to assign", "ECONFLICT", nil)
	}
	h.run()
	h.failedWith("assign", "step assign: the contact has no open conversation to assign")
}

func queued(activities.FlowAssignInput) (activities.FlowAssignResult, error) {
	return activities.FlowAssignResult{ConversationID: 50, Queued: true}, nil
}

func TestFlowAssignToQueuedThenAssignedBySignal(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign",
		assignStep(flows.AssignTo{Action: "workspace", TimeoutSeconds: 3600, TimeoutNext: "late"}, "after"),
		note("after", ""), note("late", "")))
	h.assign = queued
	// A signal about another conversation of the contact does not end the wait.
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalFlowAssigned, FlowAssignedSignal{ConversationID: 49, UserID: 3})
	}, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(SignalFlowAssigned, FlowAssignedSignal{ConversationID: 50, UserID: 9})
	}, 20*time.Minute)
	h.assignCheck = func(activities.FlowQueueInput) (activities.FlowQueueState, error) {
		return activities.FlowQueueState{State: "waiting"}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"assign", "after"}, h.steps())
	require.Equal(t, ftStart.Add(20*time.Minute), h.stepAt("after"))
	require.Equal(t, "9", h.commentVars("after")["assignee_id"])
	for _, in := range inputs[activities.FlowQueueInput](h, "FlowAssignCheck") {
		require.False(t, in.Cancel, "nothing withdrawn from the queue")
	}
}

func TestFlowAssignToQueuedTimesOut(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign",
		assignStep(flows.AssignTo{Action: "workspace", TimeoutSeconds: 3600, TimeoutNext: "late"}, "after"),
		note("after", ""), note("late", "")))
	h.assign = queued
	h.assignCheck = func(in activities.FlowQueueInput) (activities.FlowQueueState, error) {
		if in.Cancel {
			return activities.FlowQueueState{State: "expired"}, nil
		}
		return activities.FlowQueueState{State: "waiting"}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"assign", "late"}, h.steps())
	require.Equal(t, ftStart.Add(time.Hour), h.stepAt("late"))
	checks := h.of("FlowAssignCheck")
	var at []time.Duration
	for _, c := range checks {
		require.Equal(t, int64(50), c.In.(activities.FlowQueueInput).ConversationID)
		at = append(at, c.At.Sub(ftStart))
	}
	require.Equal(t, []time.Duration{15 * time.Minute, 30 * time.Minute, 45 * time.Minute, time.Hour}, at)
	last := checks[len(checks)-1].In.(activities.FlowQueueInput)
	require.Equal(t, activities.FlowQueueInput{WorkspaceID: ftWorkspace, ContactID: ftContact, ConversationID: 50, Cancel: true}, last,
		"at the deadline the conversation is withdrawn from the queue")
	for _, c := range checks[:len(checks)-1] {
		require.False(t, c.In.(activities.FlowQueueInput).Cancel)
	}
}

func TestFlowAssignToQueuedCheckFindsAssigned(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign",
		assignStep(flows.AssignTo{Action: "workspace", TimeoutSeconds: 3600, TimeoutNext: "late"}, "after"),
		note("after", ""), note("late", "")))
	h.assign = queued
	h.assignCheck = func(activities.FlowQueueInput) (activities.FlowQueueState, error) {
		return activities.FlowQueueState{State: "assigned", UserID: 11}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"assign", "after"}, h.steps())
	require.Equal(t, ftStart.Add(queueCheckEvery), h.stepAt("after"), "found by the first periodic check")
	require.Equal(t, "11", h.commentVars("after")["assignee_id"])
}

func TestFlowAssignToQueuedConversationClosed(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign",
		assignStep(flows.AssignTo{Action: "workspace", TimeoutNext: "late"}, "after"),
		note("after", ""), note("late", "")))
	h.assign = queued
	h.assignCheck = func(activities.FlowQueueInput) (activities.FlowQueueState, error) {
		return activities.FlowQueueState{State: "closed"}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"assign", "after"}, h.steps())
	require.NotContains(t, h.commentVars("after"), "assignee_id")
}

// --- Branch ---

func TestFlowBranch(t *testing.T) {
	flow := flowOf("route",
		flows.Step{ID: "route", Type: flows.StepBranch, Branch: &flows.Branch{
			Paths: []flows.BranchPath{
				{Name: "VIP", Match: "all", Next: "vip", Conditions: []flows.Condition{{Category: "contact_tag", Operator: "eq", Value: "vip"}}},
				{Name: "Ad", Match: "any", Next: "ad", Conditions: []flows.Condition{
					{Category: "variable", Field: "source", Operator: "eq", Value: "ad"},
					{Category: "contact_field", Field: "city", Operator: "eq", Value: "Paris"}}},
			},
			ElseNext: "other"}},
		note("vip", ""), note("ad", ""), note("other", ""))
	for _, tc := range []struct {
		name string
		snap flows.Snapshot
		vars map[string]string
		want string
	}{
		{"first path", flows.Snapshot{Tags: []string{"new", "vip"}}, nil, "vip"},
		{"second path", flows.Snapshot{Contact: map[string]string{"city": "Paris"}}, nil, "ad"},
		{"variable from the run", flows.Snapshot{}, map[string]string{"source": "ad"}, "ad"},
		{"else", flows.Snapshot{Tags: []string{"new"}, Contact: map[string]string{"city": "Rome"}}, nil, "other"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newFlowHarness(t, flow)
			if tc.vars != nil {
				h.rc.Variables = tc.vars
			}
			h.snapshot = func(in activities.FlowSnapshotInput) (flows.Snapshot, error) {
				s := tc.snap
				s.Variables = in.Variables
				return s, nil
			}
			h.run()
			h.completed()
			require.Equal(t, []string{"route", tc.want}, h.steps())
			snaps := inputs[activities.FlowSnapshotInput](h, "FlowSnapshot")
			require.Len(t, snaps, 1)
			require.Equal(t, ftWorkspace, snaps[0].WorkspaceID)
			require.Equal(t, ftContact, snaps[0].ContactID)
			if tc.vars != nil {
				require.Equal(t, tc.vars, snaps[0].Variables)
			}
		})
	}
}

func TestFlowBranchElseEmptyEndsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("route",
		flows.Step{ID: "route", Type: flows.StepBranch, Branch: &flows.Branch{Paths: []flows.BranchPath{
			{Match: "all", Next: "vip", Conditions: []flows.Condition{{Category: "contact_tag", Operator: "eq", Value: "vip"}}}}}},
		note("vip", "")))
	h.run()
	h.completed()
	require.Equal(t, []string{"route"}, h.steps())
}

// --- Contact updates, conversation, comment, chatbot, another flow ---

func TestFlowUpdateContactTagsAndField(t *testing.T) {
	h := newFlowHarness(t, flowOf("add",
		flows.Step{ID: "add", Type: flows.StepUpdateContactTag, Next: "remove", UpdateContactTag: &flows.UpdateContactTag{Action: "add", Tags: []string{"lead", "hot"}}},
		flows.Step{ID: "remove", Type: flows.StepUpdateContactTag, Next: "field", UpdateContactTag: &flows.UpdateContactTag{Action: "remove", Tags: []string{"cold"}}},
		flows.Step{ID: "field", Type: flows.StepUpdateContactField, Next: "", UpdateContactField: &flows.UpdateContactField{Field: "city", Value: "{{$variable.x}}"}}))
	h.rc.Variables = map[string]string{"x": "Paris"}
	h.run()
	h.completed()
	require.Equal(t, []string{"add", "remove", "field"}, h.steps())
	base := activities.FlowContactInput{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID}
	add, remove, field := base, base, base
	add.AddTags = []string{"lead", "hot"}
	remove.RemoveTags = []string{"cold"}
	field.Fields = map[string]string{"city": "{{$variable.x}}"}
	field.Variables = map[string]string{"x": "Paris"}
	require.Equal(t, []activities.FlowContactInput{add, remove, field}, inputs[activities.FlowContactInput](h, "FlowUpdateContact"),
		"the field value is rendered by the activity with the run's variables")
}

func TestFlowUpdateContactInvalidValueFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("field",
		flows.Step{ID: "field", Name: "Set phone", Type: flows.StepUpdateContactField, Next: "after", UpdateContactField: &flows.UpdateContactField{Field: "phone", Value: "abc"}},
		note("after", "")))
	h.update = func(activities.FlowContactInput) (struct{}, error) {
		return struct{}{}, temporal.NewNonRetryableApplicationError("phone: not a phone number", "EINVALID", nil)
	}
	h.run()
	h.failedWith("field", `step "Set phone" (field): phone: not a phone number`)
}

func TestFlowConversationCommentAndChatbot(t *testing.T) {
	h := newFlowHarness(t, flowOf("open",
		flows.Step{ID: "open", Type: flows.StepOpenConversation, Next: "comment"},
		flows.Step{ID: "comment", Type: flows.StepAddComment, Next: "pause", AddComment: &flows.AddComment{Text: "Opened for {{$variable.conversation_id}} {{@user.5}}"}},
		flows.Step{ID: "pause", Type: flows.StepPauseChatbot, Next: "resume"},
		flows.Step{ID: "resume", Type: flows.StepResumeChatbot, Next: "close"},
		flows.Step{ID: "close", Type: flows.StepCloseConversation, Next: "", CloseConversation: &flows.CloseConversation{Category: "Resolved", Summary: "Done by the flow"}}))
	h.conversation = func(in activities.FlowConversationInput) (activities.FlowConversationResult, error) {
		return activities.FlowConversationResult{ConversationID: 50}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"open", "comment", "pause", "resume", "close"}, h.steps())
	require.Equal(t, []activities.FlowConversationInput{
		{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID, UpdateID: "flow-run-7-open-1", Open: true},
		{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID, UpdateID: "flow-run-7-close-3", Category: "Resolved", Summary: "Done by the flow"},
	}, inputs[activities.FlowConversationInput](h, "FlowConversation"))
	require.Equal(t, []activities.FlowCommentInput{{WorkspaceID: ftWorkspace, ContactID: ftContact,
		Text: "Opened for {{$variable.conversation_id}} {{@user.5}}", Variables: map[string]string{"conversation_id": "50"}, Key: "flow-run-7-comment-2"}},
		inputs[activities.FlowCommentInput](h, "FlowComment"))
	require.Equal(t, []activities.FlowChatbotInput{
		{WorkspaceID: ftWorkspace, ContactID: ftContact, Paused: true},
		{WorkspaceID: ftWorkspace, ContactID: ftContact, Paused: false},
	}, inputs[activities.FlowChatbotInput](h, "FlowChatbot"))
}

func TestFlowCloseConversationFailureFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("close", flows.Step{ID: "close", Type: flows.StepCloseConversation, Next: "after"}, note("after", "")))
	h.conversation = func(activities.FlowConversationInput) (activities.FlowConversationResult, error) {
		return activities.FlowConversationResult{}, temporal.NewNonRetryableApplicationError("the closing note needs a category", "EINVALID", nil)
	}
	h.run()
	h.failedWith("close", "step close: the closing note needs a category")
}

func TestFlowTriggerAnotherFlow(t *testing.T) {
	h := newFlowHarness(t, flowOf("enroll",
		flows.Step{ID: "enroll", Type: flows.StepTriggerAnotherFlow, Next: "again", TriggerAnotherFlow: &flows.TriggerAnotherFlow{FlowID: 42}},
		flows.Step{ID: "again", Type: flows.StepJumpTo, Next: "", JumpTo: &flows.JumpTo{Target: "enroll", MaxJumps: 1}}))
	h.rc.Variables = map[string]string{"order": "A-1"}
	h.enroll = func(in activities.FlowEnrollInput) (activities.FlowEnrollResult, error) {
		return activities.FlowEnrollResult{RunID: 70, Enrolled: true}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"enroll", "again", "enroll", "again"}, h.steps())
	in := inputs[activities.FlowEnrollInput](h, "FlowEnroll")
	require.Len(t, in, 2)
	for i, want := range []string{"run:7:enroll:1", "run:7:enroll:2"} {
		require.Equal(t, activities.FlowEnrollInput{WorkspaceID: ftWorkspace, FlowID: 42, ContactID: ftContact, ParentRunID: ftRunID,
			OriginKey: want, Variables: map[string]string{"order": "A-1"}}, in[i],
			"one origin key per execution of the step, the same on every retry")
	}
}

func TestFlowTriggerAnotherFlowRefusedFailsRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("enroll",
		flows.Step{ID: "enroll", Type: flows.StepTriggerAnotherFlow, TriggerAnotherFlow: &flows.TriggerAnotherFlow{FlowID: 42}}))
	h.enroll = func(activities.FlowEnrollInput) (activities.FlowEnrollResult, error) {
		return activities.FlowEnrollResult{}, temporal.NewNonRetryableApplicationError("flow 42 is not published", "EINVALID", nil)
	}
	h.run()
	h.failedWith("enroll", "step enroll: flow 42 is not published")
}

// --- Jump To, Wait ---

func TestFlowJumpTo(t *testing.T) {
	h := newFlowHarness(t, flowOf("loop",
		note("loop", "pause"),
		waitStep("pause", 10, "jump"),
		flows.Step{ID: "jump", Type: flows.StepJumpTo, Next: "done", JumpTo: &flows.JumpTo{Target: "loop", MaxJumps: 3}},
		note("done", "")))
	h.run()
	h.completed()
	require.Len(t, h.of("FlowComment"), 5, "the target ran once, then once per jump (3), then the step after the jump")
	keys := []string{}
	for _, in := range inputs[activities.FlowCommentInput](h, "FlowComment") {
		keys = append(keys, in.Key)
	}
	require.Equal(t, []string{"flow-run-7-loop-1", "flow-run-7-loop-2", "flow-run-7-loop-3", "flow-run-7-loop-4", "flow-run-7-done-5"}, keys)
	st := h.state()
	require.Equal(t, map[string]int{"jump": 3}, st.Jumps)
	require.Equal(t, 13, st.Steps)
}

func TestFlowWait(t *testing.T) {
	h := newFlowHarness(t, flowOf("before", note("before", "pause"), waitStep("pause", 3725, "after"), note("after", "")))
	h.run()
	h.completed()
	require.Equal(t, 3725*time.Second, h.stepAt("after").Sub(h.stepAt("before")))
}

// --- Date & Time ---

func TestFlowDateTime(t *testing.T) {
	monday := []flows.DayHours{{Day: "monday", From: "09:00", To: "17:00"}}
	parisHours := &flows.BusinessHours{Timezone: "Europe/Paris", Days: map[string][]flows.TimeRange{"monday": {{From: "09:00", To: "17:00"}}}}
	for _, tc := range []struct {
		name    string
		dt      flows.DateTime
		start   time.Time
		hours   *flows.BusinessHours
		want    []string
		wantErr string
	}{
		{name: "inside", dt: flows.DateTime{Mode: "business_hours", Timezone: "UTC", Hours: monday, FailureNext: "closed"},
			start: ftStart, want: []string{"when", "open"}},
		{name: "outside by time zone", dt: flows.DateTime{Mode: "business_hours", Timezone: "Asia/Tokyo", Hours: monday, FailureNext: "closed"},
			start: ftStart, want: []string{"when", "closed"}},
		{name: "outside on a holiday", dt: flows.DateTime{Mode: "business_hours", Timezone: "UTC", Hours: monday, Holidays: []string{"2026-03-02"}, FailureNext: "closed"},
			start: ftStart, want: []string{"when", "closed"}},
		{name: "outside without branch ends", dt: flows.DateTime{Mode: "business_hours", Timezone: "UTC", Hours: monday},
			start: ftStart.Add(8 * time.Hour), want: []string{"when"}},
		{name: "workspace hours inside", dt: flows.DateTime{Mode: "business_hours", WorkspaceHours: true, FailureNext: "closed"},
			start: ftStart, hours: parisHours, want: []string{"when", "open"}},
		{name: "workspace hours outside", dt: flows.DateTime{Mode: "business_hours", WorkspaceHours: true, FailureNext: "closed"},
			start: time.Date(2026, 3, 2, 16, 30, 0, 0, time.UTC), hours: parisHours, want: []string{"when", "closed"}},
		{name: "workspace hours never set", dt: flows.DateTime{Mode: "business_hours", WorkspaceHours: true, FailureNext: "closed"},
			start: ftStart, want: []string{"when", "closed"}},
		{name: "date range inside", dt: flows.DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-03-01T00:00:00", End: "2026-03-03T00:00:00", FailureNext: "closed"},
			start: ftStart, want: []string{"when", "open"}},
		{name: "date range ended", dt: flows.DateTime{Mode: "date_range", Timezone: "UTC", Start: "2026-02-01T00:00:00", End: "2026-03-02T10:00:00", FailureNext: "closed"},
			start: ftStart, want: []string{"when", "closed"}},
		{name: "unusable definition fails", dt: flows.DateTime{Mode: "business_hours", Timezone: "Mars/Olympus", Hours: monday},
			start: ftStart, want: []string{"when"}, wantErr: "step when: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dt := tc.dt
			h := newFlowHarness(t, flowOf("when", flows.Step{ID: "when", Type: flows.StepDateTime, Next: "open", DateTime: &dt}, note("open", ""), note("closed", "")))
			h.start = tc.start
			h.hours = func(int64) (*flows.BusinessHours, error) { return tc.hours, nil }
			h.run()
			if tc.wantErr != "" {
				require.ErrorContains(t, h.env.GetWorkflowError(), tc.wantErr)
				fin := h.finished()
				require.Equal(t, "failed", fin.Status)
				require.Equal(t, "when", fin.StepID)
			} else {
				h.completed()
			}
			require.Equal(t, tc.want, h.steps())
			if tc.dt.WorkspaceHours {
				require.Equal(t, []int64{ftWorkspace}, inputs[int64](h, "FlowBusinessHours"))
			} else {
				require.Empty(t, h.of("FlowBusinessHours"))
			}
		})
	}
}

// --- HTTP Request ---

func httpFlow(failure string) flows.Flow {
	return flowOf("call",
		flows.Step{ID: "call", Type: flows.StepHTTPRequest, Next: "after", HTTPRequest: &flows.HTTPRequest{
			Method: "POST", URL: "https://api.example.com/orders?c={{$contact.id}}", Body: `{"ref":"{{$variable.ref}}"}`,
			ResponseMappings: []flows.ResponseMapping{{JSONPath: "$.id", Variable: "order_id"}, {JSONPath: "$.city", Variable: "contact.city"}},
			StatusVariable:   "http_status", FailureNext: failure}},
		note("after", ""), note("oops", ""))
}

func TestFlowHTTPRequestMapsResponse(t *testing.T) {
	h := newFlowHarness(t, httpFlow("oops"))
	h.rc.Variables = map[string]string{"ref": "r1"}
	h.http = func(activities.FlowHTTPInput) (activities.FlowHTTPResult, error) {
		return activities.FlowHTTPResult{Status: 201, Values: map[string]string{"order_id": "A-1", "contact.city": "Paris"}}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"call", "after"}, h.steps())
	calls := inputs[activities.FlowHTTPInput](h, "FlowHTTP")
	require.Len(t, calls, 1)
	require.Equal(t, map[string]string{"ref": "r1"}, calls[0].Variables)
	require.Equal(t, "POST", calls[0].Step.Method)
	require.Equal(t, map[string]string{"ref": "r1", "http_status": "201", "order_id": "A-1"}, h.commentVars("after"),
		"contact.* mappings are not variables")
	require.Equal(t, []activities.FlowContactInput{{WorkspaceID: ftWorkspace, ContactID: ftContact, RunID: ftRunID,
		Fields: map[string]string{"city": "Paris"}, Literal: true}}, inputs[activities.FlowContactInput](h, "FlowUpdateContact"))
}

func TestFlowHTTPRequestErrorTakesFailureBranch(t *testing.T) {
	h := newFlowHarness(t, httpFlow("oops"))
	h.http = func(activities.FlowHTTPInput) (activities.FlowHTTPResult, error) {
		return activities.FlowHTTPResult{Status: 503, Values: map[string]string{}, Err: "the server answered 503 Service Unavailable"}, nil
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"call", "oops"}, h.steps())
	require.Equal(t, "503", h.commentVars("oops")["http_status"], "the status of a failed answer is kept")
	require.Empty(t, h.of("FlowUpdateContact"))
}

func TestFlowHTTPRequestIsNotRepeated(t *testing.T) {
	h := newFlowHarness(t, httpFlow("oops"))
	h.http = func(activities.FlowHTTPInput) (activities.FlowHTTPResult, error) {
		return activities.FlowHTTPResult{}, errors.New("worker lost its connection")
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"call", "oops"}, h.steps())
	require.Len(t, h.of("FlowHTTP"), 1, "a request is never sent twice")
}

func TestFlowHTTPRequestErrorWithoutBranchFailsRun(t *testing.T) {
	h := newFlowHarness(t, httpFlow(""))
	h.http = func(activities.FlowHTTPInput) (activities.FlowHTTPResult, error) {
		return activities.FlowHTTPResult{Status: 404, Values: map[string]string{}, Err: "the server answered 404 Not Found"}, nil
	}
	h.run()
	h.failedWith("call", "step call: the server answered 404 Not Found")
}

func TestFlowHTTPRequestRejectedFieldTakesFailureBranch(t *testing.T) {
	h := newFlowHarness(t, httpFlow("oops"))
	h.http = func(activities.FlowHTTPInput) (activities.FlowHTTPResult, error) {
		return activities.FlowHTTPResult{Status: 200, Values: map[string]string{"contact.city": "x"}}, nil
	}
	h.update = func(activities.FlowContactInput) (struct{}, error) {
		return struct{}{}, temporal.NewNonRetryableApplicationError("unknown contact field \"city\"", "EINVALID", nil)
	}
	h.run()
	h.completed()
	require.Equal(t, []string{"call", "oops"}, h.steps())
}

// --- Stopping, loading, limits ---

func (h *flowHarness) requireStopped(step string) {
	h.t.Helper()
	err := h.env.GetWorkflowError()
	var canceled *temporal.CanceledError
	require.True(h.t, errors.As(err, &canceled), "want canceled, got %v", err)
	require.Equal(h.t, []activities.FlowCleanupInput{{RunID: ftRunID, WorkspaceID: ftWorkspace, WorkflowID: ftWorkflowID}},
		inputs[activities.FlowCleanupInput](h, "FlowRunCleanup"))
	require.Empty(h.t, h.of("FlowRunFinish"), "a stopped run keeps the outcome the stop recorded")
	require.Equal(h.t, step, h.steps()[len(h.steps())-1])
}

func TestFlowCancelledDuringWait(t *testing.T) {
	h := newFlowHarness(t, flowOf("pause", waitStep("pause", 3600, "after"), note("after", "")))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 10*time.Minute)
	h.run()
	h.requireStopped("pause")
	require.Equal(t, []string{"pause"}, h.steps())
	require.Equal(t, ftStart.Add(10*time.Minute), h.of("FlowRunCleanup")[0].At)
}

func TestFlowCancelledDuringQuestion(t *testing.T) {
	h := newFlowHarness(t, flowOf("ask",
		flows.Step{ID: "ask", Type: flows.StepAskQuestion, Next: "after", AskQuestion: &flows.AskQuestion{
			Text: "Name?", QuestionType: "text", SaveAs: flows.SaveAs{Kind: "variable", Name: "name"}, TimeoutSeconds: 3600, TimeoutNext: "after"}},
		note("after", "")))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 10*time.Minute)
	h.run()
	h.requireStopped("ask")
	require.Len(t, h.of("FlowWaitClear"), 1)
}

func TestFlowCancelledWhileQueued(t *testing.T) {
	h := newFlowHarness(t, flowOf("assign", assignStep(flows.AssignTo{Action: "workspace", TimeoutNext: "after"}, "after"), note("after", "")))
	h.assign = queued
	h.assignCheck = func(activities.FlowQueueInput) (activities.FlowQueueState, error) {
		return activities.FlowQueueState{State: "expired"}, nil
	}
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 5*time.Minute)
	h.run()
	h.requireStopped("assign")
	require.Equal(t, []activities.FlowQueueInput{{WorkspaceID: ftWorkspace, ContactID: ftContact, ConversationID: 50, Cancel: true}},
		inputs[activities.FlowQueueInput](h, "FlowAssignCheck"), "the stopped run leaves the queue")
}

func TestFlowRunEndedBeforeStart(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello", sendStep("hello", "Hi", "", "")))
	h.rc.Ended, h.rc.Status = true, "stopped"
	h.run()
	require.NoError(t, h.env.GetWorkflowError())
	var res FlowRunResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, FlowRunResult{Status: "stopped"}, res)
	require.Empty(t, h.steps())
	require.Empty(t, h.of("FlowPrepareMessage"))
	require.Empty(t, h.of("FlowRunFinish"))
	require.Equal(t, []int64{ftRunID}, inputs[int64](h, "FlowRunLoad"))
}

func TestFlowUnparsableVersionFails(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello"))
	h.rc.Definition = json.RawMessage(`{"trigger":{"type":"manual"},"steps":[],"extra":1}`)
	h.run()
	err := h.env.GetWorkflowError()
	require.ErrorContains(t, err, "the flow version does not parse")
	fin := h.finished()
	require.Equal(t, "failed", fin.Status)
	require.Empty(t, h.steps())
}

func TestFlowMissingStepFails(t *testing.T) {
	h := newFlowHarness(t, flowOf("hello", note("hello", "gone")))
	h.run()
	h.failedWith("gone", `step "gone" does not exist in version 1`)
}

func TestFlowContinuesFromCarriedState(t *testing.T) {
	h := newFlowHarness(t, flowOf("a", note("a", "b"), note("b", "")))
	h.rc.Variables = map[string]string{"ignored": "yes"}
	h.runInput(FlowRunInput{RunID: ftRunID, State: &FlowRunState{Step: "b", Variables: map[string]string{"x": "1"}, Steps: 5, Seq: 3}})
	h.completed()
	require.Equal(t, []string{"b"}, h.steps())
	require.Equal(t, []activities.FlowCommentInput{{WorkspaceID: ftWorkspace, ContactID: ftContact, Text: "at b",
		Variables: map[string]string{"x": "1"}, Key: "flow-run-7-b-4"}}, inputs[activities.FlowCommentInput](h, "FlowComment"))
	require.Equal(t, 6, h.state().Steps)
}

func TestFlowContinueAsNewCarriesState(t *testing.T) {
	h := newFlowHarness(t, flowOf("a", note("a", "pause"), waitStep("pause", 60, "b"), note("b", "")))
	h.rc.Variables = map[string]string{"x": "1"}
	h.env.RegisterDelayedCallback(func() { h.env.SetContinueAsNewSuggested(true) }, 30*time.Second)
	h.run()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "want continue-as-new, got %v", h.env.GetWorkflowError())
	require.Equal(t, FlowRunWorkflowName, can.WorkflowType.Name)
	var next FlowRunInput
	require.NoError(t, converterDecode(can, &next))
	require.Equal(t, FlowRunInput{RunID: ftRunID, State: &FlowRunState{Step: "b", Variables: map[string]string{"x": "1"},
		Jumps: map[string]int{}, Steps: 2, Seq: 1}}, next)
	require.Empty(t, h.of("FlowRunFinish"))
}

func TestFlowMaxStepsPerRun(t *testing.T) {
	h := newFlowHarness(t, flowOf("check",
		flows.Step{ID: "check", Type: flows.StepBranch, Branch: &flows.Branch{Paths: []flows.BranchPath{
			{Match: "all", Next: "done", Conditions: []flows.Condition{{Category: "contact_tag", Operator: "eq", Value: "done"}}}},
			ElseNext: "pause"}},
		waitStep("pause", 1, "check"),
		note("done", "")))
	h.run()
	h.failedWith("check", "stopped after 2000 steps: the flow keeps looping")
	require.Len(t, h.steps(), maxStepsPerRun)
	require.Len(t, h.of("FlowSnapshot"), maxStepsPerRun/2)
	require.Equal(t, ftStart.Add(time.Duration(maxStepsPerRun/2)*time.Second), h.of("FlowRunFinish")[0].At)
}
