package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/flows"
)

// InboundAcceptInput names an inbound message to attach to the contact's open conversation.
type InboundAcceptInput struct {
	WorkspaceID int64
	ContactID   int64
	MessageID   int64
}

// InboundAcceptResult says what happened to the message.
type InboundAcceptResult struct {
	// Duplicate: the message was already attached to a conversation (a redelivered signal).
	Duplicate bool
	// Opened: the message opened a new conversation.
	Opened       bool
	Conversation chatcenter.Conversation
	// Waiters are the workflow IDs of flow runs that waited for this contact's next message
	// (Ask a Question); they were taken when the message was attached and must be told.
	Waiters []string
	// Rating is set when the message answered the satisfaction survey of the contact's last
	// conversation: it was stored against that closed conversation (Conversation) and opened
	// nothing.
	Rating int
	// Away is the away message to send: the message opened a conversation outside business
	// hours and the workspace has its away message on.
	Away *AwayPrompt `json:",omitempty"`
}

// AwayPrompt is the away message, variables rendered.
type AwayPrompt struct {
	Text string
}

// InboundAccept attaches a stored inbound message to the contact's open conversation, opening one
// when there is none, in one transaction. It is idempotent: a message is attached once. With no
// conversation open, a rating that answers a pending satisfaction survey is recorded against the
// closed conversation instead of opening a new one.
func (a *Activities) InboundAccept(ctx context.Context, in InboundAcceptInput) (InboundAcceptResult, error) {
	// Common case: the contact has an open conversation; the message joins it in one statement
	// and its assignee is notified in the same transaction.
	var res InboundAcceptResult
	attached := false
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		conv, err := q.ConversationAttachInbound(ctx, dbsqlc.ConversationAttachInboundParams{
			ContactID: in.ContactID, MessageID: in.MessageID, WorkspaceID: in.WorkspaceID,
		})
		if db.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		attached, res.Conversation = true, db.ToConversation(conv)
		if res.Waiters, err = q.FlowWaitTake(ctx, in.ContactID); err != nil {
			return fmt.Errorf("take flow waiters: %w", err)
		}
		return notifyAssignee(ctx, q, conv, in.MessageID)
	})
	if err != nil || attached {
		return res, domainError(err)
	}
	err = a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := lockContact(ctx, q, in.ContactID); err != nil {
			return err
		}
		msg, err := q.MessageGetByID(ctx, dbsqlc.MessageGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.MessageID})
		if err != nil {
			return fmt.Errorf("load message %d: %w", in.MessageID, db.Error(err))
		}
		if msg.ContactID != in.ContactID {
			return chatcenter.Errorf(chatcenter.EINVALID, "message %d does not belong to contact %d", in.MessageID, in.ContactID)
		}
		if msg.ConversationID != nil {
			res.Duplicate = true
			return nil
		}
		conv, err := q.ConversationGetOpenByContact(ctx, in.ContactID)
		if db.IsNoRows(err) {
			var rated bool
			if rated, err = acceptRating(ctx, q, msg, &res); err != nil || rated {
				return err
			}
			conv, err = openConversation(ctx, q, in.WorkspaceID, in.ContactID, &msg.ChannelID, chatcenter.SourceContact, 0, 0, msg.CreatedAt)
			res.Opened = true
		}
		if err != nil {
			return err
		}
		if conv, err = attachInbound(ctx, q, conv.ID, msg); err != nil {
			return err
		}
		res.Conversation = db.ToConversation(conv)
		if res.Waiters, err = q.FlowWaitTake(ctx, in.ContactID); err != nil {
			return fmt.Errorf("take flow waiters: %w", err)
		}
		return notifyAssignee(ctx, q, conv, msg.ID)
	})
	if err == nil && res.Opened {
		res.Away = a.awayMessage(ctx, in.WorkspaceID, in.ContactID, time.Now())
	}
	return res, domainError(err)
}

