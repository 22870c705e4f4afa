package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
	"github.com/chatcenterhq/chatcenter/secret"
	"github.com/chatcenterhq/chatcenter/workflows"
)

type conversationCursor struct {
	At time.Time `json:"t"`
	ID int64     `json:"id"`
}

func (s *Server) loadConversation(c *gin.Context) (dbsqlc.Conversation, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return dbsqlc.Conversation{}, chatcenter.Errorf(chatcenter.ENOTFOUND, "conversation not found")
	}
	u := currentUser(c)
	conv, err := s.DB.ConversationGetByID(c.Request.Context(), dbsqlc.ConversationGetByIDParams{WorkspaceID: u.WorkspaceID, ID: id})
	if db.IsNoRows(err) {
		return conv, chatcenter.Errorf(chatcenter.ENOTFOUND, "conversation not found")
	}
	if err != nil {
		return conv, err
	}
	ok, err := s.canSee(c.Request.Context(), u, conv.AssigneeID)
	if err != nil {
		return conv, err
	}
	if !ok {
		return conv, chatcenter.Errorf(chatcenter.ENOTFOUND, "conversation not found")
	}
	return conv, nil
}

func (s *Server) getConversation(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, db.ToConversation(conv))
}

type messageCursor struct {
	ID int64 `json:"id"`
}

func (s *Server) listConversationMessages(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.listMessages(c, func(before *int64, limit int32) ([]dbsqlc.Message, error) {
		return s.DB.MessageListByConversation(c.Request.Context(), dbsqlc.MessageListByConversationParams{
			WorkspaceID: conv.WorkspaceID, ConversationID: conv.ID, BeforeID: before, Max: limit,
		})
	})
}

func (s *Server) listMessages(c *gin.Context, query func(before *int64, limit int32) ([]dbsqlc.Message, error)) {
	var cur messageCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	var before *int64
	if hasCursor {
		before = &cur.ID
	}
	rows, err := query(before, limit+1)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[chatcenter.Message]{Items: db.MapSlice(rows, db.ToMessage)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(messageCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

type sendMessageRequest struct {
	chatcenter.Content
	ChannelID int64 `json:"channel_id,omitempty"`
}

// sendMessage stores the reply through the conversation workflow and answers 202 with the pending
// message; the workflow then sends it and moves it to sent or failed. An Idempotency-Key header
// makes client retries safe.
func (s *Server) sendMessage(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req sendMessageRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if err := req.Content.ValidateOutgoing(); err != nil {
		s.fail(c, err)
		return
	}
	if conv.Status != string(chatcenter.ConversationOpen) {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "conversation %d is closed", conv.ID))
		return
	}
	u := currentUser(c)
	// Dynamic variables ({{$contact.first_name}}, {{$user.first_name}}, custom fields) are filled
	// in here, so the stored message is what the contact receives.
	if err := s.renderContent(c.Request.Context(), u, conv.ContactID, &req.Content); err != nil {
		s.fail(c, err)
		return
	}
	key := c.GetHeader("Idempotency-Key")
	if len(key) > 128 {
		s.fail(c, invalid("Idempotency-Key must be at most 128 characters"))
		return
	}
	if key == "" {
		key = secret.RandomToken(16)
	}
	var msg chatcenter.Message
	err = s.update(c.Request.Context(), conv.ContactID, workflows.UpdateSendReply, "reply-"+strconv.FormatInt(u.ID, 10)+"-"+key,
		workflows.SendReplyRequest{
			ConversationID: conv.ID, SenderKind: chatcenter.SenderUser, SenderUserID: u.ID, ChannelID: req.ChannelID,
			Content: req.Content, IdempotencyKey: "user-" + strconv.FormatInt(u.ID, 10) + "-" + key,
		}, &msg)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, msg)
}

