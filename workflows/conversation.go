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
)

// acts names activities; it is never dereferenced.
var acts *activities.Activities

const (
	// seenLimit bounds the ring of handled inbound message ids carried across continue-as-new.
	seenLimit = 200
	// idleTimeout ends a run that was started but has no conversation to look after (a provider
	// redelivering a message whose conversation is long closed, or a refused open).
	idleTimeout = time.Minute
	// sendTimeout is how long a message may stay undeliverable (provider down, rate limited)
	// before it is marked failed.
	sendTimeout = time.Hour
	// heartbeatTimeout is how long an activity attempt that can take a while (a send, an HTTP
	// step, a call into another workflow) may go without a heartbeat — they beat every
	// activities.HeartbeatInterval while they work — before the engine counts it lost with its
	// worker and retries it (or fails it, for steps that are never repeated): a worker restart
	// delays such work by seconds, not by the attempt's whole timeout.
	heartbeatTimeout = 5 * activities.HeartbeatInterval
)

// conversation is the in-memory state of one run.
type conversation struct {
	workspaceID int64
	contactID   int64
	st          *ConversationState
	mu          workflow.Mutex
	pending     []InboundSignal
	sending     bool
	// upserted holds the search attribute values last sent, so unchanged ones are not re-sent.
	upserted map[string]string
	// cancelSend stops the send in flight; handingOff tells the send loop to stop for good.
	cancelSend    workflow.CancelFunc
	handingOff    bool
	openRequested bool
	// changed: the conversation was changed outside the workflow and must be reloaded.
	changed bool
	// autoCloseDue: the auto-close timer fired; the main loop closes the conversation if the
	// deadline still stands.
	autoCloseDue bool
}

// ConversationWorkflow looks after one contact's conversation: it attaches inbound messages
// (opening a conversation when none is open), passes them on to flow runs waiting for an answer,
// sends replies in order, applies agent actions as updates, closes the conversation by itself when
// auto-close is on and the contact stays silent, and sends the satisfaction survey on close. When
// the conversation closes the run ends; the next inbound message starts a new run under the same
// workflow ID.
func ConversationWorkflow(ctx workflow.Context, in ConversationInput) (ConversationResult, error) {
	c := &conversation{workspaceID: in.WorkspaceID, contactID: in.ContactID, st: in.State, mu: workflow.NewMutex(ctx), changed: in.Changed}
	if c.st == nil {
		c.st = &ConversationState{}
	}
	if c.st.LastInboundByChannel == nil {
		c.st.LastInboundByChannel = map[int64]time.Time{}
	}
	c.pending = append(c.pending, in.Pending...)
	if err := c.registerHandlers(ctx); err != nil {
		return ConversationResult{}, err
	}
	inbound := workflow.GetSignalChannel(ctx, SignalInbound)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s InboundSignal
			inbound.Receive(ctx, &s)
			c.pending = append(c.pending, s)
		}
	})
	changed := workflow.GetSignalChannel(ctx, SignalConversationChanged)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			changed.Receive(ctx, nil)
			c.changed = true
		}
	})
	workflow.Go(ctx, c.sendLoop)
	workflow.Go(ctx, c.autoCloseTimer)
	c.setDetails(ctx)

	for {
		ready := func() bool {
			return len(c.pending) > 0 || c.changed || c.autoCloseDue || c.st.Status == chatcenter.ConversationClosed ||
				(c.st.Status == chatcenter.ConversationOpen && workflow.GetInfo(ctx).GetContinueAsNewSuggested())
		}
		if c.st.Status == "" {
			ok, err := workflow.AwaitWithTimeout(ctx, idleTimeout, func() bool { return ready() || c.st.Status != "" })
			if err != nil {
				return ConversationResult{}, err
			}
			if !ok {
				if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
					return ConversationResult{}, err
				}
				if c.st.Status == "" && len(c.pending) == 0 && len(c.st.Outbox) == 0 && !c.sending {
					return ConversationResult{}, nil
				}
				continue
			}
		} else if err := workflow.Await(ctx, ready); err != nil {
			return ConversationResult{}, err
		}
		if c.st.Status == chatcenter.ConversationClosed {
			break
		}
		if len(c.pending) > 0 {
			s := c.pending[0]
			c.pending = c.pending[1:]
			if err := c.handleInbound(ctx, s); err != nil {
				return ConversationResult{}, err
			}
			continue
		}
		if c.changed {
			c.changed = false
			if err := c.reload(ctx); err != nil {
				return ConversationResult{}, err
			}
			continue
		}
		if c.autoCloseDue {
			c.autoCloseDue = false
			if err := c.autoClose(ctx); err != nil {
				return ConversationResult{}, err
			}
			continue
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return ConversationResult{}, c.continueAsNew(ctx, false)
		}
	}

	// Closed: let replies reach the provider, then end. A message that arrives meanwhile belongs
	// to the next conversation: the sends still waiting move with it to the next run rather than
	// hold it up (a provider that is down would otherwise delay the new conversation for as long
	// as the sends retry).
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return ConversationResult{}, err
	}
	if err := workflow.Await(ctx, func() bool {
		return len(c.pending) > 0 || c.openRequested || (len(c.st.Outbox) == 0 && !c.sending)
	}); err != nil {
		return ConversationResult{}, err
	}
	if c.drain(inbound); len(c.pending) > 0 || c.openRequested {
		return ConversationResult{}, c.continueAsNew(ctx, true)
	}
	return ConversationResult{ConversationID: c.st.ConversationID, Status: c.st.Status}, nil
}