// awayMessage is the away message for a conversation opened at now, or nil when the workspace
// has it off or is within its business hours (a workspace that never set them is always away).
// It is decided once, when the conversation opens; a failure to decide sends nothing.
func (a *Activities) awayMessage(ctx context.Context, workspaceID, contactID int64, now time.Time) *AwayPrompt {
	st, err := a.DB.Queries.AwayMessageGet(ctx, workspaceID)
	if err != nil || !st.AwayMessageEnabled {
		return nil
	}
	hours, err := a.FlowBusinessHours(ctx, workspaceID)
	if err != nil {
		a.Log.Warn("away message: business hours unreadable", "workspace", workspaceID, "error", err)
		return nil
	}
	open, err := flows.InWindow(flows.DateTime{Mode: "business_hours", WorkspaceHours: true}, hours, now)
	if err != nil {
		a.Log.Warn("away message: business hours unusable", "workspace", workspaceID, "error", err)
		return nil
	}
	if open {
		return nil
	}
	data, _, err := flowData(ctx, a.DB.Queries, workspaceID, contactID, nil)
	if err != nil {
		return nil
	}
	data.Variables = nil
	return &AwayPrompt{Text: render(st.AwayMessageText, data)}
}

// attachInbound attaches an inbound message to a conversation and counts it there.
func attachInbound(ctx context.Context, q *dbsqlc.Queries, conversationID int64, msg dbsqlc.Message) (dbsqlc.Conversation, error) {
	msg, err := q.MessageAttachConversation(ctx, dbsqlc.MessageAttachConversationParams{ID: msg.ID, ConversationID: conversationID})
	if err != nil {
		return dbsqlc.Conversation{}, fmt.Errorf("attach message: %w", err)
	}
	conv, err := q.ConversationRecordInbound(ctx, dbsqlc.ConversationRecordInboundParams{
		ID: conversationID, MessageID: msg.ID, ChannelID: msg.ChannelID, At: msg.CreatedAt,
	})
	if err != nil {
		return conv, fmt.Errorf("record inbound: %w", err)
	}
	return conv, nil
}

// acceptRating answers the contact's pending satisfaction survey with msg when msg is a rating:
// the rating is stored against the closed conversation and its agent, and the message joins that
// conversation. The pending survey is removed either way: a message that is not a rating ends it
// (and opens a conversation as usual), and an expired one is ignored.
func acceptRating(ctx context.Context, q *dbsqlc.Queries, msg dbsqlc.Message, res *InboundAcceptResult) (bool, error) {
	req, err := q.CSATRequestTake(ctx, msg.ContactID)
	if db.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take pending survey: %w", err)
	}
	if !msg.CreatedAt.Before(req.ExpiresAt) {
		return false, nil
	}
	var content chatcenter.Content
	if err := json.Unmarshal(msg.Content, &content); err != nil {
		return false, nil
	}
	rating := ParseRating(content)
	if rating == 0 {
		return false, nil
	}
	if _, err := q.CSATResponseInsert(ctx, dbsqlc.CSATResponseInsertParams{
		ConversationID: req.ConversationID, WorkspaceID: req.WorkspaceID, ContactID: req.ContactID,
		AssigneeID: req.AssigneeID, Rating: int16(rating), MessageID: msg.ID,
	}); err != nil && !db.IsNoRows(err) {
		return false, fmt.Errorf("store rating: %w", err)
	}
	conv, err := attachInbound(ctx, q, req.ConversationID, msg)
	if err != nil {
		return false, err
	}
	res.Rating, res.Conversation = rating, db.ToConversation(conv)
	return true, db.InsertEvent(ctx, q, db.Event{
		WorkspaceID: req.WorkspaceID, Type: "csat.received", ContactID: req.ContactID, ConversationID: req.ConversationID,
		Payload: map[string]any{"rating": rating, "assignee_id": req.AssigneeID, "message_id": msg.ID},
	})
}

// CSATPayloadPrefix starts the payload of the survey's rating buttons: "csat:1" … "csat:5".
const CSATPayloadPrefix = "csat:"

