package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/chatcenterhq/chatcenter"
)

// TestMentionNotifiesLive follows a mention end to end: a comment mentioning an agent creates a
// notification, which reaches that agent's open event stream (and only theirs) and their list.
func TestMentionNotifiesLive(t *testing.T) {
	b := setup(t)
	node := b.realtimeNode()
	convs := b.inboxThree()
	agent, agentToken := b.inboxUser("live@example.com", chatcenter.RoleAgent, "")
	_, otherToken := b.inboxUser("other-live@example.com", chatcenter.RoleAgent, "")

	agentStream := realtimeConnect(t, node.url+"/api/v1/events?access_token="+agentToken, nil)
	defer agentStream.close()
	otherStream := realtimeConnect(t, node.url+"/api/v1/events", realtimeBearer(otherToken))
	defer otherStream.close()

	var comment struct {
		ID           int64  `json:"id"`
		TextRendered string `json:"text_rendered"`
	}
	b.do("POST", fmt.Sprintf("/api/v1/contacts/%d/comments", convs["Carla"].ContactID), "",
		map[string]any{"text": fmt.Sprintf("{{@user.%d}} please call her back", agent.ID)}, http.StatusCreated, &comment)
	require.Equal(t, "@live@example.com please call her back", comment.TextRendered)

	got := agentStream.until(func(ev realtimeEvent) bool { return ev.Type == "notification.created" })
	var payload struct {
		UserID int64  `json:"user_id"`
		Type   string `json:"type"`
	}
	require.NoError(t, json.Unmarshal(got[len(got)-1].Payload, &payload))
	require.Equal(t, agent.ID, payload.UserID)
	require.Equal(t, "mention", payload.Type)

	// The other agent sees the comment, but never the agent's notification.
	otherStream.until(func(ev realtimeEvent) bool { return ev.Type == "comment.created" })
	deadline := time.Now().Add(time.Second)
	for time.Now().Before(deadline) {
		select {
		case m := <-otherStream.messages:
			require.NotContains(t, m.Data, `"notification.created"`)
		case <-time.After(100 * time.Millisecond):
		}
	}

	var list struct {
		Items []struct {
			Type      string `json:"type"`
			CommentID *int64 `json:"comment_id"`
		} `json:"items"`
	}
	b.do("GET", "/api/v1/notifications", agentToken, nil, http.StatusOK, &list)
	require.Len(t, list.Items, 1)
	require.Equal(t, comment.ID, *list.Items[0].CommentID)
}
