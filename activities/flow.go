package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/assign"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flowhttp"
	"github.com/chatcenterhq/chatcenter/flows"
	"github.com/chatcenterhq/chatcenter/variables"
)

// Engine is what flow activities need from the workflow engine: driving a contact's
// conversation workflow, telling runs and conversations about assignments, and enrolling in
// flows. It is implemented by package flowrun (which may import the workflows package; this one
// may not).
type Engine interface {
	// Open opens a conversation for the contact (source workflow) unless one is open; runID is
	// the flow run asking, named in the event; updateID makes a retried call one update.
	Open(ctx context.Context, workspaceID, contactID, runID int64, updateID string) (chatcenter.Conversation, error)
	// Close closes the contact's open conversation with a closing note (source workflow).
	Close(ctx context.Context, contactID, conversationID, runID int64, updateID, category, summary string) (chatcenter.Conversation, error)
	// Assign assigns (userID > 0) or unassigns (0) the open conversation.
	Assign(ctx context.Context, contactID, conversationID, userID int64, updateID string) (chatcenter.Conversation, error)
	// Changed tells the contact's conversation workflow its conversation changed in Postgres.
	Changed(ctx context.Context, contactID int64) error
	// Enroll enrolls the contact in a flow with a manual trigger.
	Enroll(ctx context.Context, in FlowEnrollInput) (FlowEnrollResult, error)
	// Reoffer hands queued conversations to users who now have capacity.
	Reoffer(ctx context.Context, workspaceID int64) error
	// Redeliver signals a stored inbound message to its contact's conversation workflow,
	// starting one when none runs.
	Redeliver(ctx context.Context, m InboundRef) error
}

// AssignReoffer runs after capacity may have freed (a conversation closed or was unassigned):
// waiting conversations go to users who now have room, oldest first.
func (a *Activities) AssignReoffer(ctx context.Context, workspaceID int64) error {
	if a.Engine == nil {
		return nil
	}
	return a.Engine.Reoffer(ctx, workspaceID)
}

// FlowRunContext is what a run needs to start: its row and the flow version it runs.
type FlowRunContext struct {
	WorkspaceID int64
	FlowID      int64
	FlowName    string
	Version     int32
	ContactID   int64
	Definition  json.RawMessage
	Variables   map[string]string
	Status      string
	// Ended: the run was stopped before its workflow began.
	Ended bool
}

// FlowRunLoad reads a run and its flow version, and marks it running.
func (a *Activities) FlowRunLoad(ctx context.Context, runID int64) (FlowRunContext, error) {
	var out FlowRunContext
	run, err := a.DB.Queries.FlowRunGetByID(ctx, runID)
	if err != nil {
		return out, domainError(db.Error(err))
	}
	v, err := a.DB.Queries.FlowVersionDefinition(ctx, dbsqlc.FlowVersionDefinitionParams{FlowID: run.FlowID, Version: run.Version})
	if err != nil {
		return out, domainError(db.Error(err))
	}
	out = FlowRunContext{WorkspaceID: run.WorkspaceID, FlowID: run.FlowID, FlowName: v.Name, Version: run.Version,
		ContactID: run.ContactID, Definition: v.Definition, Status: run.Status, Variables: map[string]string{}}
	_ = json.Unmarshal(run.Variables, &out.Variables)
	if run.Status != "starting" && run.Status != "running" {
		out.Ended = true
		return out, nil
	}
	return out, a.DB.Queries.FlowRunMarkRunning(ctx, runID)
}

// FlowStepInput records the step a run is on.
type FlowStepInput struct {
	RunID  int64
	StepID string
}

// FlowRunStep records the current step.
func (a *Activities) FlowRunStep(ctx context.Context, in FlowStepInput) error {
	return a.DB.Queries.FlowRunSetStep(ctx, dbsqlc.FlowRunSetStepParams{ID: in.RunID, CurrentStep: &in.StepID})
}

// FlowFinishInput records how a run ended.
type FlowFinishInput struct {
	RunID  int64
	Status string
	StepID string
	Error  string
}

