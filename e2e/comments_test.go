package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter/db/dbsqlc"
)

// commentsLogin creates a user in the owner's workspace and logs in as them.
func commentsLogin(b *bundle, email, name, role string) (int64, string) {
	b.t.Helper()
	const pw = "comments-password"
	hash, err := hashForTest(pw)
	require.NoError(b.t, err)
	u, err := b.db.UserInsert(context.Background(), dbsqlc.UserInsertParams{
		WorkspaceID: b.owner.WorkspaceID, Email: email, PasswordHash: hash, Name: name, Role: role,
	})
	require.NoError(b.t, err)
	var login struct {
		Token string `json:"token"`
	}
	b.do("POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": pw}, http.StatusOK, &login)
	return u.ID, login.Token
}

// commentsCount counts rows with a test-only query.
func commentsCount(b *bundle, query string, args ...any) int {
	b.t.Helper()
	var n int
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), query, args...).Scan(&n))
	return n
}

type commentsComment struct {
	ID           int64   `json:"id"`
	ParentID     *int64  `json:"parent_id"`
	Text         string  `json:"text"`
	TextRendered string  `json:"text_rendered"`
	Mentions     []int64 `json:"mentions"`
	Author       struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"author"`
}

type commentsNotification struct {
	ID        int64          `json:"id"`
	Type      string         `json:"type"`
	ContactID int64          `json:"contact_id"`
	CommentID int64          `json:"comment_id"`
	Read      bool           `json:"read"`
	Payload   map[string]any `json:"payload"`
}

// TestCommentsMentionNotifiesAgent: an inbound Telegram contact, the owner comments on it
// mentioning an agent, the agent sees the notification, replies and reads it.
func TestCommentsMentionNotifiesAgent(t *testing.T) {
	b := setup(t)
	chID := b.createTelegramChannel()
	b.postUpdate(chID, textUpdate(1, 1, "my parcel is late"), http.StatusOK)
	conv := b.waitOpenConversation()
	agentID, agentToken := commentsLogin(b, "agent@example.com", "Ana Agent", "agent")

	path := fmt.Sprintf("/api/v1/contacts/%d/comments", conv.ContactID)
	text := fmt.Sprintf("{{@user.%d}} can you track this one? {{@user.%d}}", agentID, b.owner.ID)
	var cm commentsComment
	b.do("POST", path, "", map[string]any{"text": text}, http.StatusCreated, &cm)
	require.Equal(t, text, cm.Text)
	require.Equal(t, "@Ana Agent can you track this one? @Owner", cm.TextRendered)
	require.Equal(t, []int64{agentID, b.owner.ID}, cm.Mentions)
	require.Equal(t, b.owner.ID, cm.Author.ID)

	// The mention reached the agent (row and outbox event), not the author who mentioned themself.
	require.Equal(t, 1, commentsCount(b, `SELECT count(*) FROM events WHERE type = 'notification.created' AND (payload->>'user_id')::bigint = $1 AND payload->>'type' = 'mention'`, agentID))
	require.Equal(t, 0, commentsCount(b, `SELECT count(*) FROM events WHERE type = 'notification.created' AND (payload->>'user_id')::bigint = $1`, b.owner.ID))
	require.Equal(t, 1, commentsCount(b, `SELECT count(*) FROM events WHERE type = 'comment.created' AND contact_id = $1`, conv.ContactID))

	var unread struct {
		Count int `json:"count"`
	}
	b.do("GET", "/api/v1/notifications/unread-count", agentToken, nil, http.StatusOK, &unread)
	require.Equal(t, 1, unread.Count)
	b.do("GET", "/api/v1/notifications/unread-count", "", nil, http.StatusOK, &unread)
	require.Equal(t, 0, unread.Count)

	var notifs list[commentsNotification]
	b.do("GET", "/api/v1/notifications?unread=true", agentToken, nil, http.StatusOK, &notifs)
	require.Len(t, notifs.Items, 1)
	n := notifs.Items[0]
	require.Equal(t, "mention", n.Type)
	require.Equal(t, conv.ContactID, n.ContactID)
	require.Equal(t, cm.ID, n.CommentID)
	require.Equal(t, "Test Firstname Test Lastname", n.Payload["contact_name"])

	// The owner cannot read the agent's notification; the agent can.
	b.do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", n.ID), "", nil, http.StatusNotFound, nil)
	b.do("POST", fmt.Sprintf("/api/v1/notifications/%d/read", n.ID), agentToken, nil, http.StatusOK, &n)
	require.True(t, n.Read)
	b.do("GET", "/api/v1/notifications/unread-count", agentToken, nil, http.StatusOK, &unread)
	require.Equal(t, 0, unread.Count)

	// The agent replies, mentioning the owner back.
	var reply commentsComment
	b.do("POST", path, agentToken, map[string]any{"text": fmt.Sprintf("{{@user.%d}} on it", b.owner.ID), "parent_id": cm.ID}, http.StatusCreated, &reply)
	require.Equal(t, cm.ID, *reply.ParentID)
	b.do("GET", "/api/v1/notifications/unread-count", "", nil, http.StatusOK, &unread)
	require.Equal(t, 1, unread.Count)
	var all struct {
		Marked int `json:"marked"`
	}
	b.do("POST", "/api/v1/notifications/read-all", "", nil, http.StatusOK, &all)
	require.Equal(t, 1, all.Marked)

	var comments list[commentsComment]
	b.do("GET", path, agentToken, nil, http.StatusOK, &comments)
	require.Len(t, comments.Items, 2)
	require.Equal(t, reply.ID, comments.Items[0].ID)
	require.Equal(t, "@Owner on it", comments.Items[0].TextRendered)

	// Too long, or mentioning a stranger: 400 and nothing stored.
	before := commentsCount(b, `SELECT count(*) FROM comments`)
	b.do("POST", path, "", map[string]any{"text": strings.Repeat("x", 1001)}, http.StatusBadRequest, nil)
	b.do("POST", path, "", map[string]any{"text": "{{@user.424242}} hi"}, http.StatusBadRequest, nil)
	require.Equal(t, before, commentsCount(b, `SELECT count(*) FROM comments`))

	// The agent may not delete the owner's comment; the owner may delete it with its reply.
	b.do("DELETE", fmt.Sprintf("/api/v1/comments/%d", cm.ID), agentToken, nil, http.StatusForbidden, nil)
	b.do("DELETE", fmt.Sprintf("/api/v1/comments/%d", cm.ID), "", nil, http.StatusNoContent, nil)
	b.do("GET", path, agentToken, nil, http.StatusOK, &comments)
	require.Empty(t, comments.Items)
}
