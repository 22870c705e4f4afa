package workflows

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/activities"
	"github.com/chatcenterhq/chatcenter/flows"
)

const (
	// maxStepsPerRun stops a run that executes this many steps: validation refuses loops that
	// never pause, so only a loop through a Wait or a question gets here, and one that has gone
	// round this often is a mistake, not a conversation.
	maxStepsPerRun = 2000
	// defaultWaitLimit is how long Ask a Question and Assign To wait when no timeout is set
	// (respond.io's default and maximum for Assign To).
	defaultWaitLimit = 7 * 24 * time.Hour
	// maxInvalidAnswers re-asks a question this many times before the failure branch.
	maxInvalidAnswers = 3
	// queueCheckEvery re-reads a queued assignment in case the signal that it was served was
	// lost (the process that assigned it died before signalling).
	queueCheckEvery = 15 * time.Minute
	// flowSendTimeout bounds how long a flow's message may stay undeliverable before the
	// failure branch.
	flowSendTimeout = 10 * time.Minute
)

// FlowRunInput starts a run (RunID) or continues it after continue-as-new (State).
type FlowRunInput struct {
	RunID int64
	State *FlowRunState
}

// FlowRunState is what a run carries across continue-as-new; the "flow-run" query returns it.
type FlowRunState struct {
	Step      string
	Variables map[string]string
	// Jumps counts Jump To steps taken, per Jump To step id.
	Jumps map[string]int
	// Steps counts steps executed; Seq numbers side effects (idempotency keys) across the run.
	Steps int
	Seq   int
}

// FlowRunResult is a finished run's outcome.
type FlowRunResult struct {
	Status string
	Step   string
	Error  string
}

// errStepFailed is a step failure with no failure branch: the run ends as failed.
type stepFailure struct{ msg string }

func (e *stepFailure) Error() string { return e.msg }

type flowRun struct {
	in   FlowRunInput
	rc   activities.FlowRunContext
	f    flows.Flow
	st   *FlowRunState
	byID map[string]flows.Step

	answers  workflow.ReceiveChannel
	assigned workflow.ReceiveChannel
}

// FlowRunWorkflow runs one contact's enrollment in a flow: it walks the published version's
// steps from the trigger, one at a time, recording the current step in flow_runs and in the
// run's details. Waiting (Wait, Ask a Question, Assign To's queue) is durable; a stopped run is
// cancelled and cleans up what it was waiting for.
func FlowRunWorkflow(ctx workflow.Context, in FlowRunInput) (FlowRunResult, error) {
	r := &flowRun{in: in, st: in.State,
		answers:  workflow.GetSignalChannel(ctx, SignalFlowAnswer),
		assigned: workflow.GetSignalChannel(ctx, SignalFlowAssigned)}
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "load flow run"), acts.FlowRunLoad, in.RunID).Get(ctx, &r.rc); err != nil {
		return FlowRunResult{}, err
	}
	if r.rc.Ended {
		// Stopped before it started.
		return FlowRunResult{Status: r.rc.Status}, nil
	}
	f, err := flows.Parse(r.rc.Definition)
	if err != nil {
		return r.finish(ctx, "failed", "", "the flow version does not parse: "+err.Error())
	}
	r.f = f
	r.byID = map[string]flows.Step{}
	for _, s := range f.Steps {
		r.byID[s.ID] = s
	}
	if r.st == nil {
		r.st = &FlowRunState{Step: f.Trigger.Next, Variables: r.rc.Variables, Jumps: map[string]int{}}
	}
	if r.st.Variables == nil {
		r.st.Variables = map[string]string{}
	}
	if r.st.Jumps == nil {
		r.st.Jumps = map[string]int{}
	}
	if err := workflow.SetQueryHandler(ctx, QueryFlowRun, func() (FlowRunState, error) { return *r.st, nil }); err != nil {
		return FlowRunResult{}, err
	}

	for r.st.Step != "" {
		if ctx.Err() != nil {
			return r.stopped(ctx)
		}
		if r.st.Steps >= maxStepsPerRun {
			return r.finish(ctx, "failed", r.st.Step, fmt.Sprintf("stopped after %d steps: the flow keeps looping", maxStepsPerRun))
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return FlowRunResult{}, workflow.NewContinueAsNewError(ctx, FlowRunWorkflowName, FlowRunInput{RunID: in.RunID, State: r.st})
		}
		step, ok := r.byID[r.st.Step]
		if !ok {
			return r.finish(ctx, "failed", r.st.Step, fmt.Sprintf("step %q does not exist in version %d", r.st.Step, r.rc.Version))
		}
		r.st.Steps++
		r.details(ctx, step)
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "record current step"), acts.FlowRunStep, activities.FlowStepInput{
			RunID: in.RunID, StepID: step.ID,
		}).Get(ctx, nil); err != nil {
			return FlowRunResult{}, err
		}
		next, err := r.execute(ctx, step)
		if ctx.Err() != nil || temporal.IsCanceledError(err) {
			return r.stopped(ctx)
		}
		var failed *stepFailure
		if errors.As(err, &failed) {
			return r.finish(ctx, "failed", step.ID, stepLabel(step)+": "+failed.msg)
		}
		if err != nil {
			return FlowRunResult{}, err
		}
		r.st.Step = next
	}
	return r.finish(ctx, "completed", "", "")
}