// FlowRunFinish records the outcome; a run already marked (stopped) keeps its outcome.
func (a *Activities) FlowRunFinish(ctx context.Context, in FlowFinishInput) error {
	_, err := a.DB.Queries.FlowRunFinish(ctx, dbsqlc.FlowRunFinishParams{
		ID: in.RunID, Status: in.Status, Error: nonEmpty(in.Error), CurrentStep: nonEmpty(in.StepID),
	})
	if db.IsNoRows(err) {
		return nil
	}
	return err
}

// FlowCleanupInput names a stopped run.
type FlowCleanupInput struct {
	RunID       int64
	WorkspaceID int64
	WorkflowID  string
}

// FlowRunCleanup removes what a stopped run was waiting for and marks it stopped.
func (a *Activities) FlowRunCleanup(ctx context.Context, in FlowCleanupInput) error {
	return a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := q.FlowWaitDelete(ctx, in.WorkflowID); err != nil {
			return err
		}
		if err := q.AssignQueueDropByWaiter(ctx, dbsqlc.AssignQueueDropByWaiterParams{WorkspaceID: in.WorkspaceID, WaiterWorkflowID: in.WorkflowID}); err != nil {
			return err
		}
		reason := "stopped"
		_, err := q.FlowRunFinish(ctx, dbsqlc.FlowRunFinishParams{ID: in.RunID, Status: "stopped", Error: &reason})
		if db.IsNoRows(err) {
			return nil
		}
		return err
	})
}

// flowData loads what variables in a flow's texts can refer to.
func flowData(ctx context.Context, q *dbsqlc.Queries, workspaceID, contactID int64, vars map[string]string) (variables.Data, dbsqlc.Contact, error) {
	ct, err := q.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: workspaceID, ID: contactID})
	if err != nil {
		return variables.Data{}, ct, fmt.Errorf("load contact: %w", db.Error(err))
	}
	custom := map[string]any{}
	_ = json.Unmarshal(ct.CustomFields, &custom)
	if vars == nil {
		vars = map[string]string{}
	}
	// In a flow's texts {{$user.…}} is the contact's assignee (the agent a message introduces).
	var user variables.User
	if ct.AssigneeID != nil {
		if u, err := q.UserGetByID(ctx, dbsqlc.UserGetByIDParams{WorkspaceID: workspaceID, ID: *ct.AssigneeID}); err == nil {
			user = variables.User{Name: u.Name, Email: u.Email}
		}
	}
	return variables.Data{
		User: user,
		Contact: variables.Contact{FirstName: ct.FirstName, LastName: ct.LastName, Phone: deref(ct.Phone), Email: deref(ct.Email),
			Language: ct.Language, CountryCode: ct.CountryCode, Lifecycle: ct.Lifecycle, CustomFields: custom},
		Variables: vars,
	}, ct, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func render(text string, data variables.Data) string {
	out, err := variables.Render(text, data)
	if err != nil {
		return text
	}
	return out
}

// FlowMessageInput is a message a flow sends.
type FlowMessageInput struct {
	WorkspaceID    int64
	ContactID      int64
	ChannelID      int64 // 0: the contact's last interacted channel
	Content        chatcenter.Content
	Variables      map[string]string
	IdempotencyKey string
	// ChannelContent replaces Content on the channel types it names.
	ChannelContent []flows.ChannelContent
}

// FlowMessageResult is the stored message to send.
type FlowMessageResult struct {
	MessageID      int64
	ChannelType    chatcenter.ChannelType
	ConversationID int64
}

