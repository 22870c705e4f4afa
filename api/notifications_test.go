package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db"
	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

type notifNotification struct {
	ID        int64          `json:"id"`
	UserID    int64          `json:"user_id"`
	Type      string         `json:"type"`
	ContactID *int64         `json:"contact_id"`
	CommentID *int64         `json:"comment_id"`
	Payload   map[string]any `json:"payload"`
	Read      bool           `json:"read"`
	ReadAt    *time.Time     `json:"read_at"`
}

// notifInsert writes a notification the way the conversation activities do.
func notifInsert(e *commentsEnv, userID int64, typ string) {
	e.t.Helper()
	ctx := context.Background()
	require.NoError(e.t, e.db.WithTx(ctx, func(q *dbsqlc.Queries) error {
		return db.InsertNotification(ctx, q, db.Notification{
			WorkspaceID: e.ws, UserID: userID, Type: typ, ContactID: e.contact,
			Payload: map[string]any{"note": typ},
		})
	}))
}

func notifUnread(e *commentsEnv, u commentsUser) int64 {
	e.t.Helper()
	var out struct {
		Count int64 `json:"count"`
	}
	e.do(u, "GET", "/notifications/unread-count", nil, http.StatusOK, &out)
	return out.Count
}

func notifList(e *commentsEnv, u commentsUser, query string) []notifNotification {
	e.t.Helper()
	var l commentsList[notifNotification]
	e.do(u, "GET", "/notifications"+query, nil, http.StatusOK, &l)
	return l.Items
}

func TestNotifListReadAndIsolation(t *testing.T) {
	e := commentsSetup(t)
	// The agent: a mention, an assignment and a message. The manager: one mention.
	e.comment(e.owner, e.contact, map[string]any{"text": fmt.Sprintf("{{@user.%d}} {{@user.%d}}", e.agent.id, e.manager.id)})
	notifInsert(e, e.agent.id, db.NotificationAssignment)
	notifInsert(e, e.agent.id, db.NotificationMessage)

	mine := notifList(e, e.agent, "")
	require.Len(t, mine, 3)
	require.Equal(t, []string{"message", "assignment", "mention"}, []string{mine[0].Type, mine[1].Type, mine[2].Type})
	for _, n := range mine {
		require.Equal(t, e.agent.id, n.UserID)
		require.False(t, n.Read)
		require.Nil(t, n.ReadAt)
		require.Equal(t, e.contact, *n.ContactID)
	}
	require.Equal(t, "assignment", mine[1].Payload["note"])
	require.NotNil(t, mine[2].CommentID)
	require.EqualValues(t, 3, notifUnread(e, e.agent))
	require.EqualValues(t, 1, notifUnread(e, e.manager))
	require.EqualValues(t, 0, notifUnread(e, e.owner))
	require.EqualValues(t, 0, notifUnread(e, e.other))
	require.Empty(t, notifList(e, e.other, ""))

	// Nobody else can read (or even see) the agent's notification.
	for _, u := range []commentsUser{e.manager, e.owner, e.other} {
		e.do(u, "POST", fmt.Sprintf("/notifications/%d/read", mine[1].ID), nil, http.StatusNotFound, nil)
	}
	e.do(e.agent, "POST", "/notifications/999999/read", nil, http.StatusNotFound, nil)
	e.do(e.agent, "POST", "/notifications/x/read", nil, http.StatusNotFound, nil)
	require.EqualValues(t, 3, notifUnread(e, e.agent))

	// Reading one.
	var read notifNotification
	e.do(e.agent, "POST", fmt.Sprintf("/notifications/%d/read", mine[1].ID), nil, http.StatusOK, &read)
	require.True(t, read.Read)
	require.NotNil(t, read.ReadAt)
	require.EqualValues(t, 2, notifUnread(e, e.agent))
	unread := notifList(e, e.agent, "?unread=true")
	require.Len(t, unread, 2)
	require.Equal(t, []int64{mine[0].ID, mine[2].ID}, []int64{unread[0].ID, unread[1].ID})
	require.Len(t, notifList(e, e.agent, "?unread=false"), 3)
	e.do(e.agent, "GET", "/notifications?unread=yes", nil, http.StatusBadRequest, nil)

	// Reading it again changes nothing and writes no event.
	var again notifNotification
	e.do(e.agent, "POST", fmt.Sprintf("/notifications/%d/read", mine[1].ID), nil, http.StatusOK, &again)
	require.True(t, again.ReadAt.Equal(*read.ReadAt))
	require.Len(t, e.events("notification.read"), 1)

	// Read-all reads only the caller's.
	var all struct {
		Marked int64 `json:"marked"`
	}
	e.do(e.agent, "POST", "/notifications/read-all", nil, http.StatusOK, &all)
	require.EqualValues(t, 2, all.Marked)
	require.EqualValues(t, 0, notifUnread(e, e.agent))
	require.Empty(t, notifList(e, e.agent, "?unread=true"))
	require.EqualValues(t, 1, notifUnread(e, e.manager))
	e.do(e.agent, "POST", "/notifications/read-all", nil, http.StatusOK, &all)
	require.EqualValues(t, 0, all.Marked)

	reads := e.events("notification.read")
	require.Len(t, reads, 2)
	require.EqualValues(t, e.agent.id, reads[1].Payload["user_id"])
	require.Equal(t, true, reads[1].Payload["all"])
	require.EqualValues(t, 2, reads[1].Payload["count"])
	require.Nil(t, reads[1].ContactID)

	// Strict bodies: unknown fields are refused.
	e.do(e.manager, "POST", "/notifications/read-all", map[string]any{"before": 1}, http.StatusBadRequest, nil)
	require.EqualValues(t, 1, notifUnread(e, e.manager))
}

func TestNotifListPages(t *testing.T) {
	e := commentsSetup(t)
	for range 5 {
		notifInsert(e, e.agent2.id, db.NotificationMessage)
	}
	notifInsert(e, e.agent.id, db.NotificationMessage)
	var ids []int64
	path := "/notifications?limit=2"
	for range 5 {
		var l commentsList[notifNotification]
		e.do(e.agent2, "GET", path, nil, http.StatusOK, &l)
		for _, n := range l.Items {
			ids = append(ids, n.ID)
		}
		if l.NextCursor == nil {
			break
		}
		path = "/notifications?limit=2&cursor=" + *l.NextCursor
	}
	require.Len(t, ids, 5)
	for i := 1; i < len(ids); i++ {
		require.Greater(t, ids[i-1], ids[i])
	}
	e.do(e.agent2, "GET", "/notifications?limit=0", nil, http.StatusBadRequest, nil)
}
