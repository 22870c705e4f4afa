package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/chatcenterhq/chatcenter"
	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// Notifications belong to one user: every handler here reads and changes only the caller's own,
// and another user's notification answers 404 as if it did not exist. They are written by
// db.InsertNotification (mentions here, assignments and messages by the conversation workflow).

func init() {
	const v1 = "/api/v1"
	document(http.MethodGet, v1+"/notifications", Operation{Summary: "The caller's notifications (mention, assignment, message), newest first", Tag: "Notifications", Response: notificationResponse{}, List: true,
		Query: map[string]string{"unread": "true: only unread ones", "limit": "1–100, default 25", "cursor": "next_cursor of the previous page"}})
	document(http.MethodGet, v1+"/notifications/unread-count", Operation{Summary: "How many of the caller's notifications are unread", Tag: "Notifications", Response: unreadCountResponse{}})
	document(http.MethodPost, v1+"/notifications/:id/read", Operation{Summary: "Mark one of the caller's notifications read", Tag: "Notifications", Response: notificationResponse{}})
	document(http.MethodPost, v1+"/notifications/read-all", Operation{Summary: "Mark all the caller's notifications read", Tag: "Notifications", Response: readAllResponse{}})
}

type notificationResponse struct {
	ID             int64           `json:"id"`
	UserID         int64           `json:"user_id"`
	Type           string          `json:"type"`
	ContactID      *int64          `json:"contact_id"`
	ConversationID *int64          `json:"conversation_id"`
	CommentID      *int64          `json:"comment_id"`
	MessageID      *int64          `json:"message_id"`
	Payload        json.RawMessage `json:"payload"`
	Read           bool            `json:"read"`
	ReadAt         *time.Time      `json:"read_at"`
	CreatedAt      time.Time       `json:"created_at"`
}

func toNotificationResponse(n dbsqlc.Notification) notificationResponse {
	payload := n.Payload
	if len(payload) == 0 {
		payload = json.RawMessage(`{}`)
	}
	return notificationResponse{
		ID: n.ID, UserID: n.UserID, Type: n.Type, ContactID: n.ContactID, ConversationID: n.ConversationID,
		CommentID: n.CommentID, MessageID: n.MessageID, Payload: payload, Read: n.ReadAt != nil,
		ReadAt: n.ReadAt, CreatedAt: n.CreatedAt,
	}
}

type notificationCursor struct {
	ID int64 `json:"id"`
}

// listNotifications lists the caller's notifications, newest first; ?unread=true lists only the
// unread ones.
func (s *Server) listNotifications(c *gin.Context) {
	u := currentUser(c)
	var cur notificationCursor
	limit, hasCursor, err := page(c, &cur)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := dbsqlc.NotificationListParams{WorkspaceID: u.WorkspaceID, UserID: u.ID, Max: limit + 1}
	switch c.Query("unread") {
	case "", "false":
	case "true":
		p.UnreadOnly = true
	default:
		s.fail(c, invalid("unread must be true or false"))
		return
	}
	if hasCursor {
		p.BeforeID = &cur.ID
	}
	rows, err := s.DB.NotificationList(c.Request.Context(), p)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := listResponse[notificationResponse]{Items: db.MapSlice(rows, toNotificationResponse)}
	if len(rows) > int(limit) {
		out.Items = out.Items[:limit]
		out.NextCursor = encodeCursor(notificationCursor{ID: out.Items[limit-1].ID})
	}
	c.JSON(http.StatusOK, out)
}

type unreadCountResponse struct {
	Count int64 `json:"count"`
}

// notificationUnreadCount answers the caller's unread badge: {"count": n}.
func (s *Server) notificationUnreadCount(c *gin.Context) {
	u := currentUser(c)
	n, err := s.DB.NotificationUnreadCount(c.Request.Context(), dbsqlc.NotificationUnreadCountParams{WorkspaceID: u.WorkspaceID, UserID: u.ID})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, unreadCountResponse{Count: n})
}

// eventNotificationRead is written when a user reads notifications, so that the user's other
// sessions can update their badge. Payload: {user_id, notification_id} for one, {user_id, all:
// true, count} for read-all.
const eventNotificationRead = "notification.read"

// readNotification marks one of the caller's notifications read and returns it. Reading an
// already read notification changes nothing (read_at keeps its first value).
func (s *Server) readNotification(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, chatcenter.Errorf(chatcenter.ENOTFOUND, "notification not found"))
		return
	}
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var out dbsqlc.Notification
	err = s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.NotificationMarkRead(ctx, dbsqlc.NotificationMarkReadParams{WorkspaceID: u.WorkspaceID, UserID: u.ID, ID: id})
		if db.IsNoRows(err) {
			n, err = q.NotificationGet(ctx, dbsqlc.NotificationGetParams{WorkspaceID: u.WorkspaceID, UserID: u.ID, ID: id})
			if db.IsNoRows(err) {
				return chatcenter.Errorf(chatcenter.ENOTFOUND, "notification not found")
			}
			out = n
			return err
		}
		if err != nil {
			return err
		}
		out = n
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: eventNotificationRead, ActorUserID: u.ID,
			Payload: map[string]any{"user_id": u.ID, "notification_id": n.ID},
		})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toNotificationResponse(out))
}

type readAllResponse struct {
	// Marked is how many notifications were unread and are now read.
	Marked int64 `json:"marked"`
}

// readAllNotifications marks every unread notification of the caller read.
func (s *Server) readAllNotifications(c *gin.Context) {
	if err := bindJSON(c, &struct{}{}, true); err != nil {
		s.fail(c, err)
		return
	}
	u := currentUser(c)
	ctx := c.Request.Context()
	var marked int64
	err := s.DB.WithTx(ctx, func(q *dbsqlc.Queries) error {
		n, err := q.NotificationMarkAllRead(ctx, dbsqlc.NotificationMarkAllReadParams{WorkspaceID: u.WorkspaceID, UserID: u.ID})
		if err != nil || n == 0 {
			return err
		}
		marked = n
		return db.InsertEvent(ctx, q, db.Event{
			WorkspaceID: u.WorkspaceID, Type: eventNotificationRead, ActorUserID: u.ID,
			Payload: map[string]any{"user_id": u.ID, "all": true, "count": n},
		})
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, readAllResponse{Marked: marked})
}