// FlowPrepareMessage renders a flow message's variables and stores it as pending on the
// contact's open conversation, or its latest one (a flow may write after a close, as CSAT and
// "conversation closed" flows do). A contact that never had a conversation cannot be written to.
func (a *Activities) FlowPrepareMessage(ctx context.Context, in FlowMessageInput) (FlowMessageResult, error) {
	var out FlowMessageResult
	data, _, err := flowData(ctx, a.DB.Queries, in.WorkspaceID, in.ContactID, in.Variables)
	if err != nil {
		return out, domainError(err)
	}
	conv, err := a.DB.Queries.ConversationLatestForContact(ctx, dbsqlc.ConversationLatestForContactParams{WorkspaceID: in.WorkspaceID, ContactID: in.ContactID})
	if db.IsNoRows(err) {
		return out, domainError(chatcenter.Errorf(chatcenter.EINVALID, "the contact has no conversation to write in"))
	}
	if err != nil {
		return out, err
	}
	c := in.Content
	if len(in.ChannelContent) > 0 {
		channelID := in.ChannelID
		if channelID == 0 && conv.ChannelID != nil {
			channelID = *conv.ChannelID
		}
		if ch, err := a.DB.Queries.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: channelID}); err == nil {
			for _, cc := range in.ChannelContent {
				if cc.ChannelType == ch.Type {
					c = chatcenter.Content{Type: chatcenter.ContentText, Text: cc.Text}
					if cc.FileID != nil {
						c = chatcenter.Content{Type: chatcenter.ContentAttachment, Attachment: &chatcenter.Attachment{Type: chatcenter.AttachmentFile, FileID: *cc.FileID, Caption: cc.Text}}
					}
				}
			}
		}
	}
	c.Text = render(c.Text, data)
	if c.Attachment != nil {
		c.Attachment.Caption = render(c.Attachment.Caption, data)
	}
	res, err := a.MessageCreateOutbound(ctx, OutboundInput{
		WorkspaceID: in.WorkspaceID, ContactID: in.ContactID, ConversationID: conv.ID, ChannelID: in.ChannelID,
		SenderKind: chatcenter.SenderWorkflow, Content: c, IdempotencyKey: in.IdempotencyKey, AllowClosed: true,
	})
	if err != nil {
		return out, err
	}
	return FlowMessageResult{MessageID: res.Message.ID, ChannelType: res.ChannelType, ConversationID: conv.ID}, nil
}

// FlowWaitInput registers a run waiting for the contact's next message.
type FlowWaitInput struct {
	WorkspaceID int64
	ContactID   int64
	RunID       int64
	WorkflowID  string
}

// FlowWaitRegister makes the contact's next inbound message go to the run.
func (a *Activities) FlowWaitRegister(ctx context.Context, in FlowWaitInput) error {
	return a.DB.Queries.FlowWaitInsert(ctx, dbsqlc.FlowWaitInsertParams{WorkflowID: in.WorkflowID, WorkspaceID: in.WorkspaceID, ContactID: in.ContactID, RunID: nonZero(in.RunID)})
}

// FlowWaitClear stops forwarding messages to the run.
func (a *Activities) FlowWaitClear(ctx context.Context, workflowID string) error {
	return a.DB.Queries.FlowWaitDelete(ctx, workflowID)
}

// FlowAnswerInput names the message that answers a question.
type FlowAnswerInput struct {
	WorkspaceID int64
	MessageID   int64
}

// FlowLoadAnswer reads an inbound message as an answer: its text, a button's payload, or a
// shared location.
func (a *Activities) FlowLoadAnswer(ctx context.Context, in FlowAnswerInput) (flows.Answer, error) {
	var out flows.Answer
	m, err := a.DB.Queries.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.MessageID})
	if err != nil {
		return out, domainError(db.Error(err))
	}
	var c chatcenter.Content
	if err := json.Unmarshal(m.Content, &c); err != nil {
		return out, nil
	}
	switch {
	case c.Postback != nil:
		out.Text = c.Postback.Payload
	case c.Location != nil:
		lat, lng := c.Location.Latitude, c.Location.Longitude
		out.Latitude, out.Longitude = &lat, &lng
	case c.Attachment != nil:
		out.Text = c.Attachment.Caption
	default:
		out.Text = c.Text
	}
	return out, nil
}

// FlowSnapshotInput asks what branch conditions can see.
type FlowSnapshotInput struct {
	WorkspaceID int64
	ContactID   int64
	Variables   map[string]string
}

