package db

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Notification types: what a user is told about.
const (
	// NotificationMention: someone mentioned the user in a comment ({{@user.ID}}).
	NotificationMention = "mention"
	// NotificationAssignment: a conversation was assigned to the user.
	NotificationAssignment = "assignment"
	// NotificationMessage: a contact wrote in a conversation assigned to the user.
	NotificationMessage = "message"
)

// EventNotificationCreated is the outbox event written with every notification; its payload is
// {notification_id, user_id, type}, so that the realtime stream can push it to that user only.
const EventNotificationCreated = "notification.created"

// Notification is a notification to write for one user. Zero ids mean "none".
type Notification struct {
	WorkspaceID int64
	// UserID is who is notified; it must be a user of WorkspaceID.
	UserID int64
	// Type is NotificationMention, NotificationAssignment or NotificationMessage.
	Type           string
	ContactID      int64
	ConversationID int64
	CommentID      int64
	MessageID      int64
	// ActorUserID is who caused it (the comment's author, the assigning user), recorded on the
	// event; zero for the system or a contact.
	ActorUserID int64
	// Payload is shown to the user's client as is (e.g. an excerpt, the actor's name); nil is {}.
	Payload map[string]any
}

// InsertNotification writes a notification row and its "notification.created" outbox event with
// the caller's queries, so it joins whatever transaction q belongs to (pass the q of
// DB.WithTx, or DB.Queries outside one): both are written, or neither when the transaction
// rolls back.
//
// It notifies exactly who it is told to: callers decide whether the actor should be told about
// their own action (mentioning or assigning yourself should not notify you). A user who is not a
// member of the workspace is an error and nothing is written, so notifications never cross
// workspaces. The referenced contact, conversation, comment and message must exist (foreign
// keys); the caller normally has them from the same transaction.
func InsertNotification(ctx context.Context, q *dbsqlc.Queries, n Notification) error {
	switch n.Type {
	case NotificationMention, NotificationAssignment, NotificationMessage:
	default:
		return fmt.Errorf("insert notification: unknown type %q", n.Type)
	}
	payload := n.Payload
	if payload == nil {
		payload = map[string]any{}
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode notification payload: %w", err)
	}
	id, err := q.NotificationInsert(ctx, dbsqlc.NotificationInsertParams{
		WorkspaceID: n.WorkspaceID, UserID: n.UserID, Type: n.Type,
		ContactID: ptr(n.ContactID), ConversationID: ptr(n.ConversationID),
		CommentID: ptr(n.CommentID), MessageID: ptr(n.MessageID), Payload: raw,
	})
	if IsNoRows(err) {
		return chatcenter.Errorf(chatcenter.EINVALID, "user %d is not a member of this workspace", n.UserID)
	}
	if err != nil {
		return fmt.Errorf("insert %s notification for user %d: %w", n.Type, n.UserID, Error(err))
	}
	return InsertEvent(ctx, q, Event{
		WorkspaceID: n.WorkspaceID, Type: EventNotificationCreated, ActorUserID: n.ActorUserID,
		Payload: map[string]any{"notification_id": id, "user_id": n.UserID, "type": n.Type},
	})
}