func stepLabel(s flows.Step) string {
	if s.Name != "" {
		return fmt.Sprintf("step %q (%s)", s.Name, s.ID)
	}
	return fmt.Sprintf("step %s", s.ID)
}

// finish records the outcome. A failed run also fails its workflow, so the Temporal UI shows it.
func (r *flowRun) finish(ctx workflow.Context, status, step, msg string) (FlowRunResult, error) {
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "record outcome"), acts.FlowRunFinish, activities.FlowFinishInput{
		RunID: r.in.RunID, Status: status, StepID: step, Error: msg,
	}).Get(ctx, nil)
	if err != nil {
		return FlowRunResult{}, err
	}
	res := FlowRunResult{Status: status, Step: step, Error: msg}
	if status == "failed" {
		return res, temporal.NewNonRetryableApplicationError(msg, "FlowStepFailed", nil)
	}
	return res, nil
}

// stopped cleans up after a cancellation: the question wait, the queued assignment, the record.
func (r *flowRun) stopped(ctx workflow.Context) (FlowRunResult, error) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	err := workflow.ExecuteLocalActivity(dbCtx(dctx, "clean up stopped run"), acts.FlowRunCleanup, activities.FlowCleanupInput{
		RunID: r.in.RunID, WorkspaceID: r.rc.WorkspaceID, WorkflowID: workflow.GetInfo(ctx).WorkflowExecution.ID,
	}).Get(dctx, nil)
	if err != nil {
		return FlowRunResult{}, err
	}
	return FlowRunResult{Status: "stopped", Step: r.st.Step}, temporal.NewCanceledError()
}