// drain moves signals still buffered in the channel into pending: buffered signals are lost when a
// run ends.
func (c *conversation) drain(ch workflow.ReceiveChannel) {
	for {
		var s InboundSignal
		if !ch.ReceiveAsync(&s) {
			return
		}
		c.pending = append(c.pending, s)
	}
}

// continueAsNew starts the next run of this workflow with what must survive: unhandled inbound
// signals, the outbox and (unless fresh, after a close) the conversation state. Handlers finish
// first and the send in flight is stopped cleanly, so nothing is lost or sent twice.
func (c *conversation) continueAsNew(ctx workflow.Context, fresh bool) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	if err := c.handOff(ctx); err != nil {
		return err
	}
	c.drain(workflow.GetSignalChannel(ctx, SignalInbound))
	if workflow.GetSignalChannel(ctx, SignalConversationChanged).ReceiveAsync(nil) {
		c.changed = true
	}
	st, changed := c.st, c.changed
	if fresh {
		// The next run has no conversation yet: there is nothing to reload.
		st, changed = &ConversationState{Seen: c.st.Seen, LastInboundByChannel: c.st.LastInboundByChannel, Outbox: c.st.Outbox}, false
	}
	return workflow.NewContinueAsNewError(ctx, ConversationWorkflowName, ConversationInput{
		WorkspaceID: c.workspaceID, ContactID: c.contactID, State: st, Pending: c.pending, Changed: changed,
	})
}

// handOff stops the send loop. A send in flight is cancelled and waited for: an attempt already
// running on a worker finishes (and records its outcome), a retry waiting for its backoff is
// dropped, and the message stays in the outbox for the next run, which finds it still pending.
func (c *conversation) handOff(ctx workflow.Context) error {
	c.handingOff = true
	if c.sending && c.cancelSend != nil {
		c.cancelSend()
	}
	return workflow.Await(ctx, func() bool { return !c.sending })
}