// ParseRating reads a 1–5 rating from a contact's message: a press of a survey button
// ("csat:4"), a digit ("4"), or that many stars ("★★★★", "⭐⭐⭐⭐"). Anything else is 0.
func ParseRating(c chatcenter.Content) int {
	switch c.Type {
	case chatcenter.ContentPostback:
		if c.Postback == nil || !strings.HasPrefix(c.Postback.Payload, CSATPayloadPrefix) {
			return 0
		}
		return ratingDigit(strings.TrimPrefix(c.Postback.Payload, CSATPayloadPrefix))
	case chatcenter.ContentText:
		text := strings.TrimSpace(c.Text)
		if n := ratingDigit(text); n != 0 {
			return n
		}
		// Emoji stars often carry a variation selector (U+FE0F); spaces between them are common.
		text = strings.NewReplacer("\ufe0f", "", " ", "").Replace(text)
		n := utf8.RuneCountInString(text)
		if n < 1 || n > 5 || strings.Trim(text, "★⭐") != "" {
			return 0
		}
		return n
	}
	return 0
}

func ratingDigit(s string) int {
	if len(s) != 1 {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 5 {
		return 0
	}
	return n
}

// notifyAssignee tells the conversation's assignee that the contact wrote.
func notifyAssignee(ctx context.Context, q *dbsqlc.Queries, conv dbsqlc.Conversation, messageID int64) error {
	if conv.AssigneeID == nil {
		return nil
	}
	return db.InsertNotification(ctx, q, db.Notification{
		WorkspaceID: conv.WorkspaceID, UserID: *conv.AssigneeID, Type: db.NotificationMessage,
		ContactID: conv.ContactID, ConversationID: conv.ID, MessageID: messageID,
	})
}

// OpenInput asks to open a conversation for a contact (by an agent, a flow or the API).
type OpenInput struct {
	WorkspaceID int64
	ContactID   int64
	Source      chatcenter.Source
	UserID      int64
	// RunID is the flow run whose step opens it (named in the event, see flowrun.MaxDepth).
	RunID int64
}

// OpenResult is the open conversation; Opened is false when one was already open.
type OpenResult struct {
	Opened       bool
	Conversation chatcenter.Conversation
}

// ConversationOpen opens a conversation for the contact unless one is open already.
func (a *Activities) ConversationOpen(ctx context.Context, in OpenInput) (OpenResult, error) {
	var res OpenResult
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if err := lockContact(ctx, q, in.ContactID); err != nil {
			return err
		}
		contact, err := q.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ContactID})
		if err != nil {
			return fmt.Errorf("load contact: %w", db.Error(err))
		}
		if contact.Blocked {
			return chatcenter.Errorf(chatcenter.EINVALID, "contact is blocked; unblock it before opening a conversation")
		}
		conv, err := q.ConversationGetOpenByContact(ctx, in.ContactID)
		if err == nil {
			res.Conversation = db.ToConversation(conv)
			return nil
		}
		if !db.IsNoRows(err) {
			return err
		}
		var channelID *int64
		if ids, err := q.ContactIdentityList(ctx, in.ContactID); err == nil {
			channelID = latestChannel(ids)
		}
		conv, err = openConversation(ctx, q, in.WorkspaceID, in.ContactID, channelID, in.Source, in.UserID, in.RunID, time.Now().UTC())
		if err != nil {
			return err
		}
		res.Opened, res.Conversation = true, db.ToConversation(conv)
		return nil
	})
	return res, domainError(err)
}

// latestChannel picks the channel the contact wrote on last, where replies should go by default.
func latestChannel(ids []dbsqlc.ContactIdentityListRow) *int64 {
	var best *dbsqlc.ContactIdentityListRow
	for i := range ids {
		r := &ids[i]
		if best == nil || (r.LastInboundAt != nil && (best.LastInboundAt == nil || r.LastInboundAt.After(*best.LastInboundAt))) {
			best = r
		}
	}
	if best == nil {
		return nil
	}
	return &best.ChannelID
}