// details shows the current step in the Temporal UI.
func (r *flowRun) details(ctx workflow.Context, s flows.Step) {
	var b strings.Builder
	fmt.Fprintf(&b, "**Flow** %q (%d) v%d · run %d\n\n**Contact** %d · workspace %d\n\n", r.rc.FlowName, r.rc.FlowID, r.rc.Version, r.in.RunID, r.rc.ContactID, r.rc.WorkspaceID)
	fmt.Fprintf(&b, "- Current step: %s (%s)\n- Steps run: %d\n", s.ID, s.Type, r.st.Steps)
	if s.Name != "" {
		fmt.Fprintf(&b, "- Step name: %s\n", s.Name)
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// fail is a step failure: the failure branch when the step has one, else the run fails.
func fail(branch, msg string) (string, error) {
	if branch != "" {
		return branch, nil
	}
	return "", &stepFailure{msg}
}

func (r *flowRun) nextSeq() int {
	r.st.Seq++
	return r.st.Seq
}

func (r *flowRun) key(s flows.Step) string {
	return fmt.Sprintf("flow-run-%d-%s-%d", r.in.RunID, s.ID, r.nextSeq())
}

func (r *flowRun) execute(ctx workflow.Context, s flows.Step) (string, error) {
	switch s.Type {
	case flows.StepSendMessage:
		o := s.SendMessage
		content := chatcenter.Content{Type: chatcenter.ContentText, Text: o.Text}
		if o.FileID != nil {
			content = chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &chatcenter.Attachment{Type: chatcenter.AttachmentFile, FileID: *o.FileID, Caption: o.Text}}
		}
		var channelID int64
		if o.ChannelID != nil {
			channelID = *o.ChannelID
		}
		if msg := r.sendWith(ctx, s, channelID, content, o.ChannelContent); msg != "" {
			return fail(o.FailureNext, msg)
		}
		return s.Next, nil
	case flows.StepAskQuestion:
		return r.ask(ctx, s)
	case flows.StepAssignTo:
		return r.assign(ctx, s)
	case flows.StepBranch:
		var snap flows.Snapshot
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "read contact for branch"), acts.FlowSnapshot, activities.FlowSnapshotInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, Variables: r.st.Variables,
		}).Get(ctx, &snap); err != nil {
			return "", err
		}
		next, _ := flows.EvaluateBranch(*s.Branch, snap)
		return next, nil
	case flows.StepUpdateContactTag:
		in := activities.FlowContactInput{WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID}
		if s.UpdateContactTag.Action == "remove" {
			in.RemoveTags = s.UpdateContactTag.Tags
		} else {
			in.AddTags = s.UpdateContactTag.Tags
		}
		return r.updateContact(ctx, s, in)
	case flows.StepUpdateContactField:
		return r.updateContact(ctx, s, activities.FlowContactInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID,
			Fields: map[string]string{s.UpdateContactField.Field: s.UpdateContactField.Value}, Variables: r.st.Variables,
		})
	case flows.StepOpenConversation, flows.StepCloseConversation:
		in := activities.FlowConversationInput{WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID, UpdateID: r.key(s), Open: s.Type == flows.StepOpenConversation}
		if o := s.CloseConversation; o != nil {
			in.Category, in.Summary = o.Category, o.Summary
		}
		var out activities.FlowConversationResult
		if err := workflow.ExecuteActivity(engineCtx(ctx, "open or close the conversation"), acts.FlowConversation, in).Get(ctx, &out); err != nil {
			return fail("", rootMessage(err))
		}
		if out.ConversationID != 0 {
			r.st.Variables["conversation_id"] = strconv.FormatInt(out.ConversationID, 10)
		}
		return s.Next, nil
	case flows.StepAddComment:
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "add comment"), acts.FlowComment, activities.FlowCommentInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, Text: s.AddComment.Text, Variables: r.st.Variables, Key: r.key(s),
		}).Get(ctx, nil); err != nil {
			return fail("", rootMessage(err))
		}
		return s.Next, nil
	case flows.StepJumpTo:
		if r.st.Jumps[s.ID] < s.JumpTo.MaxJumps {
			r.st.Jumps[s.ID]++
			return s.JumpTo.Target, nil
		}
		return s.Next, nil
	case flows.StepWait:
		if err := workflow.Sleep(ctx, time.Duration(s.Wait.Seconds)*time.Second); err != nil {
			return "", err
		}
		return s.Next, nil
	case flows.StepDateTime:
		var ws *flows.BusinessHours
		if s.DateTime.WorkspaceHours {
			if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "read business hours"), acts.FlowBusinessHours, r.rc.WorkspaceID).Get(ctx, &ws); err != nil {
				return "", err
			}
		}
		in, err := flows.InWindow(*s.DateTime, ws, workflow.Now(ctx))
		if err != nil {
			return fail(s.DateTime.FailureNext, err.Error())
		}
		if in {
			return s.Next, nil
		}
		// Outside the window: the failure branch, or the end of the flow when it has none.
		return s.DateTime.FailureNext, nil
	case flows.StepHTTPRequest:
		return r.httpRequest(ctx, s)
	case flows.StepTriggerAnotherFlow:
		var out activities.FlowEnrollResult
		if err := workflow.ExecuteActivity(engineCtx(ctx, "trigger another flow"), acts.FlowEnroll, activities.FlowEnrollInput{
			WorkspaceID: r.rc.WorkspaceID, FlowID: s.TriggerAnotherFlow.FlowID, ContactID: r.rc.ContactID,
			ParentRunID: r.in.RunID, OriginKey: fmt.Sprintf("run:%d:%s:%d", r.in.RunID, s.ID, r.nextSeq()), Variables: r.st.Variables,
		}).Get(ctx, &out); err != nil {
			return fail("", rootMessage(err))
		}
		return s.Next, nil
	case flows.StepPauseChatbot, flows.StepResumeChatbot:
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "set chatbot"), acts.FlowChatbot, activities.FlowChatbotInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, Paused: s.Type == flows.StepPauseChatbot,
		}).Get(ctx, nil); err != nil {
			return fail("", rootMessage(err))
		}
		return s.Next, nil
	}
	return fail("", fmt.Sprintf("unknown step type %q", s.Type))
}