// FlowSnapshot reads the contact, its conversation and assignee, and its last message.
func (a *Activities) FlowSnapshot(ctx context.Context, in FlowSnapshotInput) (flows.Snapshot, error) {
	q := a.DB.Queries
	data, ct, err := flowData(ctx, q, in.WorkspaceID, in.ContactID, in.Variables)
	if err != nil {
		return flows.Snapshot{}, domainError(err)
	}
	s := flows.Snapshot{Contact: map[string]string{
		"first_name": ct.FirstName, "last_name": ct.LastName, "name": strings.TrimSpace(ct.FirstName + " " + ct.LastName),
		"phone": deref(ct.Phone), "email": deref(ct.Email), "language": ct.Language, "country_code": ct.CountryCode,
		"lifecycle": ct.Lifecycle,
	}, Tags: ct.Tags, Variables: in.Variables}
	for k, v := range data.Contact.CustomFields {
		if _, standard := s.Contact[k]; !standard {
			s.Contact[k] = fieldText(v)
		}
	}
	conv, err := q.ConversationLatestForContact(ctx, dbsqlc.ConversationLatestForContactParams{WorkspaceID: in.WorkspaceID, ContactID: in.ContactID})
	switch {
	case err == nil:
		s.ConversationStatus = conv.Status
		if conv.AssigneeID != nil {
			s.AssigneeID = *conv.AssigneeID
		}
		if conv.TeamID != nil {
			s.TeamID = *conv.TeamID
		}
		if conv.ChannelID != nil {
			s.ChannelID = *conv.ChannelID
		}
	case !db.IsNoRows(err):
		return s, err
	}
	if s.AssigneeID == 0 && ct.AssigneeID != nil {
		s.AssigneeID = *ct.AssigneeID
	}
	if s.AssigneeID != 0 {
		if u, err := q.UserGetByID(ctx, dbsqlc.UserGetByIDParams{WorkspaceID: in.WorkspaceID, ID: s.AssigneeID}); err == nil {
			s.AssigneeStatus = u.Availability
		}
	}
	if last, err := q.MessageLastInbound(ctx, dbsqlc.MessageLastInboundParams{WorkspaceID: in.WorkspaceID, ContactID: in.ContactID}); err == nil {
		var c chatcenter.Content
		_ = json.Unmarshal(last.Content, &c)
		s.LastIncomingMessage = c.Preview()
		if s.ChannelID == 0 {
			s.ChannelID = last.ChannelID
		}
	}
	if s.ChannelID != 0 {
		if ch, err := q.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: s.ChannelID}); err == nil {
			s.ChannelType = ch.Type
		}
	}
	return s, nil
}

func fieldText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []any:
		parts := make([]string, 0, len(x))
		for _, p := range x {
			parts = append(parts, fieldText(p))
		}
		return strings.Join(parts, ", ")
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// FlowBusinessHours reads the workspace's business hours (nil when never set: always closed).
func (a *Activities) FlowBusinessHours(ctx context.Context, workspaceID int64) (*flows.BusinessHours, error) {
	row, err := a.DB.Queries.BusinessHoursGet(ctx, workspaceID)
	if db.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := &flows.BusinessHours{Timezone: row.Timezone, Days: map[string][]flows.TimeRange{}}
	_ = json.Unmarshal(row.Days, &out.Days)
	var holidays []struct {
		Date string `json:"date"`
	}
	_ = json.Unmarshal(row.Holidays, &holidays)
	for _, h := range holidays {
		out.Holidays = append(out.Holidays, h.Date)
	}
	return out, nil
}

// FlowHTTPInput is an HTTP Request step to run for a contact.
type FlowHTTPInput struct {
	WorkspaceID int64
	ContactID   int64
	Step        flows.HTTPRequest
	Variables   map[string]string
}

// FlowHTTPResult is the response status and mapped values; Err says why the step failed.
type FlowHTTPResult = flowhttp.Result

// FlowHTTP renders the step's URL, body and header values and runs the request through the
// guarded client, which refuses internal addresses unless the operator allowed them.
func (a *Activities) FlowHTTP(ctx context.Context, in FlowHTTPInput) (FlowHTTPResult, error) {
	ctx, done := attempt(ctx)
	defer done()
	data, _, err := flowData(ctx, a.DB.Queries, in.WorkspaceID, in.ContactID, in.Variables)
	if err != nil {
		return FlowHTTPResult{}, domainError(err)
	}
	req := flowhttp.Request{Method: in.Step.Method, URL: render(in.Step.URL, data), ContentType: in.Step.ContentType,
		Body: render(in.Step.Body, data), Mappings: in.Step.ResponseMappings}
	for _, h := range in.Step.Headers {
		req.Headers = append(req.Headers, flows.Header{Key: h.Key, Value: render(h.Value, data)})
	}
	client := a.FlowHTTPClient
	if client == nil {
		client = flowhttp.NewClient(nil, 0)
	}
	res, err := flowhttp.Do(ctx, client, req)
	if err != nil {
		if res.Err == "" {
			res.Err = err.Error()
		}
		return res, nil
	}
	return res, nil
}