func (c *conversation) handleInbound(ctx workflow.Context, s InboundSignal) error {
	if c.seen(s.MessageID) {
		return nil
	}
	if err := c.mu.Lock(ctx); err != nil {
		return err
	}
	defer c.mu.Unlock()
	if c.st.Status == chatcenter.ConversationClosed {
		// Closed while we waited for the lock: the message opens the next conversation.
		c.pending = append([]InboundSignal{s}, c.pending...)
		return nil
	}
	var res activities.InboundAcceptResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "attach inbound message"), acts.InboundAccept, activities.InboundAcceptInput{
		WorkspaceID: c.workspaceID, ContactID: c.contactID, MessageID: s.MessageID,
	}).Get(ctx, &res)
	if err != nil {
		// Only non-retryable failures get here (the message does not exist or is not this
		// contact's): nothing can be done with the signal but to record it.
		workflow.GetLogger(ctx).Error("inbound message rejected", "messageID", s.MessageID, "error", err)
		c.markSeen(s.MessageID)
		return nil
	}
	c.markSeen(s.MessageID)
	if res.Duplicate {
		return nil
	}
	if res.Rating != 0 {
		// The contact answered the survey of their closed conversation: the rating is stored and
		// nothing was opened, so this run has no conversation to look after.
		c.answerCallback(ctx, s)
		return nil
	}
	c.apply(res.Conversation)
	// The contact replied: auto-close waits for the team's next message.
	c.st.AutoCloseAt = time.Time{}
	c.st.IncomingCount++
	c.st.ChannelType = s.ChannelType
	if !s.ReceivedAt.IsZero() {
		c.st.LastInboundAt = s.ReceivedAt
		c.st.LastInboundByChannel[s.ChannelID] = s.ReceivedAt
	}
	if err := c.upsertSearchAttributes(ctx); err != nil {
		return err
	}
	if res.Away != nil {
		c.sendAway(ctx, res.Away.Text)
	}
	c.setDetails(ctx)
	c.notifyWaiters(ctx, s, res.Waiters)
	c.answerCallback(ctx, s)
	return nil
}

// sendAway queues the workspace's away message on the conversation the contact just opened
// outside business hours (the open's transaction decided it and rendered the text).
func (c *conversation) sendAway(ctx workflow.Context, text string) {
	if workflow.GetVersion(ctx, "away-message", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	c.queueSystemMessage(ctx, "store away message", chatcenter.Content{Type: chatcenter.ContentText, Text: text},
		fmt.Sprintf("away:%d", c.st.ConversationID))
}

// notifyWaiters passes the contact's message to the flow runs that were waiting for it (Ask a
// Question). A run that ended meanwhile is not an error: its wait was only removed with this
// message.
func (c *conversation) notifyWaiters(ctx workflow.Context, s InboundSignal, waiters []string) {
	if len(waiters) == 0 {
		return
	}
	answer := FlowAnswerSignal{MessageID: s.MessageID, ChannelID: s.ChannelID, ReceivedAt: s.ReceivedAt}
	futures := make([]workflow.Future, len(waiters))
	for i, id := range waiters {
		futures[i] = workflow.SignalExternalWorkflow(ctx, id, "", SignalFlowAnswer, answer)
	}
	log := workflow.GetLogger(ctx)
	for i, f := range futures {
		err := f.Get(ctx, nil)
		var gone *temporal.UnknownExternalWorkflowExecutionError
		switch {
		case err == nil:
		case errors.As(err, &gone):
			log.Info("flow run waiting for an answer has ended", "workflowID", waiters[i], "messageID", s.MessageID)
		default:
			log.Error("could not pass the answer to a flow run", "workflowID", waiters[i], "messageID", s.MessageID, "error", err)
		}
	}
}

// answerCallback acknowledges a button press so the contact's client stops its spinner; best
// effort.
func (c *conversation) answerCallback(ctx workflow.Context, s InboundSignal) {
	if s.CallbackID == "" {
		return
	}
	ao := workflow.ActivityOptions{
		TaskQueue: SendTaskQueue(s.ChannelType), StartToCloseTimeout: 15 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}, Summary: "answer callback",
	}
	_ = workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, ao), acts.AnswerCallback, activities.CallbackInput{
		WorkspaceID: c.workspaceID, ChannelID: s.ChannelID, CallbackID: s.CallbackID,
	}).Get(ctx, nil)
}

func (c *conversation) apply(conv chatcenter.Conversation) {
	c.st.ConversationID = conv.ID
	c.st.Status = conv.Status
	c.st.AssigneeID = deref(conv.AssigneeID)
	c.st.TeamID = deref(conv.TeamID)
	c.st.ChannelID = deref(conv.ChannelID)
	if conv.Status != chatcenter.ConversationOpen {
		c.st.AutoCloseAt = time.Time{}
	}
}