// send stores a message from the flow and hands it to the provider, returning why it failed
// ("" when it was sent).
func (r *flowRun) send(ctx workflow.Context, s flows.Step, channelID int64, content chatcenter.Content) string {
	return r.sendWith(ctx, s, channelID, content, nil)
}

// sendWith is send with per-channel-type contents that replace content on their channel type.
func (r *flowRun) sendWith(ctx workflow.Context, s flows.Step, channelID int64, content chatcenter.Content, perChannel []flows.ChannelContent) string {
	var msg activities.FlowMessageResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "store flow message"), acts.FlowPrepareMessage, activities.FlowMessageInput{
		WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, ChannelID: channelID, Content: content,
		Variables: r.st.Variables, IdempotencyKey: r.key(s), ChannelContent: perChannel,
	}).Get(ctx, &msg)
	if err != nil {
		if temporal.IsCanceledError(err) {
			return ""
		}
		return rootMessage(err)
	}
	ao := workflow.ActivityOptions{
		TaskQueue:              SendTaskQueue(msg.ChannelType),
		StartToCloseTimeout:    time.Minute,
		HeartbeatTimeout:       heartbeatTimeout,
		ScheduleToCloseTimeout: flowSendTimeout,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:                fmt.Sprintf("send flow message %d via %s", msg.MessageID, msg.ChannelType),
	}
	var out activities.SendResult
	err = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), acts.SendMessage, activities.SendInput{
		WorkspaceID: r.rc.WorkspaceID, MessageID: msg.MessageID,
	}).Get(ctx, &out)
	if err != nil {
		if temporal.IsCanceledError(err) {
			return ""
		}
		reason := "could not be delivered: " + rootMessage(err)
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = workflow.ExecuteLocalActivity(dbCtx(dctx, "mark message failed"), acts.MessageMarkFailed, activities.MarkFailedInput{
			WorkspaceID: r.rc.WorkspaceID, MessageID: msg.MessageID, Reason: reason,
		}).Get(dctx, nil)
		return "the message " + reason
	}
	if out.Status == chatcenter.StatusFailed {
		// A permanent refusal (bot blocked, bad recipient): recorded as failed by the send.
		return "the provider refused the message: " + out.Error
	}
	return ""
}

// ask sends a question and waits for a valid answer, re-asking after invalid ones.
func (r *flowRun) ask(ctx workflow.Context, s flows.Step) (string, error) {
	q := *s.AskQuestion
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	register := func() error {
		return workflow.ExecuteLocalActivity(dbCtx(ctx, "wait for the answer"), acts.FlowWaitRegister, activities.FlowWaitInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID, WorkflowID: wfID,
		}).Get(ctx, nil)
	}
	clear := func() {
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		_ = workflow.ExecuteLocalActivity(dbCtx(dctx, "stop waiting"), acts.FlowWaitClear, wfID).Get(dctx, nil)
	}
	// Drop answers meant for an earlier question of this run.
	var stale FlowAnswerSignal
	for r.answers.ReceiveAsync(&stale) {
	}
	// Registered before the question goes out, so an instant answer is not missed.
	if err := register(); err != nil {
		return "", err
	}
	if msg := r.send(ctx, s, 0, questionContent(q, flows.QuestionText(q), true)); msg != "" {
		clear()
		return fail(q.FailureNext, msg)
	}
	limit := defaultWaitLimit
	if q.TimeoutSeconds > 0 {
		limit = time.Duration(q.TimeoutSeconds) * time.Second
	}
	deadline := workflow.Now(ctx).Add(limit)
	invalid := 0
	for {
		var sig FlowAnswerSignal
		got := false
		timedOut := false
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(r.answers, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, &sig); got = true })
		timerCtx, cancelTimer := workflow.WithCancel(ctx)
		sel.AddFuture(workflow.NewTimer(timerCtx, deadline.Sub(workflow.Now(ctx))), func(workflow.Future) { timedOut = true })
		sel.Select(ctx)
		cancelTimer()
		if ctx.Err() != nil {
			clear()
			return "", ctx.Err()
		}
		if timedOut && !got {
			clear()
			// No answer in time: the timeout branch, or the end of the flow.
			return q.TimeoutNext, nil
		}
		var ans flows.Answer
		if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "read the answer"), acts.FlowLoadAnswer, activities.FlowAnswerInput{
			WorkspaceID: r.rc.WorkspaceID, MessageID: sig.MessageID,
		}).Get(ctx, &ans); err != nil {
			return "", err
		}
		r.st.Variables["last_incoming_message"] = ans.Text
		value, ok := flows.ParseAnswer(q, ans)
		if ok {
			if err := r.saveAnswer(ctx, s, q.SaveAs, value); err != nil {
				var failed *stepFailure
				if errors.As(err, &failed) {
					// The contact field refused the answer (an e-mail already taken, say).
					return fail(q.FailureNext, failed.msg)
				}
				return "", err
			}
			return s.Next, nil
		}
		invalid++
		if invalid >= maxInvalidAnswers && q.FailureNext != "" {
			return q.FailureNext, nil
		}
		if err := register(); err != nil {
			return "", err
		}
		if msg := r.send(ctx, s, 0, questionContent(q, flows.Reprompt(q), false)); msg != "" {
			clear()
			return fail(q.FailureNext, msg)
		}
	}
}