// openConversation inserts an open conversation. The contact keeps its assignee across
// conversations (respond.io's rule: closing does not unassign), so the new one starts assigned to
// them.
func openConversation(ctx context.Context, q *dbsqlc.Queries, workspaceID, contactID int64, channelID *int64, source chatcenter.Source, userID, runID int64, at time.Time) (dbsqlc.Conversation, error) {
	contact, err := q.ContactGetByID(ctx, dbsqlc.ContactGetByIDParams{WorkspaceID: workspaceID, ID: contactID})
	if err != nil {
		return dbsqlc.Conversation{}, fmt.Errorf("load contact: %w", db.Error(err))
	}
	conv, err := q.ConversationInsert(ctx, dbsqlc.ConversationInsertParams{
		WorkspaceID: workspaceID, ContactID: contactID, ChannelID: channelID, OpenedSource: string(source),
		OpenedBy: nonZero(userID), AssigneeID: contact.AssigneeID, At: at,
	})
	if err != nil {
		// The per-contact lock makes a concurrent insert impossible; a no-row here is a bug.
		return conv, fmt.Errorf("insert conversation: %w", err)
	}
	// A new conversation ends the survey of the previous one.
	if err := q.CSATRequestDelete(ctx, contactID); err != nil {
		return conv, fmt.Errorf("end pending survey: %w", err)
	}
	return conv, db.InsertEvent(ctx, q, db.Event{
		WorkspaceID: workspaceID, Type: "conversation.opened", ContactID: contactID, ConversationID: conv.ID,
		ActorUserID: userID, Payload: runPayload(map[string]any{"conversation": db.ToConversation(conv), "source": source}, runID),
	})
}

// AssignInput sets or clears a conversation's assignee and team.
type AssignInput struct {
	WorkspaceID    int64
	ConversationID int64
	AssigneeID     int64 // 0 unassigns
	TeamID         int64
	ActorUserID    int64
}

// ConversationAssign records an assignment (or unassignment) on the conversation and its contact.
func (a *Activities) ConversationAssign(ctx context.Context, in AssignInput) (chatcenter.Conversation, error) {
	var out chatcenter.Conversation
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if in.AssigneeID != 0 {
			u, err := q.UserGetByID(ctx, dbsqlc.UserGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.AssigneeID})
			if db.IsNoRows(err) || (err == nil && !u.Active) {
				return chatcenter.Errorf(chatcenter.EINVALID, "user %d is not an active member of this workspace", in.AssigneeID)
			}
			if err != nil {
				return err
			}
		}
		if in.TeamID != 0 {
			if _, err := q.InboxTeamGet(ctx, dbsqlc.InboxTeamGetParams{WorkspaceID: in.WorkspaceID, ID: in.TeamID}); db.IsNoRows(err) {
				return chatcenter.Errorf(chatcenter.EINVALID, "team %d does not exist in this workspace", in.TeamID)
			} else if err != nil {
				return err
			}
		}
		before, err := q.ConversationGetByID(ctx, dbsqlc.ConversationGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ConversationID})
		if err != nil {
			return fmt.Errorf("load conversation: %w", db.Error(err))
		}
		conv, err := q.ConversationSetAssignee(ctx, dbsqlc.ConversationSetAssigneeParams{
			ID: in.ConversationID, AssigneeID: nonZero(in.AssigneeID), TeamID: nonZero(in.TeamID), At: time.Now().UTC(),
		})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "conversation %d is not open", in.ConversationID)
		}
		if err != nil {
			return err
		}
		if err := q.ContactSetAssignee(ctx, dbsqlc.ContactSetAssigneeParams{ID: conv.ContactID, AssigneeID: nonZero(in.AssigneeID)}); err != nil {
			return err
		}
		out = db.ToConversation(conv)
		// A new assignee hears about it, unless they took the conversation themselves.
		if in.AssigneeID != 0 && in.AssigneeID != in.ActorUserID && (before.AssigneeID == nil || *before.AssigneeID != in.AssigneeID) {
			if err := db.InsertNotification(ctx, q, db.Notification{
				WorkspaceID: in.WorkspaceID, UserID: in.AssigneeID, Type: db.NotificationAssignment,
				ContactID: conv.ContactID, ConversationID: conv.ID, ActorUserID: in.ActorUserID,
			}); err != nil {
				return err
			}
		}
		typ := "conversation.assigned"
		if in.AssigneeID == 0 && in.TeamID == 0 {
			typ = "conversation.unassigned"
		}
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: in.WorkspaceID, Type: typ, ContactID: conv.ContactID, ConversationID: conv.ID,
			ActorUserID: in.ActorUserID, Payload: map[string]any{"conversation": out},
		})
	})
	return out, domainError(err)
}