// reload reads the conversation again after it was changed outside the workflow (automatic
// assignment writes Postgres directly and then signals), so that the state, the search attributes
// and the next reply's assignment rule see the change.
func (c *conversation) reload(ctx workflow.Context) error {
	if err := c.mu.Lock(ctx); err != nil {
		return err
	}
	defer c.mu.Unlock()
	if c.st.ConversationID == 0 || c.st.Status != chatcenter.ConversationOpen {
		return nil
	}
	var conv chatcenter.Conversation
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "reload conversation"), acts.ConversationGet, activities.ConversationGetInput{
		WorkspaceID: c.workspaceID, ConversationID: c.st.ConversationID,
	}).Get(ctx, &conv)
	if err != nil {
		// Only non-retryable failures get here: the conversation is gone (its contact was deleted).
		workflow.GetLogger(ctx).Error("could not reload the conversation", "conversationID", c.st.ConversationID, "error", err)
		return nil
	}
	c.apply(conv)
	if err := c.upsertSearchAttributes(ctx); err != nil {
		return err
	}
	c.setDetails(ctx)
	return nil
}

// autoCloseTimer waits for the auto-close deadline and hands it to the main loop, which closes the
// conversation if the deadline still stands. A new deadline (an agent wrote again) restarts the
// wait; a cleared one (the contact replied, the conversation closed) stops it.
func (c *conversation) autoCloseTimer(ctx workflow.Context) {
	armed := func() bool { return c.st.Status == chatcenter.ConversationOpen && !c.st.AutoCloseAt.IsZero() }
	for {
		if err := workflow.Await(ctx, func() bool { return c.handingOff || (armed() && !c.autoCloseDue) }); err != nil || c.handingOff {
			return
		}
		at := c.st.AutoCloseAt
		if d := at.Sub(workflow.Now(ctx)); d > 0 {
			moved, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: d, TimerOptions: workflow.TimerOptions{Summary: "auto-close"}},
				func() bool { return c.handingOff || !armed() || !c.st.AutoCloseAt.Equal(at) })
			if err != nil {
				return
			}
			if moved {
				continue
			}
		}
		c.autoCloseDue = true
	}
}

// autoClose closes the conversation for auto-close (respond.io's close source auto_close) when
// its deadline has passed: through the same path as the close update, without the closing-note
// checks a person's close gets.
func (c *conversation) autoClose(ctx workflow.Context) error {
	if err := c.mu.Lock(ctx); err != nil {
		return err
	}
	defer c.mu.Unlock()
	at := c.st.AutoCloseAt
	if c.st.Status != chatcenter.ConversationOpen || at.IsZero() || workflow.Now(ctx).Before(at) {
		return nil
	}
	if _, err := c.closeLocked(ctx, CloseRequest{ConversationID: c.st.ConversationID, Source: chatcenter.SourceAutoClose}); err != nil {
		// Auto-close was turned off meanwhile, or the conversation is no longer open: the timer
		// waits for the next agent message.
		workflow.GetLogger(ctx).Info("auto-close skipped", "conversationID", c.st.ConversationID, "error", err)
		c.st.AutoCloseAt = time.Time{}
		c.setDetails(ctx)
	}
	return nil
}

func (c *conversation) seen(id int64) bool {
	for _, v := range c.st.Seen {
		if v == id {
			return true
		}
	}
	return false
}

func (c *conversation) markSeen(id int64) {
	c.st.Seen = append(c.st.Seen, id)
	if len(c.st.Seen) > seenLimit {
		c.st.Seen = c.st.Seen[len(c.st.Seen)-seenLimit:]
	}
}