// questionContent is the question as a message: choices and ratings as reply buttons (channels
// without buttons get them as a numbered list).
func questionContent(q flows.AskQuestion, text string, first bool) chatcenter.Content {
	c := chatcenter.Content{Type: chatcenter.ContentText, Text: q.Text}
	if !first {
		c.Text = text
	}
	switch q.QuestionType {
	case "multiple_choice":
		for _, ch := range q.Choices {
			c.Buttons = append(c.Buttons, chatcenter.Button{Title: ch, Payload: ch})
		}
	case "rating":
		lo, hi := flows.MinRating, flows.MaxRating
		if q.Min != nil {
			lo = int(*q.Min)
		}
		if q.Max != nil {
			hi = int(*q.Max)
		}
		for i := lo; i <= hi; i++ {
			n := strconv.Itoa(i)
			c.Buttons = append(c.Buttons, chatcenter.Button{Title: strings.Repeat("⭐", i), Payload: n})
		}
	default:
		c.Text = text
	}
	return c
}

func (r *flowRun) saveAnswer(ctx workflow.Context, s flows.Step, to flows.SaveAs, value string) error {
	switch to.Kind {
	case "variable":
		r.st.Variables[to.Name] = value
		return nil
	case "field":
		_, err := r.updateContact(ctx, s, activities.FlowContactInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID, Fields: map[string]string{to.Name: value}, Literal: true,
		})
		return err
	case "tag":
		_, err := r.updateContact(ctx, s, activities.FlowContactInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID, AddTags: []string{value},
		})
		return err
	}
	return nil
}

// updateContact changes tags or fields; an invalid value fails the step.
func (r *flowRun) updateContact(ctx workflow.Context, s flows.Step, in activities.FlowContactInput) (string, error) {
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "update contact"), acts.FlowUpdateContact, in).Get(ctx, nil); err != nil {
		var app *temporal.ApplicationError
		if errors.As(err, &app) && app.NonRetryable() {
			return fail("", app.Message())
		}
		return "", err
	}
	return s.Next, nil
}