// FlowContactInput changes a contact's tags or fields. Field values are rendered with variables
// unless Literal (an answer or a response value is stored as received).
type FlowContactInput struct {
	WorkspaceID int64
	ContactID   int64
	RunID       int64
	AddTags     []string
	RemoveTags  []string
	Fields      map[string]string
	Variables   map[string]string
	Literal     bool
}

// FlowUpdateContact applies tag and field changes with the same events an agent's edit writes
// (which may trigger other flows). An invalid value is a domain error: the step fails.
func (a *Activities) FlowUpdateContact(ctx context.Context, in FlowContactInput) error {
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		row, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: in.WorkspaceID, ID: in.ContactID})
		if err != nil {
			return db.Error(err)
		}
		ch := newContactChange(row)
		for _, t := range in.AddTags {
			ch.addTag(t)
		}
		for _, t := range in.RemoveTags {
			ch.removeTag(t)
		}
		if len(in.Fields) > 0 {
			data, _, err := flowData(ctx, q, in.WorkspaceID, in.ContactID, in.Variables)
			if err != nil {
				return err
			}
			for name, value := range in.Fields {
				if !in.Literal {
					value = render(value, data)
				}
				if err := ch.setField(ctx, q, in.WorkspaceID, name, value); err != nil {
					return err
				}
			}
		}
		return ch.save(ctx, q, in.RunID)
	})
	return domainError(err)
}

// FlowConversationInput opens or closes the contact's conversation.
type FlowConversationInput struct {
	WorkspaceID int64
	ContactID   int64
	RunID       int64
	UpdateID    string
	Open        bool
	Category    string
	Summary     string
}

// FlowConversationResult is the conversation opened or closed (0 when there was none to close).
type FlowConversationResult struct {
	ConversationID int64
}

// FlowConversation runs Open Conversation or Close Conversation through the contact's
// conversation workflow. Closing when nothing is open does nothing.
func (a *Activities) FlowConversation(ctx context.Context, in FlowConversationInput) (FlowConversationResult, error) {
	ctx, done := attempt(ctx)
	defer done()
	if in.Open {
		conv, err := a.Engine.Open(ctx, in.WorkspaceID, in.ContactID, in.RunID, in.UpdateID)
		return FlowConversationResult{ConversationID: conv.ID}, domainError(err)
	}
	conv, err := a.DB.Queries.ConversationGetOpenByContact(ctx, in.ContactID)
	if db.IsNoRows(err) {
		return FlowConversationResult{}, nil
	}
	if err != nil {
		return FlowConversationResult{}, err
	}
	closed, err := a.Engine.Close(ctx, in.ContactID, conv.ID, in.RunID, in.UpdateID, in.Category, in.Summary)
	if chatcenter.ErrorCode(err) == chatcenter.ECONFLICT {
		// Closed meanwhile (by an agent, or this activity's earlier attempt).
		return FlowConversationResult{ConversationID: conv.ID}, nil
	}
	return FlowConversationResult{ConversationID: closed.ID}, domainError(err)
}

// FlowCommentInput is an internal comment a flow writes.
type FlowCommentInput struct {
	WorkspaceID int64
	ContactID   int64
	Text        string
	Variables   map[string]string
	Key         string
}