// sendLoop hands queued messages to the provider one at a time, so a contact receives replies in
// the order agents sent them.
func (c *conversation) sendLoop(ctx workflow.Context) {
	for {
		if err := workflow.Await(ctx, func() bool { return len(c.st.Outbox) > 0 || c.handingOff }); err != nil || c.handingOff {
			return
		}
		job := c.st.Outbox[0]
		c.sending = true
		ao := workflow.ActivityOptions{
			TaskQueue:              SendTaskQueue(job.ChannelType),
			StartToCloseTimeout:    time.Minute,
			HeartbeatTimeout:       heartbeatTimeout,
			ScheduleToCloseTimeout: sendTimeout,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute,
			},
			// On hand-off, wait for an attempt that is running to finish rather than abandon it.
			WaitForCancellation: true,
			Summary:             fmt.Sprintf("send message %d via %s", job.MessageID, job.ChannelType),
		}
		sendCtx, cancel := workflow.WithCancel(ctx)
		c.cancelSend = cancel
		var out activities.SendResult
		err := workflow.ExecuteActivity(workflow.WithActivityOptions(sendCtx, ao), acts.SendMessage, activities.SendInput{
			WorkspaceID: c.workspaceID, MessageID: job.MessageID,
		}).Get(ctx, &out)
		cancel()
		c.cancelSend = nil
		if err != nil && c.handingOff && temporal.IsCanceledError(err) {
			c.sending = false
			return
		}
		if err != nil {
			reason := "could not be delivered: " + rootMessage(err)
			_ = workflow.ExecuteLocalActivity(dbCtx(ctx, "mark message failed"), acts.MessageMarkFailed, activities.MarkFailedInput{
				WorkspaceID: c.workspaceID, MessageID: job.MessageID, Reason: reason,
			}).Get(ctx, nil)
		}
		c.st.Outbox = c.st.Outbox[1:]
		c.sending = false
		c.setDetails(ctx)
	}
}

func (c *conversation) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (ConversationState, error) { return *c.st, nil }); err != nil {
		return err
	}
	handlers := []struct {
		name      string
		handler   any
		validator any
	}{
		{UpdateSendReply, c.sendReply, func(_ workflow.Context, r SendReplyRequest) error {
			if err := c.requireOpen(r.ConversationID); err != nil {
				return err
			}
			return asApplicationError(r.Content.ValidateOutgoing())
		}},
		{UpdateAssign, c.assign, func(_ workflow.Context, r AssignRequest) error {
			if r.AssigneeID <= 0 && r.TeamID <= 0 {
				return newError(chatcenter.EINVALID, "user_id or team_id is required")
			}
			return c.requireOpen(r.ConversationID)
		}},
		{UpdateUnassign, c.unassign, func(_ workflow.Context, r UnassignRequest) error { return c.requireOpen(r.ConversationID) }},
		{UpdateClose, c.close, func(_ workflow.Context, r CloseRequest) error {
			if err := c.requireOpen(r.ConversationID); err != nil {
				return err
			}
			return validateClosingNote(r.Category, r.Summary)
		}},
		{UpdateOpen, c.open, func(workflow.Context, OpenRequest) error { return nil }},
	}
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return nil
}

// validateClosingNote applies respond.io's limits: category ≤128, summary ≤512 characters.
func validateClosingNote(category, summary string) error {
	if n := len([]rune(category)); n > 128 {
		return newError(chatcenter.EINVALID, fmt.Sprintf("category is %d characters; the limit is 128", n))
	}
	if n := len([]rune(summary)); n > 512 {
		return newError(chatcenter.EINVALID, fmt.Sprintf("summary is %d characters; the limit is 512", n))
	}
	return nil
}

func (c *conversation) requireOpen(conversationID int64) error {
	if c.st.Status != chatcenter.ConversationOpen || (conversationID != 0 && conversationID != c.st.ConversationID) {
		return newError(chatcenter.ECONFLICT, fmt.Sprintf("conversation %d is not open", conversationID))
	}
	return nil
}

func (c *conversation) sendReply(ctx workflow.Context, r SendReplyRequest) (chatcenter.Message, error) {
	if err := c.mu.Lock(ctx); err != nil {
		return chatcenter.Message{}, err
	}
	defer c.mu.Unlock()
	if err := c.requireOpen(r.ConversationID); err != nil {
		return chatcenter.Message{}, err
	}
	// The seed's rule: replying to an unassigned conversation makes the replier its owner.
	if r.SenderKind == chatcenter.SenderUser && c.st.AssigneeID == 0 && r.SenderUserID != 0 {
		if err := c.assignLocked(ctx, r.SenderUserID, 0, r.SenderUserID); err != nil {
			return chatcenter.Message{}, err
		}
	}
	var res activities.OutboundResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "store outgoing message"), acts.MessageCreateOutbound, activities.OutboundInput{
		WorkspaceID: c.workspaceID, ContactID: c.contactID, ConversationID: c.st.ConversationID, ChannelID: r.ChannelID,
		SenderKind: r.SenderKind, SenderUserID: r.SenderUserID, Content: r.Content, IdempotencyKey: r.IdempotencyKey,
	}).Get(ctx, &res)
	if err != nil {
		return chatcenter.Message{}, err
	}
	if res.Created {
		c.st.Outbox = append(c.st.Outbox, OutboundJob{MessageID: res.Message.ID, ChannelType: res.ChannelType})
		c.st.OutgoingCount++
		// A human agent's message starts (or restarts) the auto-close timer; flows', broadcasts'
		// and the API's do not (respond.io's rule). The activity reports the delay only then.
		if r.SenderKind == chatcenter.SenderUser && res.AutoCloseSeconds > 0 &&
			workflow.GetVersion(ctx, "auto-close", workflow.DefaultVersion, 1) == 1 {
			c.st.AutoCloseAt = workflow.Now(ctx).Add(time.Duration(res.AutoCloseSeconds) * time.Second)
		}
	}
	c.setDetails(ctx)
	return res.Message, nil
}