// CloseInput closes a conversation with its closing note.
type CloseInput struct {
	WorkspaceID    int64
	ConversationID int64
	ActorUserID    int64
	Source         chatcenter.Source
	Category       string
	Summary        string
	// RunID is the flow run whose step closes it (named in the event).
	RunID int64
}

// runPayload adds the flow run that caused an event, so flows it triggers are one level deeper.
func runPayload(p map[string]any, runID int64) map[string]any {
	if runID != 0 {
		p["run_id"] = runID
	}
	return p
}

// CloseResult is the closed conversation, with the satisfaction survey to send when the workspace
// asks for one. Its JSON form is the conversation's with an optional "csat": a close recorded
// before surveys existed reads back as a CloseResult without one.
type CloseResult struct {
	chatcenter.Conversation
	CSAT *CSATPrompt `json:"csat,omitempty"`
}

// CSATPrompt is the survey question; the request is recorded as pending for the contact.
type CSATPrompt struct {
	Question string `json:"question"`
}

// ConversationClose closes an open conversation. When the workspace runs satisfaction surveys and
// the conversation has a channel to ask on, the survey is recorded as pending for the contact (with
// its expiry and the agent being rated) in the same transaction, and its question is returned for
// the workflow to send.
func (a *Activities) ConversationClose(ctx context.Context, in CloseInput) (CloseResult, error) {
	var out CloseResult
	err := a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if in.Source == chatcenter.SourceUser || in.Source == chatcenter.SourceAPI {
			if err := checkClosingNote(ctx, q, in); err != nil {
				return err
			}
		}
		settings, err := q.AutomationSettingsGet(ctx, in.WorkspaceID)
		if err != nil {
			return fmt.Errorf("load automation settings: %w", db.Error(err))
		}
		// The timer may have started before auto-close was turned off.
		if in.Source == chatcenter.SourceAutoClose && settings.AutoCloseSeconds == nil {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "auto-close is off in this workspace")
		}
		now := time.Now().UTC()
		conv, err := q.ConversationClose(ctx, dbsqlc.ConversationCloseParams{
			ID: in.ConversationID, At: now, ClosedBy: nonZero(in.ActorUserID),
			ClosedSource: string(in.Source), Category: nonEmpty(in.Category), Summary: nonEmpty(in.Summary),
		})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "conversation %d is not open", in.ConversationID)
		}
		if err != nil {
			return err
		}
		out.Conversation = db.ToConversation(conv)
		if settings.CsatEnabled && conv.ChannelID != nil {
			if err := q.CSATRequestPut(ctx, dbsqlc.CSATRequestPutParams{
				ContactID: conv.ContactID, WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, AssigneeID: conv.AssigneeID,
				ExpiresAt: now.Add(time.Duration(settings.CsatTimeoutSeconds) * time.Second),
			}); err != nil {
				return fmt.Errorf("record pending survey: %w", err)
			}
			out.CSAT = &CSATPrompt{Question: settings.CsatQuestion}
		}
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: in.WorkspaceID, Type: "conversation.closed", ContactID: conv.ContactID, ConversationID: conv.ID,
			ActorUserID: in.ActorUserID, Payload: runPayload(map[string]any{"conversation": out.Conversation}, in.RunID),
		})
	})
	return out, domainError(err)
}