// FlowComment writes the comment (variables rendered) and notifies the users it mentions.
func (a *Activities) FlowComment(ctx context.Context, in FlowCommentInput) error {
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		// One comment per step execution, even if this transaction is retried after a commit
		// whose answer was lost.
		if err := q.AdvisoryXactLock(ctx, db.LockKey("flow-comment", in.Key)); err != nil {
			return err
		}
		if n, err := q.EventCountByKey(ctx, dbsqlc.EventCountByKeyParams{WorkspaceID: in.WorkspaceID, ContactID: &in.ContactID, Key: in.Key}); err != nil {
			return err
		} else if n > 0 {
			return nil
		}
		data, ct, err := flowData(ctx, q, in.WorkspaceID, in.ContactID, in.Variables)
		if err != nil {
			return err
		}
		text := render(in.Text, data)
		mentions := mentionIDs(text)
		active, err := q.UserActiveIDs(ctx, dbsqlc.UserActiveIDsParams{WorkspaceID: in.WorkspaceID, Ids: mentions})
		if err != nil {
			return err
		}
		cm, err := q.CommentInsert(ctx, dbsqlc.CommentInsertParams{WorkspaceID: in.WorkspaceID, ContactID: in.ContactID, Text: text, Mentions: active})
		if err != nil {
			return db.Error(err)
		}
		if err := db.InsertEvent(ctx, q, db.Event{WorkspaceID: in.WorkspaceID, Type: "comment.created", ContactID: in.ContactID,
			Payload: map[string]any{"comment_id": cm.ID, "source": "workflow", "key": in.Key}}); err != nil {
			return err
		}
		name := strings.TrimSpace(ct.FirstName + " " + ct.LastName)
		for _, id := range active {
			if err := db.InsertNotification(ctx, q, db.Notification{WorkspaceID: in.WorkspaceID, UserID: id, Type: db.NotificationMention,
				ContactID: in.ContactID, CommentID: cm.ID, Payload: map[string]any{"author_name": "Workflow", "contact_name": name, "excerpt": excerpt(text, 140)},
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return domainError(err)
}

func excerpt(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// FlowChatbotInput pauses or resumes the AI chatbot for the contact.
type FlowChatbotInput struct {
	WorkspaceID int64
	ContactID   int64
	Paused      bool
}

// FlowChatbot sets the contact's chatbot state.
func (a *Activities) FlowChatbot(ctx context.Context, in FlowChatbotInput) error {
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		before, err := q.ContactGetForUpdate(ctx, dbsqlc.ContactGetForUpdateParams{WorkspaceID: in.WorkspaceID, ID: in.ContactID})
		if err != nil {
			return db.Error(err)
		}
		if before.BotPaused == in.Paused {
			return nil
		}
		row, err := q.ContactSetBotPaused(ctx, dbsqlc.ContactSetBotPausedParams{WorkspaceID: in.WorkspaceID, ID: in.ContactID, Paused: in.Paused})
		if err != nil {
			return db.Error(err)
		}
		// The same events as the inbox's pause and resume buttons.
		typ := "contact.bot_resumed"
		if in.Paused {
			typ = "contact.bot_paused"
		}
		return db.InsertEvent(ctx, q, db.Event{WorkspaceID: in.WorkspaceID, Type: typ, ContactID: in.ContactID,
			Payload: map[string]any{"contact": db.ToContact(row), "source": "workflow"}})
	})
	return domainError(err)
}

// FlowEnrollInput enrolls the contact in another flow (Trigger Another Flow).
type FlowEnrollInput struct {
	WorkspaceID int64
	FlowID      int64
	ContactID   int64
	ParentRunID int64
	OriginKey   string
	Variables   map[string]string
}

// FlowEnrollResult says whether the contact was enrolled (false: already in that flow).
type FlowEnrollResult struct {
	RunID    int64
	Enrolled bool
}

// FlowEnroll starts the target flow, which must be published with a manual trigger.
func (a *Activities) FlowEnroll(ctx context.Context, in FlowEnrollInput) (FlowEnrollResult, error) {
	ctx, done := attempt(ctx)
	defer done()
	out, err := a.Engine.Enroll(ctx, in)
	return out, domainError(err)
}

// FlowAssignInput is an Assign To step.
type FlowAssignInput struct {
	WorkspaceID    int64
	ContactID      int64
	Action         string // user | team | workspace | unassign
	UserID         int64
	TeamID         int64
	Logic          string
	OnlyOnline     bool
	MaxOpen        int
	TimeoutSeconds int64
	UpdateID       string
	Waiter         string
}

// FlowAssignResult is the assignee, or Queued when the conversation waits for capacity.
type FlowAssignResult struct {
	ConversationID int64
	UserID         int64
	Queued         bool
}

// FlowAssign assigns the contact's open conversation: to a user or nobody through the
// conversation workflow; to a team or the workspace through the assignment engine, whose
// decision is then reported to the conversation workflow.
func (a *Activities) FlowAssign(ctx context.Context, in FlowAssignInput) (FlowAssignResult, error) {
	ctx, done := attempt(ctx)
	defer done()
	var out FlowAssignResult
	conv, err := a.DB.Queries.ConversationGetOpenByContact(ctx, in.ContactID)
	if db.IsNoRows(err) {
		return out, domainError(chatcenter.Errorf(chatcenter.ECONFLICT, "the contact has no open conversation to assign"))
	}
	if err != nil {
		return out, err
	}
	out.ConversationID = conv.ID
	// A specific user with "only online" or a capacity goes through the engine (and may wait for
	// that user); otherwise the conversation workflow assigns at once.
	direct := in.Action == "unassign" || (in.Action == "user" && !in.OnlyOnline && in.MaxOpen == 0)
	switch {
	case direct:
		c, err := a.Engine.Assign(ctx, in.ContactID, conv.ID, in.UserID, in.UpdateID)
		if err != nil {
			return out, domainError(err)
		}
		out.UserID = derefID(c.AssigneeID)
		return out, nil
	}
	strategy := assign.RoundRobin
	if in.Logic == string(assign.LeastOpen) {
		strategy = assign.LeastOpen
	}
	team, user := int64(0), int64(0)
	switch in.Action {
	case "team":
		team = in.TeamID
	case "user":
		user = in.UserID
	}
	uid, queued, err := assign.Pick(ctx, a.DB, assign.Request{
		WorkspaceID: in.WorkspaceID, ConversationID: conv.ID, TeamID: team, UserID: user, Strategy: strategy,
		OnlineOnly: in.OnlyOnline, MaxOpen: in.MaxOpen, Timeout: secondsDuration(in.TimeoutSeconds), Waiter: in.Waiter,
	})
	if err != nil {
		return out, domainError(err)
	}
	out.UserID, out.Queued = uid, queued
	if queued {
		// Capacity that freed while this decision ran (an agent coming online, a close) was
		// re-offered before the queued row was committed and could not see it: offer again now.
		// An assignment made here reaches the run as a signal, like any other.
		if err := a.Engine.Reoffer(ctx, in.WorkspaceID); err != nil {
			a.Log.Warn("re-offer after queueing failed", "workspace", in.WorkspaceID, "error", err)
		}
		return out, nil
	}
	if !queued {
		if err := a.Engine.Changed(ctx, in.ContactID); err != nil {
			a.Log.Warn("conversation workflow not told of assignment", "contact", in.ContactID, "error", err)
		}
	}
	return out, nil
}

// FlowQueueInput asks what became of a queued assignment; Cancel removes it if still waiting.
type FlowQueueInput struct {
	WorkspaceID    int64
	ContactID      int64
	ConversationID int64
	Cancel         bool
}

// FlowQueueState is "waiting", "assigned" (with the user), "expired" or "closed".
type FlowQueueState struct {
	State  string
	UserID int64
}

// FlowAssignCheck reads (and on Cancel, withdraws) a queued assignment. A conversation that
// closed while waiting is "closed".
func (a *Activities) FlowAssignCheck(ctx context.Context, in FlowQueueInput) (FlowQueueState, error) {
	if in.Cancel {
		if _, err := assign.Cancel(ctx, a.DB, in.WorkspaceID, in.ConversationID); err != nil {
			return FlowQueueState{}, err
		}
	} else if a.Engine != nil {
		// A periodic check also re-offers the queue: capacity freed where no re-offer ran (a
		// process died right after a close) is found within one check interval.
		if err := a.Engine.Reoffer(ctx, in.WorkspaceID); err != nil {
			a.Log.Warn("re-offer during queue check failed", "workspace", in.WorkspaceID, "error", err)
		}
	}
	state, uid, err := assign.State(ctx, a.DB, in.WorkspaceID, in.ConversationID)
	if err != nil {
		return FlowQueueState{}, err
	}
	if state == "assigned" {
		return FlowQueueState{State: state, UserID: uid}, nil
	}
	conv, err := a.DB.Queries.ConversationGetByID(ctx, dbsqlc.ConversationGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ConversationID})
	if err == nil && conv.Status != string(chatcenter.ConversationOpen) {
		return FlowQueueState{State: "closed"}, nil
	}
	if state == "" {
		state = "expired"
	}
	return FlowQueueState{State: state}, nil
}

func secondsDuration(s int64) time.Duration { return time.Duration(s) * time.Second }

func mentionIDs(text string) []int64 {
	var ids []int64
	for _, m := range chatcenter.MentionPattern.FindAllStringSubmatch(text, -1) {
		if id, err := strconv.ParseInt(m[1], 10, 64); err == nil && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}