func (c *conversation) assign(ctx workflow.Context, r AssignRequest) (chatcenter.Conversation, error) {
	if err := c.mu.Lock(ctx); err != nil {
		return chatcenter.Conversation{}, err
	}
	defer c.mu.Unlock()
	if err := c.requireOpen(r.ConversationID); err != nil {
		return chatcenter.Conversation{}, err
	}
	return c.assignResult(ctx, r.AssigneeID, r.TeamID, r.ActorUserID)
}

func (c *conversation) unassign(ctx workflow.Context, r UnassignRequest) (chatcenter.Conversation, error) {
	if err := c.mu.Lock(ctx); err != nil {
		return chatcenter.Conversation{}, err
	}
	defer c.mu.Unlock()
	if err := c.requireOpen(r.ConversationID); err != nil {
		return chatcenter.Conversation{}, err
	}
	return c.assignResult(ctx, 0, 0, r.ActorUserID)
}

func (c *conversation) assignLocked(ctx workflow.Context, assigneeID, teamID, actorID int64) error {
	_, err := c.assignResult(ctx, assigneeID, teamID, actorID)
	return err
}

func (c *conversation) assignResult(ctx workflow.Context, assigneeID, teamID, actorID int64) (chatcenter.Conversation, error) {
	previous := c.st.AssigneeID
	var conv chatcenter.Conversation
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "assign conversation"), acts.ConversationAssign, activities.AssignInput{
		WorkspaceID: c.workspaceID, ConversationID: c.st.ConversationID, AssigneeID: assigneeID, TeamID: teamID, ActorUserID: actorID,
	}).Get(ctx, &conv)
	if err != nil {
		return conv, err
	}
	c.apply(conv)
	if err := c.upsertSearchAttributes(ctx); err != nil {
		return conv, err
	}
	if previous != 0 && previous != c.st.AssigneeID {
		c.reoffer(ctx)
	}
	c.setDetails(ctx)
	return conv, nil
}

// reoffer hands conversations waiting for capacity to agents after this one freed some (it
// closed, or its agent was taken off it). A failure is logged: waiting flow runs re-check the
// queue periodically.
func (c *conversation) reoffer(ctx workflow.Context) {
	if workflow.GetVersion(ctx, "reoffer", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	if err := workflow.ExecuteLocalActivity(dbCtx(ctx, "offer waiting conversations"), acts.AssignReoffer, c.workspaceID).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("re-offering waiting conversations failed", "error", err)
	}
}

func (c *conversation) close(ctx workflow.Context, r CloseRequest) (chatcenter.Conversation, error) {
	if err := c.mu.Lock(ctx); err != nil {
		return chatcenter.Conversation{}, err
	}
	defer c.mu.Unlock()
	if err := c.requireOpen(r.ConversationID); err != nil {
		return chatcenter.Conversation{}, err
	}
	return c.closeLocked(ctx, r)
}