// CSATContent is the survey message: the question with one button per rating, 1 to 5.
func CSATContent(question string) chatcenter.Content {
	c := chatcenter.Content{Type: chatcenter.ContentText, Text: question}
	for n := 1; n <= 5; n++ {
		d := strconv.Itoa(n)
		c.Buttons = append(c.Buttons, chatcenter.Button{Title: d, Payload: CSATPayloadPrefix + d})
	}
	return c
}

// ConversationGetInput names a conversation to reload.
type ConversationGetInput struct {
	WorkspaceID    int64
	ConversationID int64
}

// ConversationGet reads a conversation as Postgres has it, for a workflow told that it was changed
// elsewhere (automatic assignment).
func (a *Activities) ConversationGet(ctx context.Context, in ConversationGetInput) (chatcenter.Conversation, error) {
	conv, err := a.DB.ConversationGetByID(ctx, dbsqlc.ConversationGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ConversationID})
	if err != nil {
		return chatcenter.Conversation{}, domainError(db.Error(err))
	}
	return db.ToConversation(conv), nil
}

// checkClosingNote applies the workspace's closing-note mode to a close by a person or the API
// (flows and auto-close set their own notes): optional, category required, category and summary
// required, or disabled; a category must be one of the workspace's categories when it has any.
func checkClosingNote(ctx context.Context, q *dbsqlc.Queries, in CloseInput) error {
	st, err := q.ClosingNoteSettings(ctx, in.WorkspaceID)
	if err != nil {
		return fmt.Errorf("load closing-note settings: %w", err)
	}
	switch st.ClosingNoteMode {
	case "disabled":
		if in.Category != "" || in.Summary != "" {
			return chatcenter.Errorf(chatcenter.EINVALID, "closing notes are disabled in this workspace")
		}
		return nil
	case "category_required":
		if in.Category == "" {
			return chatcenter.Errorf(chatcenter.EINVALID, "a closing-note category is required")
		}
	case "all_required":
		if in.Category == "" || in.Summary == "" {
			return chatcenter.Errorf(chatcenter.EINVALID, "a closing-note category and summary are required")
		}
	}
	if in.Category != "" && len(st.Categories) > 0 && !slices.Contains(st.Categories, in.Category) {
		return chatcenter.Errorf(chatcenter.EINVALID, "category %q is not one of the workspace's closing-note categories", in.Category)
	}
	return nil
}

// OutboundInput asks to store an outgoing message before it is sent.
type OutboundInput struct {
	WorkspaceID    int64
	ContactID      int64
	ConversationID int64
	ChannelID      int64 // 0: the conversation's channel
	SenderKind     chatcenter.SenderKind
	SenderUserID   int64
	Content        chatcenter.Content
	IdempotencyKey string
	// AllowClosed lets a system message (the satisfaction survey) join a closed conversation;
	// replies are refused there.
	AllowClosed bool
}

// OutboundResult is the stored message; Created is false when the idempotency key was seen before.
type OutboundResult struct {
	Message     chatcenter.Message
	Created     bool
	ChannelType chatcenter.ChannelType
	// AutoCloseSeconds is the workspace's auto-close delay when it applies to this conversation
	// and the message is a human agent's (the only kind that starts the timer); 0 otherwise.
	AutoCloseSeconds int
}