// assign runs Assign To: directly for a user or unassign; through the assignment engine for a
// team or the workspace, waiting in its queue when nobody qualifies.
func (r *flowRun) assign(ctx workflow.Context, s flows.Step) (string, error) {
	o := *s.AssignTo
	wfID := workflow.GetInfo(ctx).WorkflowExecution.ID
	in := activities.FlowAssignInput{
		WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, Action: o.Action, Logic: o.Logic,
		OnlyOnline: o.OnlyOnline, UpdateID: r.key(s), Waiter: wfID,
	}
	if o.UserID != nil {
		in.UserID = *o.UserID
	}
	if o.TeamID != nil {
		in.TeamID = *o.TeamID
	}
	if o.MaxOpen != nil {
		in.MaxOpen = *o.MaxOpen
	}
	limit := defaultWaitLimit
	if o.TimeoutSeconds > 0 {
		limit = time.Duration(o.TimeoutSeconds) * time.Second
	}
	in.TimeoutSeconds = int64(limit / time.Second)
	var out activities.FlowAssignResult
	if err := workflow.ExecuteActivity(engineCtx(ctx, "assign"), acts.FlowAssign, in).Get(ctx, &out); err != nil {
		if temporal.IsCanceledError(err) {
			return "", err
		}
		return fail("", rootMessage(err))
	}
	if !out.Queued {
		r.noteAssignee(out.UserID)
		return s.Next, nil
	}
	// Queued: wait until capacity frees and the engine hands the conversation to someone.
	deadline := workflow.Now(ctx).Add(limit)
	check := func(cancel bool) (activities.FlowQueueState, error) {
		var st activities.FlowQueueState
		c := ctx
		if cancel {
			c, _ = workflow.NewDisconnectedContext(ctx)
		}
		err := workflow.ExecuteLocalActivity(dbCtx(c, "check the assignment queue"), acts.FlowAssignCheck, activities.FlowQueueInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, ConversationID: out.ConversationID, Cancel: cancel,
		}).Get(c, &st)
		return st, err
	}
	for {
		wait := min(deadline.Sub(workflow.Now(ctx)), queueCheckEvery)
		var sig FlowAssignedSignal
		ok, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return r.assigned.ReceiveAsync(&sig) })
		if err != nil {
			if temporal.IsCanceledError(err) || ctx.Err() != nil {
				_, _ = check(true)
				return "", ctx.Err()
			}
			return "", err
		}
		if ok && sig.ConversationID == out.ConversationID {
			r.noteAssignee(sig.UserID)
			return s.Next, nil
		}
		expired := !workflow.Now(ctx).Before(deadline)
		st, err := check(expired)
		if err != nil {
			return "", err
		}
		switch st.State {
		case "assigned":
			r.noteAssignee(st.UserID)
			return s.Next, nil
		case "waiting":
			continue
		case "closed":
			// The conversation closed while waiting: nothing left to assign.
			return s.Next, nil
		}
		// Expired (or removed): the timeout branch, or the end of the flow.
		return o.TimeoutNext, nil
	}
}

func (r *flowRun) noteAssignee(userID int64) {
	if userID != 0 {
		r.st.Variables["assignee_id"] = strconv.FormatInt(userID, 10)
	}
}

// httpRequest runs the HTTP Request step: the response status and mapped values become
// variables (or contact fields, for mappings named contact.<field>).
func (r *flowRun) httpRequest(ctx workflow.Context, s flows.Step) (string, error) {
	o := s.HTTPRequest
	ao := workflow.ActivityOptions{
		StartToCloseTimeout: 45 * time.Second,
		HeartbeatTimeout:    heartbeatTimeout,
		// A request is not repeated: the remote side may not be idempotent.
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1},
		Summary:     fmt.Sprintf("HTTP %s (step %s)", o.Method, s.ID),
	}
	var out activities.FlowHTTPResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), acts.FlowHTTP, activities.FlowHTTPInput{
		WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, Step: *o, Variables: r.st.Variables,
	}).Get(ctx, &out)
	if err != nil {
		if temporal.IsCanceledError(err) {
			return "", err
		}
		return fail(o.FailureNext, rootMessage(err))
	}
	if o.StatusVariable != "" && out.Status != 0 {
		// No response (refused, timed out) leaves the status unset rather than "0".
		r.st.Variables[o.StatusVariable] = strconv.Itoa(out.Status)
	}
	fields := map[string]string{}
	for name, v := range out.Values {
		if field, ok := strings.CutPrefix(name, "contact."); ok {
			fields[field] = v
		} else {
			r.st.Variables[name] = v
		}
	}
	if len(fields) > 0 {
		if next, err := r.updateContact(ctx, s, activities.FlowContactInput{
			WorkspaceID: r.rc.WorkspaceID, ContactID: r.rc.ContactID, RunID: r.in.RunID, Fields: fields, Literal: true,
		}); err != nil || next == "" {
			var failed *stepFailure
			if errors.As(err, &failed) {
				return fail(o.FailureNext, failed.msg)
			}
			return next, err
		}
	}
	if out.Err != "" {
		return fail(o.FailureNext, out.Err)
	}
	return s.Next, nil
}

// engineCtx runs activities that talk to the engine or the assignment engine: short, retried
// for a while (the engine may be briefly busy), domain errors fail at once.
func engineCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		HeartbeatTimeout:       heartbeatTimeout,
		ScheduleToCloseTimeout: time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:                summary,
	})
}