// closeLocked closes the conversation (the caller holds the lock) and, when the workspace runs
// satisfaction surveys, queues the survey so that the run sends it before it ends.
func (c *conversation) closeLocked(ctx workflow.Context, r CloseRequest) (chatcenter.Conversation, error) {
	source := r.Source
	if source == "" {
		source = chatcenter.SourceUser
	}
	var res activities.CloseResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "close conversation"), acts.ConversationClose, activities.CloseInput{
		WorkspaceID: c.workspaceID, ConversationID: c.st.ConversationID, ActorUserID: r.ActorUserID, Source: source,
		Category: r.Category, Summary: r.Summary, RunID: r.RunID,
	}).Get(ctx, &res)
	if err != nil {
		return res.Conversation, err
	}
	c.apply(res.Conversation)
	if err := c.upsertSearchAttributes(ctx); err != nil {
		return res.Conversation, err
	}
	if res.CSAT != nil {
		c.requestCSAT(ctx, res.CSAT.Question)
	}
	if c.st.AssigneeID != 0 {
		c.reoffer(ctx)
	}
	c.setDetails(ctx)
	return res.Conversation, nil
}

// requestCSAT stores the survey question, with rating buttons 1–5, on the conversation just
// closed and queues it: the run drains its outbox before it ends. The close recorded the survey
// as pending, so the contact's rating is taken by the next inbound message. A survey that cannot
// be stored is logged; the close stands.
func (c *conversation) requestCSAT(ctx workflow.Context, question string) {
	if workflow.GetVersion(ctx, "csat", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return
	}
	c.queueSystemMessage(ctx, "store satisfaction survey", activities.CSATContent(question), fmt.Sprintf("csat:%d", c.st.ConversationID))
}

// queueSystemMessage stores an automatic message (sender workflow) on the conversation, once per
// key, and queues it for sending. A message that cannot be stored is logged: what caused it (a
// close, an open) stands.
func (c *conversation) queueSystemMessage(ctx workflow.Context, summary string, content chatcenter.Content, key string) {
	var res activities.OutboundResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, summary), acts.MessageCreateOutbound, activities.OutboundInput{
		WorkspaceID: c.workspaceID, ContactID: c.contactID, ConversationID: c.st.ConversationID,
		SenderKind: chatcenter.SenderWorkflow, Content: content, IdempotencyKey: key, AllowClosed: true,
	}).Get(ctx, &res)
	if err != nil {
		workflow.GetLogger(ctx).Error("could not store an automatic message", "conversationID", c.st.ConversationID, "key", key, "error", err)
		return
	}
	// A survey found by its key but still pending was stored by an attempt whose result was lost:
	// it still has to be sent.
	if res.Created || (res.Message.Status == chatcenter.StatusPending && !c.queued(res.Message.ID)) {
		c.st.Outbox = append(c.st.Outbox, OutboundJob{MessageID: res.Message.ID, ChannelType: res.ChannelType})
		c.st.OutgoingCount++
	}
}

func (c *conversation) queued(messageID int64) bool {
	for _, j := range c.st.Outbox {
		if j.MessageID == messageID {
			return true
		}
	}
	return false
}

func (c *conversation) open(ctx workflow.Context, r OpenRequest) (chatcenter.Conversation, error) {
	if err := c.mu.Lock(ctx); err != nil {
		return chatcenter.Conversation{}, err
	}
	defer c.mu.Unlock()
	if c.st.Status == chatcenter.ConversationClosed {
		// This run is finishing the previous conversation; ask it to hand over to a new run,
		// where the client's retry opens the conversation at once.
		c.openRequested = true
		return chatcenter.Conversation{}, newError(chatcenter.EUNAVAILABLE, "the previous conversation is still closing; try again")
	}
	source := r.Source
	if source == "" {
		source = chatcenter.SourceUser
	}
	var res activities.OpenResult
	err := workflow.ExecuteLocalActivity(dbCtx(ctx, "open conversation"), acts.ConversationOpen, activities.OpenInput{
		WorkspaceID: c.workspaceID, ContactID: c.contactID, Source: source, UserID: r.ActorUserID, RunID: r.RunID,
	}).Get(ctx, &res)
	if err != nil {
		return res.Conversation, err
	}
	c.apply(res.Conversation)
	if err := c.upsertSearchAttributes(ctx); err != nil {
		return res.Conversation, err
	}
	c.setDetails(ctx)
	return res.Conversation, nil
}