// MessageCreateOutbound stores an outgoing message as pending, once per idempotency key, and
// counts it on the conversation.
func (a *Activities) MessageCreateOutbound(ctx context.Context, in OutboundInput) (OutboundResult, error) {
	var res OutboundResult
	if err := in.Content.ValidateOutgoing(); err != nil {
		return res, domainError(err)
	}
	if err := a.prepareFileAttachment(ctx, in.WorkspaceID, &in.Content); err != nil {
		return res, domainError(err)
	}
	if in.IdempotencyKey == "" {
		return res, domainError(chatcenter.Errorf(chatcenter.EINVALID, "idempotency key is required"))
	}
	content, err := json.Marshal(in.Content)
	if err != nil {
		return res, err
	}
	err = a.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		if m, err := q.MessageGetByIdempotencyKey(ctx, dbsqlc.MessageGetByIdempotencyKeyParams{WorkspaceID: in.WorkspaceID, IdempotencyKey: in.IdempotencyKey}); err == nil {
			ch, err := q.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: m.ChannelID})
			if err != nil {
				return fmt.Errorf("load channel: %w", db.Error(err))
			}
			res.Message, res.ChannelType = db.ToMessage(m), chatcenter.ChannelType(ch.Type)
			return nil
		}
		conv, err := q.ConversationGetByID(ctx, dbsqlc.ConversationGetByIDParams{WorkspaceID: in.WorkspaceID, ID: in.ConversationID})
		if err != nil {
			return fmt.Errorf("load conversation: %w", db.Error(err))
		}
		if conv.Status != string(chatcenter.ConversationOpen) && !in.AllowClosed {
			return chatcenter.Errorf(chatcenter.ECONFLICT, "conversation %d is closed", conv.ID)
		}
		channelID := in.ChannelID
		if channelID == 0 && conv.ChannelID != nil {
			channelID = *conv.ChannelID
		}
		if channelID == 0 {
			ids, err := q.ContactIdentityList(ctx, in.ContactID)
			if err != nil {
				return err
			}
			if c := latestChannel(ids); c != nil {
				channelID = *c
			}
		}
		if channelID == 0 {
			return chatcenter.Errorf(chatcenter.EINVALID, "the contact has no channel to reply on")
		}
		ch, err := q.ChannelGetByID(ctx, dbsqlc.ChannelGetByIDParams{WorkspaceID: in.WorkspaceID, ID: channelID})
		if db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.EINVALID, "channel %d does not exist", channelID)
		}
		if err != nil {
			return err
		}
		if _, err := q.ContactIdentityForChannel(ctx, dbsqlc.ContactIdentityForChannelParams{ContactID: in.ContactID, ChannelID: channelID}); db.IsNoRows(err) {
			return chatcenter.Errorf(chatcenter.EINVALID, "the contact is not reachable on channel %d", channelID)
		} else if err != nil {
			return err
		}
		msg, err := q.MessageInsertOutbound(ctx, dbsqlc.MessageInsertOutboundParams{
			WorkspaceID: in.WorkspaceID, ContactID: in.ContactID, ConversationID: in.ConversationID, ChannelID: channelID,
			SenderKind: string(in.SenderKind), SenderUserID: nonZero(in.SenderUserID), Content: content,
			ContentType: in.Content.Type, IdempotencyKey: in.IdempotencyKey,
		})
		if err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		if _, err := q.ConversationRecordOutbound(ctx, dbsqlc.ConversationRecordOutboundParams{
			ID: in.ConversationID, IsResponse: in.SenderKind == chatcenter.SenderUser, At: msg.CreatedAt,
		}); err != nil {
			return fmt.Errorf("record outbound: %w", err)
		}
		res.Message, res.Created, res.ChannelType = db.ToMessage(msg), true, chatcenter.ChannelType(ch.Type)
		if in.SenderKind == chatcenter.SenderUser && conv.Status == string(chatcenter.ConversationOpen) {
			st, err := q.AutomationSettingsGet(ctx, in.WorkspaceID)
			if err != nil {
				return fmt.Errorf("load automation settings: %w", err)
			}
			// respond.io applies auto-close to conversations opened after it was turned on.
			if st.AutoCloseSeconds != nil && st.AutoCloseEnabledAt != nil && !conv.OpenedAt.Before(*st.AutoCloseEnabledAt) {
				res.AutoCloseSeconds = int(*st.AutoCloseSeconds)
			}
		}
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: in.WorkspaceID, Type: "message.created", ContactID: in.ContactID, ConversationID: in.ConversationID,
			ActorUserID: in.SenderUserID, Payload: map[string]any{"message": res.Message},
		})
	})
	return res, domainError(err)
}

// lockContact serialises conversation opening for one contact until the transaction ends.
func lockContact(ctx context.Context, q *dbsqlc.Queries, contactID int64) error {
	return q.AdvisoryXactLock(ctx, db.LockKey("contact", contactID))
}

func nonZero(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