// renderContent renders dynamic variables in a reply's text or caption; a text that renders empty
// is refused like an empty text.
func (s *Server) renderContent(ctx context.Context, u *chatcenter.User, contactID int64, content *chatcenter.Content) error {
	var err error
	switch {
	case content.Type == chatcenter.ContentText && strings.Contains(content.Text, "{{"):
		content.Text, err = s.renderVariables(ctx, u, contactID, content.Text)
	case content.Attachment != nil && strings.Contains(content.Attachment.Caption, "{{"):
		content.Attachment.Caption, err = s.renderVariables(ctx, u, contactID, content.Attachment.Caption)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	return content.ValidateOutgoing()
}

type assignRequest struct {
	UserID int64 `json:"user_id"`
	TeamID int64 `json:"team_id"`
}

func (s *Server) assignConversation(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req assignRequest
	if err := bindJSON(c, &req, false); err != nil {
		s.fail(c, err)
		return
	}
	if req.UserID <= 0 && req.TeamID <= 0 {
		s.fail(c, invalid("user_id or team_id is required"))
		return
	}
	if req.UserID > 0 {
		if _, err := s.DB.UserGetByID(c.Request.Context(), dbsqlc.UserGetByIDParams{WorkspaceID: conv.WorkspaceID, ID: req.UserID}); db.IsNoRows(err) {
			s.fail(c, invalid("user %d is not a member of this workspace", req.UserID))
			return
		}
	}
	if req.TeamID > 0 {
		if _, err := s.DB.InboxTeamGet(c.Request.Context(), dbsqlc.InboxTeamGetParams{WorkspaceID: conv.WorkspaceID, ID: req.TeamID}); db.IsNoRows(err) {
			s.fail(c, invalid("team %d does not exist in this workspace", req.TeamID))
			return
		}
	}
	s.conversationAction(c, conv, workflows.UpdateAssign, workflows.AssignRequest{
		ConversationID: conv.ID, AssigneeID: req.UserID, TeamID: req.TeamID, ActorUserID: currentUser(c).ID,
	})
}

func (s *Server) unassignConversation(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	s.conversationAction(c, conv, workflows.UpdateUnassign, workflows.UnassignRequest{ConversationID: conv.ID, ActorUserID: currentUser(c).ID})
}

type closeRequest struct {
	Category string `json:"category"`
	Summary  string `json:"summary"`
}

func (s *Server) closeConversation(c *gin.Context) {
	conv, err := s.loadConversation(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var req closeRequest
	if err := bindJSON(c, &req, true); err != nil {
		s.fail(c, err)
		return
	}
	if n := len([]rune(req.Category)); n > 128 {
		s.fail(c, invalid("category is %d characters; the limit is 128", n))
		return
	}
	if n := len([]rune(req.Summary)); n > 512 {
		s.fail(c, invalid("summary is %d characters; the limit is 512", n))
		return
	}
	s.conversationAction(c, conv, workflows.UpdateClose, workflows.CloseRequest{
		ConversationID: conv.ID, ActorUserID: currentUser(c).ID, Source: chatcenter.SourceUser,
		Category: req.Category, Summary: req.Summary,
	})
}

// conversationAction runs an update that returns the conversation.
func (s *Server) conversationAction(c *gin.Context, conv dbsqlc.Conversation, name string, arg any) {
	if conv.Status != string(chatcenter.ConversationOpen) {
		s.fail(c, chatcenter.Errorf(chatcenter.ECONFLICT, "conversation %d is closed", conv.ID))
		return
	}
	var out chatcenter.Conversation
	if err := s.update(c.Request.Context(), conv.ContactID, name, "", arg, &out); err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// update sends an update to the contact's conversation workflow and waits for its result.
func (s *Server) update(ctx context.Context, contactID int64, name, updateID string, arg, out any) error {
	ctx, cancel := context.WithTimeout(ctx, s.UpdateTimeout)
	defer cancel()
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ConversationWorkflowID(contactID), UpdateID: updateID, UpdateName: name,
		Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return temporalError(err)
	}
	return temporalError(h.Get(ctx, out))
}

// temporalError maps engine failures: domain errors come back as themselves, an engine that does
// not answer in time is "unavailable".
func temporalError(err error) error {
	if err == nil {
		return nil
	}
	err = workflows.DomainError(err)
	var e *chatcenter.Error
	if errors.As(err, &e) {
		return e
	}
	var unavailable *serviceerror.Unavailable
	var exhausted *serviceerror.ResourceExhausted
	var deadline *serviceerror.DeadlineExceeded
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &unavailable) || errors.As(err, &exhausted) ||
		errors.As(err, &deadline) || errors.As(err, new(*client.WorkflowUpdateServiceTimeoutOrCanceledError)) {
		return chatcenter.Errorf(chatcenter.EUNAVAILABLE, "the conversation engine is busy or unreachable; try again")
	}
	return err
}

// openConversation opens a conversation for a contact (respond.io's "Open" button).
func (s *Server) openConversation(c *gin.Context) {
	contact, err := s.loadContact(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.openFor(c, contact.WorkspaceID, contact.ID)
}

// openFor answers an open request (no body) for the contact with the open conversation.
func (s *Server) openFor(c *gin.Context, workspaceID, contactID int64) {
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	out, err := s.open(c.Request.Context(), currentUser(c), workspaceID, contactID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// open sends the open update to the contact's conversation workflow, starting the workflow
// (update-with-start) when none runs. The contact's open conversation comes back, new or not.
func (s *Server) open(ctx context.Context, u *chatcenter.User, workspaceID, contactID int64) (chatcenter.Conversation, error) {
	var out chatcenter.Conversation
	ctx, cancel := context.WithTimeout(ctx, s.UpdateTimeout)
	defer cancel()
	opts := workflows.ConversationStartOptions(workspaceID, contactID)
	opts.WorkflowIDConflictPolicy = enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING
	op := s.Temporal.NewWithStartWorkflowOperation(opts, workflows.ConversationWorkflowName,
		workflows.ConversationInput{WorkspaceID: workspaceID, ContactID: contactID})
	h, err := s.Temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName: workflows.UpdateOpen, WaitForStage: client.WorkflowUpdateStageCompleted,
			Args: []any{workflows.OpenRequest{ActorUserID: u.ID, Source: chatcenter.SourceUser}},
		},
	})
	if err != nil {
		return out, temporalError(err)
	}
	return out, temporalError(h.Get(ctx, &out))
}