// upsertSearchAttributes sends the search attributes that changed since the last upsert. Each
// upsert is a visibility write in the engine, so a message that changes nothing an operator can
// search by costs none; LastInboundAt is kept to the minute for the same reason.
func (c *conversation) upsertSearchAttributes(ctx workflow.Context) error {
	want := map[string]string{
		SAWorkspaceID.GetName():        strconv.FormatInt(c.workspaceID, 10),
		SAContactID.GetName():          strconv.FormatInt(c.contactID, 10),
		SAConversationStatus.GetName(): string(c.st.Status),
		SAAssigneeID.GetName():         idString(c.st.AssigneeID),
		SATeamID.GetName():             idString(c.st.TeamID),
		SAChannel.GetName():            idString(c.st.ChannelID),
	}
	lastInbound := c.st.LastInboundAt.Truncate(time.Minute)
	if !lastInbound.IsZero() {
		want[SALastInboundAt.GetName()] = lastInbound.UTC().Format(time.RFC3339)
	}
	if c.upserted == nil {
		c.upserted = map[string]string{}
	}
	var updates []temporal.SearchAttributeUpdate
	for _, key := range []temporal.SearchAttributeKeyKeyword{SAWorkspaceID, SAContactID, SAConversationStatus, SAAssigneeID, SATeamID, SAChannel} {
		v, seen := c.upserted[key.GetName()]
		if seen && v == want[key.GetName()] {
			continue
		}
		if want[key.GetName()] == "" {
			updates = append(updates, key.ValueUnset())
		} else {
			updates = append(updates, key.ValueSet(want[key.GetName()]))
		}
	}
	if v := want[SALastInboundAt.GetName()]; v != "" && c.upserted[SALastInboundAt.GetName()] != v {
		updates = append(updates, SALastInboundAt.ValueSet(lastInbound))
	}
	if len(updates) == 0 {
		return nil
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return err
	}
	c.upserted = want
	return nil
}

func idString(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// setDetails keeps the run's "current details" readable in the Temporal UI.
func (c *conversation) setDetails(ctx workflow.Context) {
	var b strings.Builder
	fmt.Fprintf(&b, "**Contact** %d · workspace %d\n\n", c.contactID, c.workspaceID)
	if c.st.ConversationID == 0 {
		b.WriteString("No conversation open in this run.\n")
	} else {
		fmt.Fprintf(&b, "**Conversation** %d — %s\n\n", c.st.ConversationID, c.st.Status)
		assignee := "unassigned"
		if c.st.AssigneeID != 0 {
			assignee = fmt.Sprintf("user %d", c.st.AssigneeID)
		}
		fmt.Fprintf(&b, "- Assignee: %s\n- Channel: %d (%s)\n- Messages in/out this run: %d/%d\n- Waiting to send: %d\n",
			assignee, c.st.ChannelID, c.st.ChannelType, c.st.IncomingCount, c.st.OutgoingCount, len(c.st.Outbox))
		if !c.st.LastInboundAt.IsZero() {
			fmt.Fprintf(&b, "- Last inbound: %s\n", c.st.LastInboundAt.UTC().Format(time.RFC3339))
		}
		if !c.st.AutoCloseAt.IsZero() {
			fmt.Fprintf(&b, "- Auto-close at: %s\n", c.st.AutoCloseAt.UTC().Format(time.RFC3339))
		}
	}
	workflow.SetCurrentDetails(ctx, b.String())
}

// dbCtx runs database activities as local activities: they are short Postgres transactions, and
// running them in the workflow task saves the engine two round trips per step (the inbound path's
// throughput depends on it). They retry without limit within a day, so Postgres being briefly
// unavailable loses nothing; domain errors are non-retryable and fail at once.
func dbCtx(ctx workflow.Context, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy:            &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 30 * time.Second},
		Summary:                summary,
	})
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func newError(code, message string) error {
	return temporal.NewNonRetryableApplicationError(message, code, nil)
}

func asApplicationError(err error) error {
	var e *chatcenter.Error
	if errors.As(err, &e) {
		return newError(e.Code, e.Message)
	}
	return err
}

// rootMessage is the innermost failure message of an activity error, for the agent to read.
func rootMessage(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "the provider did not accept it in time"
	}
	return err.Error()
}
